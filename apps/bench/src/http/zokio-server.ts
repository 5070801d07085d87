/**
 * The zokio server of `http_hello`: `node --expose-gc dist/http/zokio-server.js --backend io_uring|epoll --backlog
 * N`. `@zokio/http` as a program uses it: `Runtime.create({ io })`, one `rt.blockOn`, `HttpServer.bind` on
 * `127.0.0.1:0` with a handler that answers every request with the same `Response` at once (`ready`), and
 * `serve()` until the bench is done. The server's limits and timeouts are its defaults. Prints its port and answers
 * `stats` like the TCP scenarios' servers (`server-control.ts`).
 *
 * @module
 */
import { ready } from '@zokio/future';
import type { Response } from '@zokio/http';
import { integerFlag } from '../net/server-control.js';
import { HELLO_BODY, HELLO_CONTENT_TYPE } from './hello.js';
import { listenZokioHttp, runtimeFromArgs } from './serve-http.js';

const argv = process.argv.slice(2);
const rt = runtimeFromArgs(argv);
const backlog = integerFlag(argv, 'backlog');
const RESPONSE: Response = { headers: { 'content-type': HELLO_CONTENT_TYPE }, body: HELLO_BODY };

listenZokioHttp(rt, () => ready(() => ready(RESPONSE)), backlog);
