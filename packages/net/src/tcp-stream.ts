/**
 * {@link TcpStream}: a connected TCP (or Unix stream) socket on the runtime's I/O driver.
 *
 * Reads are cancel-safe through a {@link ReadGate}: bytes a dropped read received anyway are kept, in order, for
 * the next read. One reader at a time (it may run concurrently with writers).
 *
 * Writes go through the stream's {@link WriteLine} (`write-line.ts`): any number of tasks may write at once, and
 * each write's bytes go out whole, in the order the writes were first polled. A write dropped while it waits for
 * its turn sent nothing; one dropped during its turn may have sent any prefix of its data.
 *
 * {@link TcpStream.intoSplit} moves the socket into a read half and a write half for two tasks (`split.ts`).
 *
 * @module
 */
import { constants as bufferConstants } from 'node:buffer';
import { fn, ready, type Future } from '@zokio/future';
import {
  closeNow,
  decodeSockaddr,
  domainOf,
  BoundOp,
  FdGuard,
  IoError,
  SOCK_STREAM,
  SOCKADDR_MAX_BYTES,
  SocketOption,
  submitClose,
  type IoDriver,
  type SocketAddress,
} from '@zokio/io-driver';
import { MAX_BUFFER_BYTES } from '@zokio/memory';
import { timeout, TimeoutError } from '@zokio/time';
import { formatAddress, toSocketAddress, type AddressLike } from './address.js';
import {
  closedSocket,
  ConnectTimeoutError,
  detachedArgument,
  invalidArgument,
  isDetached,
  UnexpectedEofError,
} from './errors.js';
import { GatedRead, ReadGate, type ReadSource } from './read-gate.js';
import { MultishotRead, MultishotReceiver, takeKept } from './multishot.js';
import { groupOf, ReceiveFuture } from './receive.js';
import { connectSocket, openSocket, shutdownSocket } from './socket-ops.js';
import { splitStream, type ReadHalf, type WriteHalf } from './split.js';
import { WriteLine } from './write-line.js';
import { ShutdownWriteFuture, WriteFuture } from './writes.js';

const BUFFER_MAX_LENGTH = bufferConstants.MAX_LENGTH;

function checkCount(value: unknown, where: string, argument: string): number {
  if (typeof value !== 'number')
    throw invalidArgument(where, argument, 'a non-negative integer', value, 'ERR_INVALID_ARG_TYPE');
  if (!Number.isSafeInteger(value) || value < 0)
    throw invalidArgument(where, argument, 'a non-negative integer', value);
  return value;
}

/** Bytes of `data` (a string is UTF-8). @internal */
export function toBytes(data: unknown, where: string): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data) && isDetached(data)) throw detachedArgument(where, 'data', data);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw invalidArgument(where, 'data', 'a string, Buffer or Uint8Array', data, 'ERR_INVALID_ARG_TYPE');
}

/** The `bytes` of a gathered write (its bytes are in its chunks). */
const EMPTY = new Uint8Array(0);

/** The non-empty chunks of a `writev` as bytes. */
function toChunks(chunks: unknown, where: string): Uint8Array[] {
  if (!Array.isArray(chunks)) {
    throw invalidArgument(
      where,
      'chunks',
      'an array of strings, Buffers or Uint8Arrays',
      chunks,
      'ERR_INVALID_ARG_TYPE',
    );
  }
  const out: Uint8Array[] = [];
  for (let i = 0; i < chunks.length; i++) {
    const chunk: unknown = chunks[i];
    let bytes: Uint8Array;
    if (typeof chunk === 'string') bytes = Buffer.from(chunk, 'utf8');
    else if (ArrayBuffer.isView(chunk) && isDetached(chunk)) throw detachedArgument(where, `chunks[${i}]`, chunk);
    else if (chunk instanceof Uint8Array) bytes = chunk;
    else if (ArrayBuffer.isView(chunk)) bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    else {
      throw invalidArgument(where, `chunks[${i}]`, 'a string, Buffer or Uint8Array', chunk, 'ERR_INVALID_ARG_TYPE');
    }
    if (bytes.byteLength > 0) out.push(bytes);
  }
  return out;
}

