/**
 * What every HTTP scenario server shares: a `node:http` server, or an `@zokio/http` server on the runtime of the
 * backend its row is named after, listening on 127.0.0.1 port 0, counting connections and errors, printing its port
 * and answering `stats` (`server-control.ts`). Each server script only brings its handler.
 *
 * @module
 */
import { createServer, type RequestListener } from 'node:http';
import { future, type Future } from '@zokio/future';
import { HttpServer, type Handler } from '@zokio/http';
import { Runtime } from '@zokio/runtime';
import { Counts, die, flag, serveCommands } from '../net/server-control.js';
import { clientGone } from './hello.js';

/** Serves `handler` with `node:http` and Node's defaults; `counts` are what `stats` reports. */
export function listenNodeHttp(handler: RequestListener, backlog: number, counts = new Counts()): void {
  const server = createServer(handler);
  server.on('connection', (socket) => {
    counts.accepted++;
    counts.open++;
    socket.on('close', () => counts.open--);
  });
  // What Node does by default for a client gone or a request it cannot parse, drop the connection; the latter counted.
  server.on('clientError', (error, socket) => {
    if (!clientGone(error)) counts.failed(error);
    socket.destroy();
  });
  server.on('error', die);
  server.listen({ host: '127.0.0.1', port: 0, backlog }, () => {
    const address = server.address();
    if (address === null || typeof address === 'string') die(new Error(`Expected a TCP address, got ${address}`));
    serveCommands(address.port, counts);
  });
}

/** The runtime on the backend named by `--backend` (exits with a message on anything else). */
export function runtimeFromArgs(argv: readonly string[]): Runtime {
  const backend = flag(argv, 'backend');
  if (backend !== 'io_uring' && backend !== 'epoll' && backend !== 'js') {
    process.stderr.write(`Expected --backend to be one of io_uring, epoll, js, got ${JSON.stringify(backend)}\n`);
    process.exit(2);
  }
  // The row is labelled with its backend: ZOKIO_IO_DRIVER, which overrides the config's `io`, must not swap it.
  delete process.env['ZOKIO_IO_DRIVER'];
  const rt = Runtime.create({ io: backend });
  const io = /^\s*io:\s*(\S+)/m.exec(rt.describe())?.[1];
  if (io !== backend) die(new Error(`Expected the runtime's I/O backend to be ${backend}, got ${io ?? 'none'}`));
  return rt;
}

/** Serves the handler `makeHandler` yields with `@zokio/http` and its default limits and timeouts, on `rt`. */
export function listenZokioHttp(rt: Runtime, makeHandler: () => Future<Handler>, backlog: number): void {
  const counts = new Counts();
  rt.blockOn(
    future(function* () {
      const handler = yield* makeHandler();
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
}
