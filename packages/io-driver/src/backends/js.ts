/**
 * The `js` backend: the contract of `contract.ts` on Node's own `fs`, `net` and `dgram` modules, for machines where
 * the native backends cannot load. It lives in `js/`, one concept per file:
 *
 * | file                 | concept                                                                  |
 * | -------------------- | ------------------------------------------------------------------------ |
 * | `backend.ts`         | the `Backend`: dispatch, the running table, cancellation, batching       |
 * | `op.ts`              | an op record's fields; a pending op and its completion protocol          |
 * | `arenas.ts`          | registered arenas: bounds-checked buffers, paths, iovec tables           |
 * | `files.ts`           | file ops on `fs`                                                         |
 * | `sockets.ts`         | virtual fds and the decoding of socket ops                               |
 * | `stream-socket.ts`   | a `SOCK_STREAM` fd's states: idle, listener, connection                  |
 * | `listener.ts`        | a bound stream socket: `net.Server` and its accept queue                 |
 * | `connection.ts`      | a connected `net.Socket` and its receive buffering                       |
 * | `datagram-socket.ts` | a UDP socket on `dgram` and its datagram queue                           |
 * | `receive.ts`         | receives: plain, provided-buffer, multishot                              |
 * | `buffer-groups.ts`   | provided-buffer groups                                                   |
 * | `poll.ts`            | `POLL_ADD` readiness                                                     |
 * | `addresses.ts`       | `struct sockaddr` ⇄ Node's addresses                                     |
 * | `errno.ts`           | Node error codes → negated errnos                                        |
 *
 * @module
 */
import type { BackendFactory } from '../contract.js';
import { JsBackend } from './js/backend.js';

/** Creates the `js` backend. */
export const createJsBackend: BackendFactory = (staging, completions, onCompletions) =>
  new JsBackend(staging, completions, onCompletions);