/** Options of {@link TcpStream.connect}. @category TCP */
export interface ConnectOptions {
  /**
   * Gives up after this many milliseconds (a positive number; `Infinity`: never) with a {@link ConnectTimeoutError}
   * (`code: 'ETIMEDOUT'`). The clock starts at the connect's first poll and covers creating the socket and the
   * handshake. Needs a runtime with time enabled (the default).
   * @default undefined (no limit but the kernel's own, about two minutes of SYN retries)
   */
  readonly timeout?: number;
}

function checkConnectTimeout(options: unknown): number | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('TcpStream.connect', 'options', 'an object', options, 'ERR_INVALID_ARG_TYPE');
  }
  const ms = (options as { timeout?: unknown }).timeout;
  if (ms === undefined) return undefined;
  const what = 'a positive number of milliseconds (or Infinity)';
  if (typeof ms !== 'number') throw invalidArgument('TcpStream.connect', 'timeout', what, ms, 'ERR_INVALID_ARG_TYPE');
  if (Number.isNaN(ms) || ms <= 0) throw invalidArgument('TcpStream.connect', 'timeout', what, ms);
  return ms === Infinity ? undefined : ms;
}

/** The address of `fd` (local or peer), or `undefined` if the socket has none. @internal */
export function addressOf(driver: IoDriver, fd: number, peer: boolean, syscall: string, label: string): SocketAddress {
  const out = new Uint8Array(SOCKADDR_MAX_BYTES);
  const n = driver.socketAddress(fd, peer, out);
  if (n < 0) throw IoError.fromResult(n, syscall, label);
  return decodeSockaddr(out, n);
}

const connectTo = fn(function* (address: SocketAddress, label: string) {
  const guard = new FdGuard();
  try {
    const fd = yield* openSocket(domainOf(address), SOCK_STREAM, label, guard);
    yield* connectSocket(fd, address, label);
    return new TcpStream(guard.take(), guard.driver, label);
  } finally {
    if (guard.fd >= 0) {
      // The socket is closed before the error (or a timeout's ConnectTimeoutError) goes on. The close is submitted
      // here, so a caller that abandons this clean-up (`drop()`) leaks nothing either; its own result cannot matter
      // more than the connect's error.
      const closing = guard.close(label);
      try {
        yield* closing;
      } catch {
        // a close of a socket that never connected fails only with EINTR or EBADF: nothing to tell
      }
    }
  }
});

/** `connectTo` within `ms`: the deadline cancels it (its socket is closed) before the error is thrown. */
const connectWithin = fn(function* (address: SocketAddress, label: string, ms: number) {
  try {
    return yield* timeout(ms, connectTo(address, label));
  } catch (error) {
    if (error instanceof TimeoutError) throw new ConnectTimeoutError(label, ms);
    throw error;
  }
});

/**
 * A connected stream socket: TCP over IPv4 or IPv6, or a Unix stream socket.
 *
 * @example
 * ```ts
 * import { TcpListener, TcpStream } from '@zokio/net';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   using listener = yield* TcpListener.bind('127.0.0.1:0');
 *   using client = yield* TcpStream.connect(listener.localAddr());
 *   using server = yield* listener.accept();
 *   yield* client.writeAll('ping');
 *   yield* client.shutdown(); // done sending: the server reads the end
 *   console.log((yield* server.readToEnd()).toString()); // ping
 *   yield* server.writeAll('pong');
 *   yield* server.shutdown();
 *   console.log((yield* client.readToEnd()).toString()); // pong
 * });
 * ```
 * @category TCP
 */
export class TcpStream implements Disposable, AsyncDisposable, ReadSource<Buffer> {
  readonly #driver: IoDriver;
  /** The peer's address as text, for errors. */
  readonly #label: string;
  readonly #gate: ReadGate<Buffer>;
  /** The order of writes; made at the first write (an idle connection pays nothing for it). */
  #line: WriteLine | undefined;
  #fd: number;

  /** @internal Made by {@link TcpStream.connect}, `TcpListener.accept` and {@link TcpStream.intoSplit}. */
  constructor(fd: number, driver: IoDriver, label: string, gate = new ReadGate<Buffer>(), line?: WriteLine) {
    this.#fd = fd;
    this.#driver = driver;
    this.#label = label;
    this.#gate = gate;
    this.#line = line;
  }

