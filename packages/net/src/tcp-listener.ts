/**
 * {@link TcpListener}: a listening TCP (or Unix stream) socket.
 *
 * ## Accepting without losing connections
 * The first `accept()` arms one **multishot accept** on the socket; from then on every connection the kernel
 * accepts lands in the listener's queue, and `accept()` futures take from it in FIFO order. So an `accept()`
 * dropped while it waits loses nothing: a connection that arrives after the drop waits in the queue for the next
 * `accept()`. (A single-shot accept, cancelled as its connection arrives, would have to close that connection.)
 *
 * The queue is bounded only by what clients send: while nobody accepts, connections that would have waited in the
 * kernel's backlog wait here instead (each is one fd). If the multishot ends (the kernel may end it on an error),
 * it is armed again at the next `accept()`; its error goes to the `accept()` waiting first.
 *
 * Each waiting `accept()` stands in the line of waiters as itself (it wakes the task that last polled it), not as
 * its task's waker: two `accept()`s of one task (a `join`, a `select`) are two places in line, and dropping one
 * gives up only its own place.
 *
 * `incoming()` offers the same queue as a stream of connections (`Incoming.next()`), with the same guarantee.
 *
 * `close()` stops accepting: the multishot is cancelled (a connection racing the cancel is closed by the driver),
 * queued connections are closed, and waiting `accept()`s fail with `EBADF`.
 *
 * @module
 */
import {
  FutureBase,
  fn,
  PENDING,
  ready,
  type Cleanup,
  type Context,
  type Future,
  type Poll,
  type Waker,
} from '@zokio/future';
import {
  closeNow,
  COMPLETION_MORE,
  domainOf,
  FdGuard,
  IGNORE,
  ioDriverOf,
  IoError,
  SOCK_STREAM,
  submitClose,
  type CompletionHandler,
  type IoDriver,
  type SocketAddress,
} from '@zokio/io-driver';
import { formatAddress, toSocketAddress, type AddressLike } from './address.js';
import { closedSocket, invalidArgument } from './errors.js';
import { Incoming } from './incoming.js';
import { bindSocket, listenSocket, openSocket, setReuseAddress } from './socket-ops.js';
import { addressOf, TcpStream } from './tcp-stream.js';

/** Options of {@link TcpListener.bind}. @category TCP */
export interface BindOptions {
  /** The kernel's queue of connections not yet accepted. @default 511 */
  readonly backlog?: number;
  /** `SO_REUSEADDR` (TCP only): rebind a port with connections in `TIME_WAIT`. @default true */
  readonly reuseAddress?: boolean;
}

const bindListener = fn(function* (address: SocketAddress, label: string, backlog: number, reuseAddress: boolean) {
  const guard = new FdGuard();
  try {
    const fd = yield* openSocket(domainOf(address), SOCK_STREAM, label, guard);
    if (address.family !== 'unix' && reuseAddress) setReuseAddress(guard.driver, fd, label);
    yield* bindSocket(fd, address, label);
    yield* listenSocket(fd, backlog, label);
    return new TcpListener(guard.take(), guard.driver, address);
  } finally {
    guard.release();
  }
});

/**
 * A listening stream socket.
 *
 * @example
 * ```ts
 * import { fn, race } from '@zokio/future';
 * import { TcpListener, type TcpStream } from '@zokio/net';
 * import { ctrlC, main } from '@zokio/runtime';
 * import { spawn } from '@zokio/scheduler';
 * import { sleep } from '@zokio/time';
 *
 * const echo = fn(function* (stream: TcpStream) {
 *   using s = stream;
 *   for (let chunk = yield* s.read(); chunk.length > 0; chunk = yield* s.read()) yield* s.writeAll(chunk);
 * });
 *
 * await main(function* () {
 *   using listener = yield* TcpListener.bind('127.0.0.1:0');
 *   console.log('listening on', listener.localAddr());
 *   const acceptLoop = fn(function* () {
 *     for (;;) spawn(echo(yield* listener.accept()));
 *   });
 *   yield* race([acceptLoop(), ctrlC(), sleep(1_000)]); // until Ctrl-C, or a second for this demo
 * });
 * ```
 * @category TCP
 */
export class TcpListener implements Disposable, CompletionHandler {
  readonly #driver: IoDriver;
  readonly #address: SocketAddress;
  readonly #label: string;
  #fd: number;
  /** Accepted fds not yet taken, oldest first. */
  readonly #ready: number[] = [];
  /** `accept()` futures waiting, first come first served: each is its own entry (see the module doc). */
  #waiters: Waker[] = [];
  /** The multishot accept's token while armed. */
  #token = -1;
  /** An error that ended the multishot, for the next accept. */
  #error: IoError | undefined = undefined;

