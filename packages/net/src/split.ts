/**
 * {@link ReadHalf} and {@link WriteHalf}: a {@link TcpStream} moved into two owned halves by
 * `TcpStream.intoSplit()`, so that one task reads while another writes (Tokio's `OwnedReadHalf`/`OwnedWriteHalf`).
 *
 * Both halves use one stream that nothing else can reach; each half only adds its own `closed` flag, and the
 * socket is closed when the second half is closed or disposed. Reads keep the stream's guarantees (cancel-safe
 * through its `ReadGate`), and so do writes (one `WriteLine`: several tasks may share the write half and their
 * writes never interleave).
 *
 * Closing one half while the other lives on:
 * - the **read half**: a read in flight fails with `ECANCELED`; the socket stays open for the writer.
 * - the **write half**: the sending side is shut down at once (the peer reads the end), as when Tokio drops an
 *   `OwnedWriteHalf`. Close it after its writes have finished: one still in flight may fail with `EPIPE`.
 *
 * @module
 */
import { ready, type Future } from '@zokio/future';
import { IGNORE, type SocketAddress } from '@zokio/io-driver';
import { MAX_BUFFER_BYTES } from '@zokio/memory';
import { closedSocket } from './errors.js';
import type { TcpStream } from './tcp-stream.js';

/** The stream both halves use, and how many of them are still open. @internal */
export class Halves {
  readonly stream: TcpStream;
  open = 2;

  constructor(stream: TcpStream) {
    this.stream = stream;
  }

  /** One half closed (`close()`); the second closes the socket and waits for that. */
  release(): Future<void> {
    return --this.open > 0 ? ready(undefined) : this.stream.close();
  }

  /** One half disposed (`using`); the second submits the socket's close. */
  releaseNow(): void {
    if (--this.open === 0) this.stream[Symbol.dispose]();
  }

  /** One half disposed (`await using`); the second closes the socket. */
  releaseAsync(): Promise<void> {
    return --this.open > 0 ? Promise.resolve() : this.stream[Symbol.asyncDispose]();
  }
}

/** @internal `TcpStream.intoSplit`: the halves over `stream`, which nothing else holds. */
export function splitStream(stream: TcpStream): { reader: ReadHalf; writer: WriteHalf } {
  const halves = new Halves(stream);
  return { reader: new ReadHalf(halves), writer: new WriteHalf(halves) };
}

/**
 * The reading half of a split {@link TcpStream}: `read`, `readExact`, `readToEnd`, with the stream's guarantees.
 *
 * @example
 * ```ts
 * import { TcpListener, TcpStream } from '@zokio/net';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   using listener = yield* TcpListener.bind('127.0.0.1:0');
 *   using client = yield* TcpStream.connect(listener.localAddr());
 *   const { reader, writer } = (yield* listener.accept()).intoSplit();
 *   using r = reader;
 *   using w = writer;
 *   yield* client.writeAll('hello');
 *   yield* client.shutdown();
 *   for (let chunk = yield* r.read(); chunk.length > 0; chunk = yield* r.read()) yield* w.writeAll(chunk); // echo
 *   yield* w.shutdown();
 *   console.log((yield* client.readToEnd()).toString()); // hello
 * });
 * ```
 * @category TCP
 */
export class ReadHalf implements Disposable, AsyncDisposable {
  readonly #halves: Halves;
  #closed = false;

  /** @internal Made by `TcpStream.intoSplit`. */
  constructor(halves: Halves) {
    this.#halves = halves;
  }

  /** True once this half was closed. */
  get closed(): boolean {
    return this.#closed;
  }

  #stream(syscall: string): TcpStream {
    const stream = this.#halves.stream;
    if (this.#closed) throw closedSocket(syscall, stream.label);
    return stream;
  }

  /**
   * Receives up to `maxLength` bytes (at most 64 KiB); an empty buffer means the peer closed its side.
   *
   * **Cancel-safe**, as `TcpStream.read`: bytes a dropped read received anyway are returned by the next read.
   *
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   const { reader, writer } = (yield* TcpStream.connect(listener.localAddr())).intoSplit();
   *   using r = reader;
   *   using w = writer;
   *   using peer = yield* listener.accept();
   *   yield* peer.writeAll('hello');
   *   const chunk = yield* r.read(); // what has arrived, up to 64 KiB
   *   console.log(chunk.toString());
   * });
   * ```
   */
  read(maxLength: number = MAX_BUFFER_BYTES): Future<Buffer> {
    return this.#stream('recv').read(maxLength);
  }