  /**
   * Connects to `address` (`'127.0.0.1:8080'`, `'[::1]:8080'`, `{ host, port }`, `{ path }` for a Unix socket).
   *
   * With `{ timeout: ms }`, a connect not done within `ms` milliseconds fails with a {@link ConnectTimeoutError}:
   * an `IoError` with Node's shape for a timed-out connect (`code: 'ETIMEDOUT'`, `errno: -110`, `syscall:
   * 'connect'`, the address in `path`) plus the `timeout`, so one `catch` on `code` handles the kernel's own
   * time-out and this one. Its socket is closed before the error is thrown.
   *
   * **Cancel-safe**: dropped, the socket is closed (also if the connect completed meanwhile).
   *
   * @example
   * ```ts
   * import { IoError, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   try {
   *     using stream = yield* TcpStream.connect({ host: '127.0.0.1', port: 8080 }, { timeout: 5_000 });
   *     console.log('connected to', stream.peerAddr());
   *   } catch (e) {
   *     if (e instanceof IoError && e.code === 'ETIMEDOUT') console.log('no answer from', e.path);
   *     else if (e instanceof IoError && e.code === 'ECONNREFUSED') console.log('nothing listens on', e.path);
   *     else throw e;
   *   }
   * });
   * ```
   */
  static connect(address: AddressLike, options?: ConnectOptions): Future<TcpStream> {
    const a = toSocketAddress(address, 'TcpStream.connect');
    const ms = checkConnectTimeout(options);
    const label = formatAddress(a);
    return ms === undefined ? connectTo(a, label) : connectWithin(a, label, ms);
  }

  /** @internal The driver the socket lives on (the stream adapter submits to it directly). */
  get driver(): IoDriver {
    return this.#driver;
  }

  /** @internal What dropped reads left behind, for the stream adapter to hand out first. */
  get gate(): ReadGate<Buffer> {
    return this.#gate;
  }

  /** @internal The peer's address as text. */
  get label(): string {
    return this.#label;
  }

  /** The socket's fd; −1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  #open(syscall: string): number {
    if (this.#fd < 0) throw closedSocket(syscall, this.#label);
    return this.#fd;
  }

  /** The stream's write line, made at its first write. */
  #writeLine(): WriteLine {
    return (this.#line ??= new WriteLine());
  }