  /** @internal Made by {@link TcpListener.bind}. */
  constructor(fd: number, driver: IoDriver, address: SocketAddress) {
    this.#fd = fd;
    this.#driver = driver;
    this.#address = address;
    this.#label = formatAddress(address);
  }

  /**
   * Binds to `address` and listens. Port 0 picks a free port: read it with {@link localAddr}.
   *
   * **Cancel-safe**: dropped, the socket is closed.
   *
   * @example
   * ```ts
   * import { TcpListener } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind({ host: '::1', port: 0 }, { backlog: 1024 });
   *   console.log('listening on', listener.localAddr()); // { family: 'ipv6', address: '::1', port: <free port>, … }
   * });
   * ```
   */
  static bind(address: AddressLike, options: BindOptions = {}): Future<TcpListener> {
    const a = toSocketAddress(address, 'TcpListener.bind');
    if (typeof options !== 'object' || options === null) {
      throw invalidArgument('TcpListener.bind', 'options', 'an object', options, 'ERR_INVALID_ARG_TYPE');
    }
    const backlog = options.backlog ?? 511;
    if (typeof backlog !== 'number') {
      throw invalidArgument(
        'TcpListener.bind',
        'backlog',
        'an integer from 1 to 65535',
        backlog,
        'ERR_INVALID_ARG_TYPE',
      );
    }
    if (!Number.isInteger(backlog) || backlog < 1 || backlog > 65535) {
      throw invalidArgument('TcpListener.bind', 'backlog', 'an integer from 1 to 65535', backlog);
    }
    const reuse = options.reuseAddress ?? true;
    if (typeof reuse !== 'boolean') {
      throw invalidArgument('TcpListener.bind', 'reuseAddress', 'a boolean', reuse, 'ERR_INVALID_ARG_TYPE');
    }
    return bindListener(a, formatAddress(a), backlog, reuse);
  }

