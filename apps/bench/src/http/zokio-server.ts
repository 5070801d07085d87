/**
 * The zokio server of `http_hello`: `node --expose-gc dist/http/zokio-server.js --backend io_uring|epoll --backlog
 * N`. `@zokio/http` as a program uses it: `Runtime.create({ io })`, one `rt.blockOn`, `HttpServer.bind` on
 * `127.0.0.1:0` with a handler that answers every request with the same `Response` at once (`ready`), and
 * `serve()` until the bench is done. The server's limits and timeouts are its defaults. Prints its port and answers
 * `stats` like the TCP scenarios' servers (`server-control.ts`).
 *
 * @module
 */
import { future, ready } from '@zokio/future';
import { HttpServer, type Response } from '@zokio/http';
import { Runtime } from '@zokio/runtime';
import { Counts, die, flag, integerFlag, serveCommands } from '../net/server-control.js';
import { HELLO_BODY, HELLO_CONTENT_TYPE } from './hello.js';

const argv = process.argv.slice(2);
const backend = flag(argv, 'backend');
if (backend !== 'io_uring' && backend !== 'epoll' && backend !== 'js') {
  process.stderr.write(`Expected --backend to be one of io_uring, epoll, js, got ${JSON.stringify(backend)}\n`);
  process.exit(2);
}
const backlog = integerFlag(argv, 'backlog');

// The row is labelled with its backend: ZOKIO_IO_DRIVER, which overrides the config's `io`, must not swap it.
delete process.env['ZOKIO_IO_DRIVER'];
const rt = Runtime.create({ io: backend });
const io = /^\s*io:\s*(\S+)/m.exec(rt.describe())?.[1];
if (io !== backend) die(new Error(`Expected the runtime's I/O backend to be ${backend}, got ${io ?? 'none'}`));

const RESPONSE: Response = { headers: { 'content-type': HELLO_CONTENT_TYPE }, body: HELLO_BODY };
const counts = new Counts();

rt.blockOn(
  future(function* () {
    // `onError` counts what the server would log (a handler's error, a failed accept): the bench reports it.
    const server = yield* HttpServer.bind('127.0.0.1:0', () => ready(RESPONSE), {
      backlog,
      onError: (error) => counts.failed(error),
    });
    const address = server.address;
    if (address.family === 'unix') throw new Error(`Expected a TCP address, got ${address.path}`);
    counts.detail = () => `${server.connections} connections open`;
    serveCommands(address.port, counts);
    yield* server.serve();
  }),
).catch(die);
