/**
 * {@link Incoming}: a listener's connections as a stream that generator code pulls from, one `next()` at a time.
 *
 * Why `next()` and not an iterator: a zokio future is itself iterable — that is how `yield*` awaits it — so an
 * iterable stream of connections would be confused with a future by `yield*`, the iterator protocol is
 * synchronous (`for…of` cannot wait), and `for await` does not run inside generator futures. A `next()` that
 * returns a future is the shape that composes with `yield*`, `race` and `select`, like `Receiver.recv()` of
 * `@zokio/sync`.
 *
 * @module
 */
import type { Future } from '@zokio/future';
import type { TcpListener } from './tcp-listener.js';
import type { TcpStream } from './tcp-stream.js';

/**
 * The connections of a {@link TcpListener}: `next()` is the next accepted connection, in arrival order.
 *
 * It fails with `EBADF` once the listener is closed, like `accept()`: a serving loop ends by closing the listener
 * (or by dropping `next()` in a `race` with a shutdown signal — which loses nothing).
 *
 * @example
 * ```ts
 * import { fn, race, type Future } from '@zokio/future';
 * import { TcpListener, type TcpStream } from '@zokio/net';
 * import { ctrlC, main } from '@zokio/runtime';
 * import { spawn } from '@zokio/scheduler';
 * import { sleep } from '@zokio/time';
 *
 * const greet = fn(function* (stream: TcpStream) {
 *   using s = stream;
 *   yield* s.writeAll('hello\n');
 * });
 *
 * const serve = fn(function* (listener: TcpListener, stop: Future<unknown>) {
 *   const connections = listener.incoming();
 *   const acceptLoop = fn(function* () {
 *     for (;;) spawn(greet(yield* connections.next()));
 *   });
 *   // Once `stop` completes, the loop is cancelled: its next() is dropped, and a connection that arrives now
 *   // waits for the next accept.
 *   yield* race([acceptLoop(), stop]);
 * });
 *
 * await main(function* () {
 *   using listener = yield* TcpListener.bind('127.0.0.1:0');
 *   console.log('listening on', listener.localAddr());
 *   yield* serve(listener, race([ctrlC(), sleep(1_000)])); // Ctrl-C, or a second for this demo
 * });
 * ```
 * @category TCP
 */
export class Incoming {
  readonly #listener: TcpListener;

  /** @internal Made by `TcpListener.incoming()`. */
  constructor(listener: TcpListener) {
    this.#listener = listener;
  }

  /** The listener the connections come from. */
  get listener(): TcpListener {
    return this.#listener;
  }

  /**
   * The next connection (the oldest the kernel has accepted and nobody has taken).
   *
   * **Cancel-safe**: a dropped `next()` loses no connection; one that arrives after the drop waits for the next
   * `next()` or `accept()`.
   *
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   const connections = listener.incoming();
   *   using client = yield* TcpStream.connect(listener.localAddr());
   *   using stream = yield* connections.next();
   *   console.log('from', stream.peerAddr()); // the client's address, client.localAddr()
   * });
   * ```
   */
  next(): Future<TcpStream> {
    return this.#listener.accept();
  }
}