  /** The socket's fd; −1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  /** The address the listener is bound to (with the port the kernel picked for port 0). */
  localAddr(): SocketAddress {
    if (this.#fd < 0) throw closedSocket('getsockname', this.#label);
    return this.#address.family === 'unix'
      ? this.#address
      : addressOf(this.#driver, this.#fd, false, 'getsockname', this.#label);
  }

  /** Connections accepted by the kernel and waiting for an `accept()`. */
  get queued(): number {
    return this.#ready.length;
  }

  /**
   * The next connection, as a {@link TcpStream}.
   *
   * **Cancel-safe**: a dropped `accept()` loses nothing; a connection arriving after the drop waits for the next.
   *
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   using client = yield* TcpStream.connect(listener.localAddr());
   *   using stream = yield* listener.accept();
   *   console.log('from', stream.peerAddr()); // the client's address, client.localAddr()
   * });
   * ```
   */
  accept(): Future<TcpStream> {
    if (this.#fd < 0) throw closedSocket('accept', this.#label);
    return new AcceptFuture(this);
  }

  /**
   * The listener's connections as an {@link Incoming}: `next()` is the next connection, as `accept()`, for loops
   * and for code that takes a source of connections rather than a listener.
   *
   * **Cancel-safe**, as `accept()`: a dropped `next()` loses no connection.
   *
   * @example
   * ```ts
   * import { fn, race } from '@zokio/future';
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
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   console.log('listening on', listener.localAddr());
   *   const connections = listener.incoming();
   *   const acceptLoop = fn(function* () {
   *     for (;;) spawn(greet(yield* connections.next()));
   *   });
   *   yield* race([acceptLoop(), ctrlC(), sleep(1_000)]); // until Ctrl-C, or a second for this demo
   * });
   * ```
   */
  incoming(): Incoming {
    if (this.#fd < 0) throw closedSocket('accept', this.#label);
    return new Incoming(this);
  }

  /**
   * @internal Takes a queued connection, or puts `waiter` (the `accept()` itself) in line; `undefined` while none is
   * ready. `waited`: `waiter` was put in line before (it leaves the line when it takes a connection or an error).
   */
  pollAccept(waiter: Waker, waited: boolean): TcpStream | undefined {
    if (this.#fd < 0) throw closedSocket('accept', this.#label);
    const fd = this.#ready.shift();
    if (fd !== undefined) {
      if (waited) this.forget(waiter);
      return new TcpStream(fd, this.#driver, this.#peerLabel(fd));
    }
    const error = this.#error;
    if (error !== undefined) {
      this.#error = undefined;
      if (waited) this.forget(waiter);
      throw error;
    }
    if (this.#token < 0) this.#token = this.#driver.accept(this.#fd, this, { multishot: true });
    if (!waited || !this.#waiters.includes(waiter)) this.#waiters.push(waiter);
    return undefined;
  }

  #peerLabel(fd: number): string {
    if (this.#address.family === 'unix') return this.#label;
    try {
      return formatAddress(addressOf(this.#driver, fd, true, 'getpeername', this.#label));
    } catch {
      return this.#label;
    }
  }

  /** @internal An `accept()` dropped while waiting (or done) leaves the line; others, even of its task, stay. */
  forget(waiter: Waker): void {
    const i = this.#waiters.indexOf(waiter);
    if (i >= 0) this.#waiters.splice(i, 1);
    // Not in line: it was woken for a connection it will now never take, so the next in line gets the wake-up.
    else if (this.#ready.length > 0) this.#waiters.shift()?.wake();
  }

  /** @internal The multishot accept's completions. */
  complete(res: number, flags: number): void {
    const more = (flags & COMPLETION_MORE) !== 0;
    if (!more) this.#token = -1;
    if (this.#fd < 0) {
      if (res >= 0) this.#driver.close(res, IGNORE); // accepted as the listener closed
      return;
    }
    if (res >= 0) this.#ready.push(res);
    else if (!more && res !== -125) this.#error = IoError.fromResult(res, 'accept', this.#label);
    if (more) {
      this.#waiters.shift()?.wake();
      return;
    }
    // The multishot accept ended (an error, or a backend that stops it): nothing is armed any more. Everyone waiting
    // is woken, so the first to poll takes this result and the others arm a new accept — woken alone, one waiter
    // would take the error and leave the rest waiting on an accept that no longer exists.
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waker of waiters) waker.wake();
  }

  /**
   * Stops listening: the socket is closed, queued connections are closed, waiting `accept()`s fail with `EBADF`.
   *
   * **Cancel-safe**: the listener is closed from the call on.
   *
   * @example
   * ```ts
   * import { IoError, TcpListener } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   const listener = yield* TcpListener.bind('127.0.0.1:0');
   *   yield* listener.close();
   *   try {
   *     yield* listener.accept();
   *   } catch (e) {
   *     if (e instanceof IoError) console.log(e.code); // EBADF
   *   }
   * });
   * ```
   */
  close(): Future<void> {
    const fd = this.#shut();
    return fd < 0 ? ready(undefined) : closeNow(this.#driver, fd, this.#label);
  }

  /** Closes the listener, for `using`: the close is submitted at once. */
  [Symbol.dispose](): void {
    const fd = this.#shut();
    if (fd >= 0) submitClose(this.#driver, fd);
  }

  /** Marks the listener closed and lets go of everything but the socket; returns the socket's fd (−1 if closed). */
  #shut(): number {
    const fd = this.#fd;
    if (fd < 0) return -1;
    this.#fd = -1;
    if (this.#token >= 0) this.#driver.cancel(this.#token);
    for (const queued of this.#ready.splice(0)) submitClose(this.#driver, queued);
    for (const waker of this.#waiters.splice(0)) waker.wake();
    return fd;
  }
}

/** One `accept()`: polls the listener's queue; while it waits, it is its own entry in the listener's line. */
class AcceptFuture extends FutureBase<TcpStream> implements Waker {
  readonly #listener: TcpListener;
  /** The waker of the task that last polled it while it waited; `undefined` while not waiting. */
  #waker: Waker | undefined = undefined;

  constructor(listener: TcpListener) {
    super();
    this.#listener = listener;
  }

  /** @internal Its entry in the listener's line: wakes the task that last polled it. */
  wake(): void {
    this.#waker?.wake();
  }

  poll(cx: Context): Poll<TcpStream> {
    ioDriverOf(cx); // an accept polled outside a runtime with I/O fails like every other I/O future
    const waited = this.#waker !== undefined;
    let stream: TcpStream | undefined;
    try {
      stream = this.#listener.pollAccept(this, waited);
    } catch (error) {
      this.#waker = undefined;
      throw error;
    }
    if (stream !== undefined) {
      this.#waker = undefined;
      return stream;
    }
    this.#waker = cx.waker;
    return PENDING;
  }

  override cancel(): Cleanup {
    if (this.#waker !== undefined) {
      this.#waker = undefined;
      this.#listener.forget(this);
    }
    return undefined;
  }
}