  /**
   * Receives up to `maxLength` bytes (at most 64 KiB per call); an empty buffer means the peer closed its side.
   *
   * **Cancel-safe**: bytes a dropped read received anyway are returned by the next read, in order.
   *
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   using client = yield* TcpStream.connect(listener.localAddr());
   *   using stream = yield* listener.accept();
   *   yield* client.writeAll('hello');
   *   yield* client.shutdown();
   *   let received = 0;
   *   for (let chunk = yield* stream.read(); chunk.length > 0; chunk = yield* stream.read()) received += chunk.length;
   *   console.log(received); // 5
   * });
   * ```
   */
  read(maxLength: number = MAX_BUFFER_BYTES): Future<Buffer> {
    const fd = this.#open('recv');
    const max = Math.min(checkCount(maxLength, 'TcpStream.read', 'maxLength'), MAX_BUFFER_BYTES);
    if (max === 0) return ready(Buffer.alloc(0));
    const gate = this.#gate;
    let receiver = gate.receiver;
    if (receiver === undefined) {
      const group = groupOf(this.#driver);
      if (group === null) return new GatedRead(gate, this, max); // no provided buffers: one receive per read
      receiver = gate.receiver = new MultishotReceiver(this.#driver, group, gate, fd, this.#label);
    }
    return new MultishotRead(receiver, gate, this, max);
  }

  /** @internal {@link ReadSource}: one receive, on the fd as it is now. */
  startReceive(max: number): Future<Buffer> {
    return new ReceiveFuture(this, this.#open('recv'), max);
  }

  /** @internal {@link FdSource}: the fd an op starting now uses; `EBADF` once closed. */
  fdFor(syscall: string): number {
    return this.#open(syscall);
  }

  /** @internal {@link ReadSource}: up to `max` kept bytes. */
  takeKept(max: number): Buffer {
    return takeKept(this.#gate, max);
  }

  /**
   * Receives exactly `length` bytes, or fails with `ERR_ZOKIO_UNEXPECTED_EOF` if the peer closes first.
   *
   * **Cancel-safe** in that no byte is lost: bytes received before the drop are kept for the next read.
   *
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   using client = yield* TcpStream.connect(listener.localAddr());
   *   using stream = yield* listener.accept();
   *   yield* client.writev([Buffer.from([0, 0, 0, 5]), 'hello']); // a 4-byte length, then the body
   *   const header = yield* stream.readExact(4);
   *   const body = yield* stream.readExact(header.readUInt32BE(0));
   *   console.log(body.toString()); // hello
   * });
   * ```
   */
  readExact(length: number): Future<Buffer> {
    this.#open('recv');
    checkCount(length, 'TcpStream.readExact', 'length');
    if (length > BUFFER_MAX_LENGTH) {
      throw invalidArgument(
        'TcpStream.readExact',
        'length',
        `at most ${BUFFER_MAX_LENGTH} (the largest Buffer)`,
        length,
      );
    }
    return readExactFrom(this, length);
  }

  /**
   * Receives until the peer closes its side, and returns everything.
   *
   * **Cancel-safe** in that no byte is lost: what was received before the drop is kept for the next read.
   *
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   using client = yield* TcpStream.connect(listener.localAddr());
   *   using stream = yield* listener.accept();
   *   yield* client.writeAll('hello');
   *   yield* client.shutdown();
   *   const body = yield* stream.readToEnd();
   *   console.log(body.toString()); // hello
   * });
   * ```
   */
  readToEnd(): Future<Buffer> {
    this.#open('recv');
    return readToEndOf(this);
  }

  /**
   * Sends up to 64 KiB of `data` (a string is UTF-8) in one op, after the writes polled before it; returns the bytes
   * sent, which may be fewer.
   *
   * **Not cancel-safe** once its turn came: a dropped write may have sent its bytes. Dropped while it waits for
   * its turn behind other writes, it sent nothing.
   *
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   using client = yield* TcpStream.connect(listener.localAddr());
   *   using stream = yield* listener.accept();
   *   const n = yield* stream.write('ping');
   *   console.log(n); // 4 (a write may send less than it is given: writeAll sends everything)
   * });
   * ```
   */
  write(data: Uint8Array | string): Future<number> {
    const fd = this.#open('send');
    const bytes = toBytes(data, 'TcpStream.write');
    if (bytes.byteLength === 0) return ready(0);
    const line = this.#writeLine();
    return new WriteFuture<number>(line, fd, bytes.subarray(0, MAX_BUFFER_BYTES), undefined, this.#label, true);
  }

  /**
   * Sends all of `data`, in order, 64 KiB per op. Several tasks may `writeAll` at once: each one's bytes go out
   * whole, never interleaved with another's, in the order the writes were first polled (FIFO).
   *
   * **Not cancel-safe** once its turn came: a dropped `writeAll` may have sent any prefix of `data` (and the next
   * write follows that prefix). Dropped while it waits for its turn, it sent nothing.
   *
   * @example
   * ```ts
   * import { join } from '@zokio/future';
   * import { TcpListener, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   using client = yield* TcpStream.connect(listener.localAddr());
   *   using stream = yield* listener.accept();
   *   // Two writes at once, one stream: each goes out whole, in the order they were first polled, never mixed.
   *   yield* join(stream.writeAll('hello '), stream.writeAll('world'));
   *   yield* stream.shutdown();
   *   console.log((yield* client.readToEnd()).toString()); // hello world
   * });
   * ```
   */
  writeAll(data: Uint8Array | string): Future<void> {
    const fd = this.#open('send');
    const bytes = toBytes(data, 'TcpStream.writeAll');
    return new WriteFuture<void>(this.#writeLine(), fd, bytes, undefined, this.#label, false);
  }

  /**
   * Sends every byte of `chunks`, in order, as one write: no other write comes between two chunks. Small chunks
   * are gathered into one send (up to 64 KiB each) with the single copy every send makes — no `sendmsg` with an
   * iovec, which the `js` driver does not have on sockets — so a header and a body cost one op, not two.
   *
   * **Not cancel-safe** once its turn came, as {@link writeAll}.
   *
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   using client = yield* TcpStream.connect(listener.localAddr());
   *   using stream = yield* listener.accept();
   *   const body = Buffer.from('hello');
   *   const head = `${body.length.toString(16)}\r\n`;
   *   yield* stream.writev([head, body, '\r\n']); // one chunk of an HTTP chunked body, in one write
   *   yield* stream.shutdown();
   *   console.log(JSON.stringify((yield* client.readToEnd()).toString())); // "5\r\nhello\r\n"
   * });
   * ```
   */
  writev(chunks: readonly (Uint8Array | string)[]): Future<void> {
    const fd = this.#open('send');
    const bytes = toChunks(chunks, 'TcpStream.writev');
    const line = this.#writeLine();
    return bytes.length === 1
      ? new WriteFuture<void>(line, fd, bytes[0]!, undefined, this.#label, false)
      : new WriteFuture<void>(line, fd, EMPTY, bytes, this.#label, false);
  }

  /**
   * Shuts down the sending side (`'write'`, the default: the peer reads the end), the receiving side, or both.
   * Shutting down the sending side waits for the writes polled before it (it takes its turn in the write line);
   * `'read'` happens at once.
   *
   * **Cancel-safe**: dropped, the shutdown may or may not have happened (dropped while waiting for its turn: not).
   *
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   using client = yield* TcpStream.connect(listener.localAddr());
   *   using stream = yield* listener.accept();
   *   yield* client.writeAll('ping');
   *   yield* client.shutdown(); // half-close: we are done sending
   *   console.log((yield* stream.readToEnd()).toString()); // ping
   *   yield* stream.writeAll('pong'); // the other direction stays open
   *   console.log((yield* client.readExact(4)).toString()); // pong
   * });
   * ```
   */
  shutdown(how: 'read' | 'write' | 'both' = 'write'): Future<void> {
    const fd = this.#open('shutdown');
    const code = how === 'read' ? 0 : how === 'write' ? 1 : how === 'both' ? 2 : -1;
    if (code < 0) throw invalidArgument('TcpStream.shutdown', 'how', "'read', 'write' or 'both'", how);
    // The fd when it starts: made before close() and polled after, it fails with EBADF (the write side goes
    // through the write line, which checks the same).
    if (code === 0) return new BoundOp(this, 'shutdown', (now) => shutdownSocket(now, 0, this.#label));
    return new ShutdownWriteFuture(this.#writeLine(), fd, code as 1 | 2, this.#label);
  }

  /**
   * Moves the socket into a {@link ReadHalf} and a {@link WriteHalf}, to read in one task and write in another
   * (Tokio's `into_split`). The socket is closed when both halves are closed; closing the write half alone shuts
   * down the sending side (the peer reads the end). Bytes kept by dropped reads, and writes already queued, carry
   * over to the halves.
   *
   * The stream reads as closed from the call on (its methods fail with `EBADF`; closing or disposing it does
   * nothing), so `using stream` around the split is harmless.
   *
   * @example
   * ```ts
   * import { fn } from '@zokio/future';
   * import { TcpListener, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * import { spawn } from '@zokio/scheduler';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   using stream = yield* TcpStream.connect(listener.localAddr());
   *   using peer = yield* listener.accept();
   *   const { reader, writer } = stream.intoSplit();
   *   spawn(
   *     fn(function* () {
   *       using w = writer; // closed at the end: the peer reads the end
   *       for (const message of ['one ', 'two ', 'three']) yield* w.writeAll(message);
   *     })(),
   *   );
   *   yield* peer.writeAll(yield* peer.readToEnd()); // the peer sends it all back
   *   yield* peer.shutdown();
   *   using r = reader;
   *   const reply = yield* r.readToEnd();
   *   console.log(reply.toString()); // one two three
   * });
   * ```
   */
  intoSplit(): { reader: ReadHalf; writer: WriteHalf } {
    const fd = this.#open('split');
    const inner = new TcpStream(fd, this.#driver, this.#label, this.#gate, this.#line);
    this.#fd = -1; // moved, not closed: the read in flight and the write line go on with `inner`
    return splitStream(inner);
  }

  /** The peer's address. */
  peerAddr(): SocketAddress {
    return addressOf(this.#driver, this.#open('getpeername'), true, 'getpeername', this.#label);
  }

  /** The local address. */
  localAddr(): SocketAddress {
    return addressOf(this.#driver, this.#open('getsockname'), false, 'getsockname', this.#label);
  }

  /** Disables (or enables) Nagle's algorithm: small writes go out at once. */
  setNoDelay(noDelay = true): void {
    this.#option(SocketOption.NODELAY, noDelay, 'setNoDelay', 'noDelay');
  }

  /** Enables (or disables) TCP keep-alive probes. */
  setKeepAlive(keepAlive = true): void {
    this.#option(SocketOption.KEEPALIVE, keepAlive, 'setKeepAlive', 'keepAlive');
  }

  #option(option: SocketOption, on: unknown, where: string, argument: string): void {
    if (typeof on !== 'boolean')
      throw invalidArgument(`TcpStream.${where}`, argument, 'a boolean', on, 'ERR_INVALID_ARG_TYPE');
    const res = this.#driver.setSocketOption(this.#open('setsockopt'), option, on ? 1 : 0);
    if (res < 0) throw IoError.fromResult(res, 'setsockopt', this.#label);
  }

  /**
   * Closes the socket. Idempotent. Other methods fail with `EBADF` afterwards, and so do writes still waiting for
   * their turn. A read in flight fails with `ECANCELED`; so does a send in flight on io_uring and epoll (the `js`
   * driver cannot cancel a send: Node's socket flushes what it queued, as the kernel does, and the send completes
   * then, or fails when the peer goes). Bytes already handed to the kernel still go out.
   *
   * **Cancel-safe**: the close is submitted when `close()` is called; dropping, or never polling, the future drops
   * only the result.
   *
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from '@zokio/net';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using listener = yield* TcpListener.bind('127.0.0.1:0');
   *   const client = yield* TcpStream.connect(listener.localAddr());
   *   using stream = yield* listener.accept();
   *   yield* client.writeAll('bye');
   *   yield* client.close(); // bytes already handed to the kernel still go out
   *   console.log((yield* stream.readToEnd()).toString()); // bye
   * });
   * ```
   */
  close(): Future<void> {
    const fd = this.#shut();
    return fd < 0 ? ready(undefined) : closeNow(this.#driver, fd, this.#label);
  }

  /**
   * Marks the stream closed, interrupts a receive in flight (it fails with `ECANCELED`) and closes the write line
   * (a send in flight is interrupted too; waiting writes fail with `EBADF`); returns the fd or −1.
   */
  #shut(): number {
    const fd = this.#fd;
    if (fd < 0) return -1;
    this.#fd = -1;
    this.#gate.current?.interrupt();
    this.#gate.receiver?.interrupt();
    this.#line?.close();
    return fd;
  }

  /** @internal Marks the stream closed without closing the fd: its new owner (the `Duplex` adapter) closes it. */
  detach(): void {
    this.#fd = -1;
    this.#line?.close();
  }

  /** @internal Interrupts a receive in flight (a read half closed while the write half lives on). */
  interruptRead(): void {
    this.#gate.current?.interrupt();
    this.#gate.receiver?.interrupt();
  }

  /** Closes the socket, for `using` in a generator: the close is submitted at once. */
  [Symbol.dispose](): void {
    const fd = this.#shut();
    if (fd >= 0) submitClose(this.#driver, fd);
  }

  /** Closes the socket, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    const fd = this.#shut();
    if (fd < 0) return Promise.resolve();
    return new Promise((resolve) => submitClose(this.#driver, fd, { complete: () => resolve() }));
  }
}

/** `readExact`: what was read goes back to the front of the gate if it fails or is dropped part-way. */
const readExactFrom = fn(function* (stream: TcpStream, length: number) {
  const chunks: Buffer[] = [];
  let got = 0;
  try {
    while (got < length) {
      const chunk = yield* stream.read(Math.min(MAX_BUFFER_BYTES, length - got));
      if (chunk.length === 0) throw new UnexpectedEofError(stream.label, length, got);
      chunks.push(chunk);
      got += chunk.length;
    }
    const out = Buffer.concat(chunks, length);
    chunks.length = 0;
    return out;
  } finally {
    if (chunks.length > 0) stream.gate.kept.unshift(...chunks);
  }
});

/** `readToEnd`: as `readExactFrom`, what was read goes back if it is dropped part-way. */
const readToEndOf = fn(function* (stream: TcpStream) {
  const chunks: Buffer[] = [];
  try {
    for (let chunk = yield* stream.read(); chunk.length > 0; chunk = yield* stream.read()) chunks.push(chunk);
    const out = Buffer.concat(chunks);
    chunks.length = 0;
    return out;
  } finally {
    if (chunks.length > 0) stream.gate.kept.unshift(...chunks);
  }
});
