// Callgrind's client requests as a Node-API addon: three functions the benchmark calls at its
// marks. Outside valgrind each request is a few no-op instructions (valgrind's magic sequence), so
// the same build runs natively. Node-API, not V8's API: one build loads in Node 20 and Node 24.
#include <node_api.h>
#include <valgrind/callgrind.h>
#include <valgrind/valgrind.h>

static napi_value zero(napi_env env, napi_callback_info info) {
  CALLGRIND_ZERO_STATS;
  return NULL;
}

static napi_value dump(napi_env env, napi_callback_info info) {
  CALLGRIND_DUMP_STATS;
  return NULL;
}

static napi_value running(napi_env env, napi_callback_info info) {
  napi_value result;
  napi_get_boolean(env, RUNNING_ON_VALGRIND ? true : false, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"zero", NULL, zero, NULL, NULL, NULL, napi_default, NULL},
    {"dump", NULL, dump, NULL, NULL, NULL, napi_default, NULL},
    {"running", NULL, running, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 3, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
