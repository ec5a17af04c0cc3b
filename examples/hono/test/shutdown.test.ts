import { describeShutdown } from '../../fake-tmdb/test/shutdown-check.js'
import { startServer } from '../src/server.js'

// On real sockets: the app listens on 127.0.0.1 and is shut down the way SIGTERM shuts it down.
describeShutdown(startServer)
