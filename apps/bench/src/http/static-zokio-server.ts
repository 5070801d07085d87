/**
 * The zokio static file server of `serve_static`: `node --expose-gc dist/http/static-zokio-server.js --backend
 * io_uring|epoll --root DIR --backlog N`. `@zokio/serve` as a program uses it: `Runtime.create({ io })`, one
 * `rt.blockOn`, `staticFiles(DIR)` with its defaults, `HttpServer.bind('127.0.0.1:0', handler)` with the server's
 * default limits and timeouts, and `serve()` until the bench is done. Prints its port and answers `stats` like the
 * other servers (`server-control.ts`).
 *
 * @module
 */
import { future } from '@zokio/future';
import { HttpServer } from '@zokio/http';
import { Runtime } from '@zokio/runtime';
import { staticFiles } from '@zokio/serve';
import { Counts, die, flag, integerFlag, serveCommands } from '../net/server-control.js';

const argv = process.argv.slice(2);
const backend = flag(argv, 'backend');
if (backend !== 'io_uring' && backend !== 'epoll' && backend !== 'js') {
  process.stderr.write(`Expected --backend to be one of io_uring, epoll, js, got ${JSON.stringify(backend)}\n`);
  process.exit(2);
}
const root = flag(argv, 'root');
if (root === undefined || root === '') {
  process.stderr.write('Expected --root DIR, the directory to serve, got none\n');
  process.exit(2);
}
const backlog = integerFlag(argv, 'backlog');

// The row is labelled with its backend: ZOKIO_IO_DRIVER, which overrides the config's `io`, must not swap it.
delete process.env['ZOKIO_IO_DRIVER'];
const rt = Runtime.create({ io: backend });
const io = /^\s*io:\s*(\S+)/m.exec(rt.describe())?.[1];
if (io !== backend) die(new Error(`Expected the runtime's I/O backend to be ${backend}, got ${io ?? 'none'}`));

const counts = new Counts();

rt.blockOn(
  future(function* () {
    const handler = yield* staticFiles(root);
    // `onError` counts what the server would log (a handler's error, a failed accept): the bench reports it.
    const server = yield* HttpServer.bind('127.0.0.1:0', handler, {
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