  /**
   * Receives exactly `length` bytes, or fails with `ERR_ZOKIO_UNEXPECTED_EOF` if the peer closes first.
   *
   * **Cancel-safe** in that no byte is lost, as `TcpStream.readExact`.
   *
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   const { reader, writer } = (yield* TcpStream.connect(listener.localAddr())).intoSplit();
   *   using r = reader;
   *   using w = writer;
   *   using peer = yield* listener.accept();
   *   yield* peer.writev([Buffer.from([0, 0, 0, 5]), 'hello']); // a 4-byte length, then the body
   *   const header = yield* r.readExact(4);
   *   const body = yield* r.readExact(header.readUInt32BE(0));
   *   console.log(body.toString()); // hello
   * });
   * ```
   */
  readExact(length: number): Future<Buffer> {
    return this.#stream('recv').readExact(length);
  }

  /**
   * Receives until the peer closes its side, and returns everything.
   *
   * **Cancel-safe** in that no byte is lost, as `TcpStream.readToEnd`.
   *
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   const { reader, writer } = (yield* TcpStream.connect(listener.localAddr())).intoSplit();
   *   using r = reader;
   *   using w = writer;
   *   using peer = yield* listener.accept();
   *   yield* peer.writeAll('hello');
   *   yield* peer.shutdown();
   *   const rest = yield* r.readToEnd();
   *   console.log(rest.toString()); // hello
   * });
   * ```
   */
  readToEnd(): Future<Buffer> {
    return this.#stream('recv').readToEnd();
  }

  /** The peer's address. */
  peerAddr(): SocketAddress {
    return this.#stream('getpeername').peerAddr();
  }

  /** The local address. */
  localAddr(): SocketAddress {
    return this.#stream('getsockname').localAddr();
  }

  /**
   * Closes this half: a read in flight fails with `ECANCELED`, later reads with `EBADF`. If the write half is
   * closed too, the socket is closed (the future waits for that close). Idempotent.
   *
   * **Cancel-safe**: the half is closed from the call on.
   *
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   const { reader, writer } = (yield* TcpStream.connect(listener.localAddr())).intoSplit();
   *   using r = reader;
   *   using w = writer;
   *   using peer = yield* listener.accept();
   *   yield* r.close(); // done reading: the socket stays open for the writer
   *   yield* w.writeAll('bye');
   *   yield* w.close(); // the second half: the socket is closed
   *   console.log((yield* peer.readToEnd()).toString()); // bye
   * });
   * ```
   */
  close(): Future<void> {
    return this.#shut() ? this.#halves.release() : ready(undefined);
  }

