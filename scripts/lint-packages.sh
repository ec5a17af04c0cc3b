#!/usr/bin/env bash
# Every package as the registry would get it (packed), checked by publint (package.json, exports,
# files) and are-the-types-wrong (each entry's types resolve under node16 from ESM and CJS, and for
# bundlers). node10 resolution is not checked: it cannot see subpath exports such as
# @mooring/core/testing, and Node 10 is long past. Needs `pnpm build` first.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$PWD/node_modules/.bin"
for dir in packages/*/; do
  (
    cd "$dir"
    "$bin/publint" --strict
    # The table only when something is wrong.
    if ! report="$("$bin/attw" --pack . --profile node16 --format ascii 2>&1)"; then
      echo "$report"
      exit 1
    fi
    echo "attw: all good"
  )
done
