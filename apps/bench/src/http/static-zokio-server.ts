/**
 * The zokio static file server of `serve_static`: `node --expose-gc dist/http/static-zokio-server.js --backend
 * io_uring|epoll --root DIR --backlog N`. `@zokio/serve` as a program uses it: `Runtime.create({ io })`, one
 * `rt.blockOn`, `staticFiles(DIR)` with its defaults, `HttpServer.bind('127.0.0.1:0', handler)` with the server's
 * default limits and timeouts, and `serve()` until the bench is done. Prints its port and answers `stats` like the
 * other servers (`server-control.ts`).
 *
 * @module
 */
import { staticFiles } from '@zokio/serve';
import { flag, integerFlag } from '../net/server-control.js';
import { listenZokioHttp, runtimeFromArgs } from './serve-http.js';

const argv = process.argv.slice(2);
const rt = runtimeFromArgs(argv);
const root = flag(argv, 'root');
if (root === undefined || root === '') {
  process.stderr.write('Expected --root DIR, the directory to serve, got none\n');
  process.exit(2);
}
const backlog = integerFlag(argv, 'backlog');

listenZokioHttp(rt, () => staticFiles(root), backlog);