  #shut(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    this.#halves.stream.interruptRead();
    return true;
  }

  /** Closes this half, for `using` (a socket close is submitted, not awaited). */
  [Symbol.dispose](): void {
    if (this.#shut()) this.#halves.releaseNow();
  }

  /** Closes this half, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#shut() ? this.#halves.releaseAsync() : Promise.resolve();
  }
}

/**
 * The writing half of a split {@link TcpStream}: `write`, `writeAll`, `writev`, `shutdown`. Several tasks may
 * write through it at once: each write's bytes go out whole, in the order the writes were first polled.
 *
 * @example
 * ```ts
 * import { fn, join } from '@zokio/future';
 * import { TcpListener, TcpStream } from '@zokio/net';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   using listener = yield* TcpListener.bind('127.0.0.1:0');
 *   const { reader, writer } = (yield* TcpStream.connect(listener.localAddr())).intoSplit();
 *   using r = reader;
 *   using peer = yield* listener.accept();
 *   const send = fn(function* () {
 *     using w = writer; // closed at the end: the peer reads the end
 *     yield* join(w.writeAll('hello '), w.writeAll('world')); // two writes at once, each whole
 *   });
 *   const [, received] = yield* join(send(), peer.readToEnd());
 *   console.log(received.toString()); // hello world
 * });
 * ```
 * @category TCP
 */
export class WriteHalf implements Disposable, AsyncDisposable {
  readonly #halves: Halves;
  #closed = false;

  /** @internal Made by `TcpStream.intoSplit`. */
  constructor(halves: Halves) {
    this.#halves = halves;
  }

  /** True once this half was closed. */
  get closed(): boolean {
    return this.#closed;
  }

  #stream(syscall: string): TcpStream {
    const stream = this.#halves.stream;
    if (this.#closed) throw closedSocket(syscall, stream.label);
    return stream;
  }

  /**
   * Sends up to 64 KiB of `data` in one op, after the writes before it; returns the bytes sent.
   *
   * **Not cancel-safe** once its turn came, as `TcpStream.write` (dropped while waiting: nothing was sent).
   *
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   const { reader, writer } = (yield* TcpStream.connect(listener.localAddr())).intoSplit();
   *   using r = reader;
   *   using w = writer;
   *   using peer = yield* listener.accept();
   *   const n = yield* w.write('ping');
   *   console.log(n); // 4 (a write may send less than it is given: writeAll sends everything)
   * });
   * ```
   */
  write(data: Uint8Array | string): Future<number> {
    return this.#stream('send').write(data);
  }

  /**
   * Sends all of `data`, in order; concurrent writes never interleave with it.
   *
   * **Not cancel-safe** once its turn came, as `TcpStream.writeAll` (dropped while waiting: nothing was sent).
   *
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   const { reader, writer } = (yield* TcpStream.connect(listener.localAddr())).intoSplit();
   *   using r = reader;
   *   using w = writer;
   *   using peer = yield* listener.accept();
   *   const frame = Buffer.from('hello\n');
   *   yield* w.writeAll(frame);
   *   yield* w.shutdown();
   *   console.log((yield* peer.readToEnd()).toString()); // hello
   * });
   * ```
   */
  writeAll(data: Uint8Array | string): Future<void> {
    return this.#stream('send').writeAll(data);
  }

  /**
   * Sends every byte of `chunks`, in order, as one write (small chunks gathered into one send).
   *
   * **Not cancel-safe** once its turn came, as `TcpStream.writev`.
   *
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   const { reader, writer } = (yield* TcpStream.connect(listener.localAddr())).intoSplit();
   *   using r = reader;
   *   using w = writer;
   *   using peer = yield* listener.accept();
   *   const body = Buffer.from('hello');
   *   const header = Buffer.alloc(4);
   *   header.writeUInt32BE(body.length);
   *   yield* w.writev([header, body]); // one write: no other write comes between the two
   *   const length = (yield* peer.readExact(4)).readUInt32BE(0);
   *   console.log((yield* peer.readExact(length)).toString()); // hello
   * });
   * ```
   */
  writev(chunks: readonly (Uint8Array | string)[]): Future<void> {
    return this.#stream('send').writev(chunks);
  }

  /**
   * Shuts down the sending side after the writes before it: the peer reads the end. The half stays open (close it
   * to let the socket go).
   *
   * **Cancel-safe**: dropped, the shutdown may or may not have happened.
   *
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   const { reader, writer } = (yield* TcpStream.connect(listener.localAddr())).intoSplit();
   *   using r = reader;
   *   using w = writer;
   *   using peer = yield* listener.accept();
   *   yield* w.writeAll('ping');
   *   yield* w.shutdown(); // done sending: the peer reads the end
   *   console.log((yield* peer.readToEnd()).toString()); // ping
   *   yield* peer.writeAll('pong'); // the other direction stays open
   *   console.log((yield* r.readExact(4)).toString()); // pong
   * });
   * ```
   */
  shutdown(): Future<void> {
    return this.#stream('shutdown').shutdown('write');
  }

  /** Disables (or enables) Nagle's algorithm: small writes go out at once. */
  setNoDelay(noDelay = true): void {
    this.#stream('setsockopt').setNoDelay(noDelay);
  }

  /** The peer's address. */
  peerAddr(): SocketAddress {
    return this.#stream('getpeername').peerAddr();
  }

  /** The local address. */
  localAddr(): SocketAddress {
    return this.#stream('getsockname').localAddr();
  }

  /**
   * Closes this half. With the read half still open, the sending side is shut down at once (the peer reads the
   * end); otherwise the socket is closed (the future waits for that close). Idempotent; later writes fail with
   * `EBADF`.
   *
   * **Cancel-safe**: the half is closed from the call on.
   *
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   const { reader, writer } = (yield* TcpStream.connect(listener.localAddr())).intoSplit();
   *   using r = reader;
   *   using peer = yield* listener.accept();
   *   yield* writer.writeAll('bye');
   *   yield* writer.close(); // the read half is still open: the sending side is shut down, the peer reads the end
   *   console.log((yield* peer.readToEnd()).toString()); // bye
   * });
   * ```
   */
  close(): Future<void> {
    return this.#shut() ? this.#halves.release() : ready(undefined);
  }

  /** Marks the half closed; with the reader still open, submits the shutdown of the sending side. */
  #shut(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    const { stream, open } = this.#halves;
    if (open > 1 && !stream.closed) stream.driver.shutdownSocket(stream.fd, 1, IGNORE);
    return true;
  }

  /** Closes this half, for `using` (a socket close is submitted, not awaited). */
  [Symbol.dispose](): void {
    if (this.#shut()) this.#halves.releaseNow();
  }

  /** Closes this half, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#shut() ? this.#halves.releaseAsync() : Promise.resolve();
  }
}
