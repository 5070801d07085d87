/**
 * `UnixListener` and `UnixStream`: Unix stream sockets by path. A Unix stream socket has exactly the API of a TCP
 * one — reads and accepts stay cancel-safe, writes stay ordered — so these are the same classes, {@link TcpListener}
 * and {@link TcpStream}, reached by a path instead of a host and port. They exist so that code that means a path
 * says so, and gets a clear error when it is handed something else.
 *
 * @module
 */
import type { Future } from '@zokio/future';
import { invalidArgument } from './errors.js';
import { TcpListener, type BindOptions } from './tcp-listener.js';
import { TcpStream, type ConnectOptions } from './tcp-stream.js';

function checkPath(path: unknown, where: string): string {
  if (typeof path !== 'string' || path.length === 0)
    throw invalidArgument(where, 'path', 'a non-empty socket path', path, 'ERR_INVALID_ARG_TYPE');
  return path;
}

/**
 * Listens on a Unix stream socket.
 *
 * @example
 * ```ts
 * import { rmSync } from 'node:fs';
 * import { UnixListener, UnixStream } from '@zokio/net';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   using listener = yield* UnixListener.bind('/tmp/app.sock');
 *   using client = yield* UnixStream.connect('/tmp/app.sock');
 *   using stream = yield* listener.accept();
 *   yield* client.writeAll('ping');
 *   yield* client.shutdown();
 *   console.log((yield* stream.readToEnd()).toString()); // ping
 * });
 * rmSync('/tmp/app.sock', { force: true }); // the listener is closed: remove its file
 * ```
 * @category Unix
 */
export const UnixListener = {
  /** Binds `path` (which must not exist yet) and listens. Remove the file after closing the listener. */
  bind(path: string, options?: BindOptions): Future<TcpListener> {
    return TcpListener.bind({ path: checkPath(path, 'UnixListener.bind') }, options);
  },
} as const;

/**
 * Connects to a Unix stream socket.
 *
 * @example
 * ```ts
 * import { rmSync } from 'node:fs';
 * import { UnixListener, UnixStream } from '@zokio/net';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   using listener = yield* UnixListener.bind('/tmp/app-stream.sock');
 *   using stream = yield* UnixStream.connect('/tmp/app-stream.sock');
 *   yield* stream.writeAll('ping');
 *   yield* stream.shutdown();
 *   using server = yield* listener.accept();
 *   console.log((yield* server.readToEnd()).toString()); // ping
 * });
 * rmSync('/tmp/app-stream.sock', { force: true });
 * ```
 * @category Unix
 */
export const UnixStream = {
  /** Connects to the socket at `path`. **Cancel-safe**, as {@link TcpStream.connect}. */
  connect(path: string, options?: ConnectOptions): Future<TcpStream> {
    return TcpStream.connect({ path: checkPath(path, 'UnixStream.connect') }, options);
  },
} as const;
