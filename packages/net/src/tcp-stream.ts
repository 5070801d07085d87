/**
 * {@link TcpStream}: a connected TCP (or Unix stream) socket on the runtime's I/O driver.
 *
 * Reads are cancel-safe through a {@link ReadGate}: bytes a dropped read received anyway are kept, in order, for
 * the next read. Writes are not: a dropped write may have sent any prefix of its data. One reader and one writer at
 * a time (they may run concurrently with each other); for several writers, queue their messages through a channel.
 *
 * @module
 */
import { fn, FutureBase, PENDING, ready, type Cleanup, type Context, type Future, type Poll } from '@zokio/future';
import {
  decodeSockaddr,
  domainOf,
  closeNow,
  FdGuard,
  IGNORE,
  IoError,
  SOCK_STREAM,
  SOCKADDR_MAX_BYTES,
  SocketOption,
  type BufferGroup,
  type IoDriver,
  type SocketAddress,
} from '@zokio/io-driver';
import { MAX_BUFFER_BYTES } from '@zokio/memory';
import { formatAddress, toSocketAddress, type AddressLike } from './address.js';
import { closedSocket, invalidArgument, UnexpectedEofError } from './errors.js';
import { RecvFuture, SelectRecvFuture, SendFuture } from './ops.js';
import { GatedRead, ReadGate, type ReadSource } from './read-gate.js';
import { connectSocket, openSocket, shutdownSocket } from './socket-ops.js';

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
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw invalidArgument(where, 'data', 'a string, Buffer or Uint8Array', data, 'ERR_INVALID_ARG_TYPE');
}

/** Provided buffers per driver: 256 × 16 KiB, or `null` where the backend has none. */
const GROUP_BUFFERS = 256;
const GROUP_BUFFER_BYTES = 16384;
const groups = new WeakMap<IoDriver, BufferGroup | null>();

function groupOf(driver: IoDriver): BufferGroup | null {
  let group = groups.get(driver);
  if (group === undefined) {
    try {
      group = driver.createBufferGroup(GROUP_BUFFERS, GROUP_BUFFER_BYTES);
    } catch {
      group = null; // no provided buffers here: each receive brings its own
    }
    groups.set(driver, group);
  }
  return group;
}

/**
 * One receive of up to `max` bytes: from the driver's provided buffers when it has them (a connection that waits
 * holds no buffer), else, or when they are all in use (`ENOBUFS`), into a pool buffer of its own. Bytes beyond
 * `max` go to the front of the gate's kept bytes.
 */
class ReceiveFuture extends FutureBase<Buffer> {
  readonly #stream: TcpStream;
  readonly #fd: number;
  readonly #max: number;
  #inner: RecvFuture | SelectRecvFuture;

  constructor(stream: TcpStream, fd: number, max: number) {
    super();
    this.#stream = stream;
    this.#fd = fd;
    this.#max = max;
    const group = groupOf(stream.driver);
    this.#inner =
      group === null
        ? new RecvFuture(fd, max, stream.label, stream.gate)
        : new SelectRecvFuture(fd, group, stream.label, stream.gate);
  }

  poll(cx: Context): Poll<Buffer> {
    let bytes = this.#inner.poll(cx);
    if (bytes === PENDING) return PENDING;
    if (bytes === undefined) {
      // The provided buffers are all in use: receive into a buffer of our own this time.
      this.#inner = new RecvFuture(this.#fd, this.#max, this.#stream.label, this.#stream.gate);
      bytes = this.#inner.poll(cx);
      if (bytes === PENDING) return PENDING;
    }
    if (bytes.length <= this.#max) return bytes;
    this.#stream.gate.kept.unshift(bytes.subarray(this.#max));
    return bytes.subarray(0, this.#max);
  }

  override cancel(): Cleanup {
    return this.#inner.cancel();
  }

  /** The socket is closing: its receive completes with `ECANCELED` (see `OpFuture.interrupt`). */
  interrupt(): void {
    this.#inner.interrupt();
  }
}

/** Takes up to `max` bytes from the front of the kept chunks. */
function takeKept(gate: ReadGate<Buffer>, max: number): Buffer {
  const first = gate.kept[0]!;
  if (first.length <= max) {
    gate.kept.shift();
    return first;
  }
  gate.kept[0] = first.subarray(max);
  return first.subarray(0, max);
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
    guard.release();
  }
});

/**
 * A connected stream socket: TCP over IPv4 or IPv6, or a Unix stream socket.
 *
 * @example
 * ```ts
 * import { fn } from '@zokio/future';
 * import { TcpStream } from '@zokio/net';
 * const get = fn(function* () {
 *   using stream = yield* TcpStream.connect('127.0.0.1:8080');
 *   yield* stream.writeAll('GET / HTTP/1.0\r\n\r\n');
 *   return (yield* stream.readToEnd()).toString();
 * });
 * ```
 * @category TCP
 */
export class TcpStream implements Disposable, AsyncDisposable, ReadSource<Buffer> {
  readonly #driver: IoDriver;
  /** The peer's address as text, for errors. */
  readonly #label: string;
  readonly #gate = new ReadGate<Buffer>();
  #fd: number;

  /** @internal Made by {@link TcpStream.connect} and `TcpListener.accept`. */
  constructor(fd: number, driver: IoDriver, label: string) {
    this.#fd = fd;
    this.#driver = driver;
    this.#label = label;
  }

  /**
   * Connects to `address` (`'127.0.0.1:8080'`, `'[::1]:8080'`, `{ host, port }`, `{ path }` for a Unix socket).
   * Bound the wait with `timeout` from `@zokio/time`.
   *
   * **Cancel-safe**: dropped, the socket is closed (also if the connect completed meanwhile).
   *
   * @example
   * ```ts
   * const stream = yield* timeout(5_000, TcpStream.connect({ host: '127.0.0.1', port: 8080 }));
   * ```
   */
  static connect(address: AddressLike): Future<TcpStream> {
    const a = toSocketAddress(address, 'TcpStream.connect');
    return connectTo(a, formatAddress(a));
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

  /**
   * Receives up to `maxLength` bytes (at most 64 KiB per call); an empty buffer means the peer closed its side.
   *
   * **Cancel-safe**: bytes a dropped read received anyway are returned by the next read, in order.
   *
   * @example
   * ```ts
   * for (let chunk = yield* stream.read(); chunk.length > 0; chunk = yield* stream.read()) handle(chunk);
   * ```
   */
  read(maxLength: number = MAX_BUFFER_BYTES): Future<Buffer> {
    const fd = this.#open('recv');
    const max = Math.min(checkCount(maxLength, 'TcpStream.read', 'maxLength'), MAX_BUFFER_BYTES);
    if (max === 0) return ready(Buffer.alloc(0));
    return new GatedRead(this.#gate, this, fd, max);
  }

  /** @internal {@link ReadSource}: one receive. */
  startReceive(fd: number, max: number): Future<Buffer> {
    return new ReceiveFuture(this, fd, max);
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
   * const header = yield* stream.readExact(4);
   * ```
   */
  readExact(length: number): Future<Buffer> {
    this.#open('recv');
    checkCount(length, 'TcpStream.readExact', 'length');
    return readExactFrom(this, length);
  }

  /**
   * Receives until the peer closes its side, and returns everything.
   *
   * **Cancel-safe** in that no byte is lost: what was received before the drop is kept for the next read.
   *
   * @example
   * ```ts
   * const body = yield* stream.readToEnd();
   * ```
   */
  readToEnd(): Future<Buffer> {
    this.#open('recv');
    return readToEndOf(this);
  }

  /**
   * Sends up to 64 KiB of `data` (a string is UTF-8) in one op; returns the bytes sent, which may be fewer.
   *
   * **Not cancel-safe**: a dropped write may have sent its bytes.
   *
   * @example
   * ```ts
   * const n = yield* stream.write('ping');
   * ```
   */
  write(data: Uint8Array | string): Future<number> {
    const fd = this.#open('send');
    const bytes = toBytes(data, 'TcpStream.write');
    if (bytes.byteLength === 0) return ready(0);
    return new SendFuture(fd, bytes.subarray(0, MAX_BUFFER_BYTES), this.#label);
  }

  /**
   * Sends all of `data`, in order, 64 KiB per op.
   *
   * **Not cancel-safe**: a dropped `writeAll` may have sent any prefix of `data`.
   *
   * @example
   * ```ts
   * yield* stream.writeAll(response);
   * ```
   */
  writeAll(data: Uint8Array | string): Future<void> {
    const fd = this.#open('send');
    const bytes = toBytes(data, 'TcpStream.writeAll');
    return new WriteAllFuture(fd, bytes, this.#label);
  }

  /**
   * Shuts down the sending side (`'write'`, the default: the peer reads the end), the receiving side, or both.
   *
   * **Cancel-safe**: dropped, the shutdown may or may not have happened.
   *
   * @example
   * ```ts
   * yield* stream.shutdown(); // half-close: we are done sending
   * ```
   */
  shutdown(how: 'read' | 'write' | 'both' = 'write'): Future<void> {
    const fd = this.#open('shutdown');
    const code = how === 'read' ? 0 : how === 'write' ? 1 : how === 'both' ? 2 : -1;
    if (code < 0) throw invalidArgument('TcpStream.shutdown', 'how', "'read', 'write' or 'both'", how);
    return shutdownSocket(fd, code as 0 | 1 | 2, this.#label);
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
   * Closes the socket. Idempotent. Other methods fail with `EBADF` afterwards.
   *
   * **Cancel-safe**: the close is submitted when `close()` is called (a read in flight fails with `ECANCELED`);
   * dropping, or never polling, the future drops only the result.
   *
   * @example
   * ```ts
   * yield* stream.close();
   * ```
   */
  close(): Future<void> {
    const fd = this.#shut();
    return fd < 0 ? ready(undefined) : closeNow(this.#driver, fd, this.#label);
  }

  /** Marks the stream closed and interrupts a receive in flight (it fails with `ECANCELED`); returns the fd or −1. */
  #shut(): number {
    const fd = this.#fd;
    if (fd < 0) return -1;
    this.#fd = -1;
    this.#gate.current?.interrupt();
    return fd;
  }

  /** @internal Marks the stream closed without closing the fd: its new owner (the `Duplex` adapter) closes it. */
  detach(): void {
    this.#fd = -1;
  }

  /** Closes the socket, for `using` in a generator: the close is submitted at once. */
  [Symbol.dispose](): void {
    const fd = this.#shut();
    if (fd >= 0) this.#driver.close(fd, IGNORE);
  }

  /** Closes the socket, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    const fd = this.#shut();
    if (fd < 0) return Promise.resolve();
    return new Promise((resolve) => this.#driver.close(fd, { complete: () => resolve() }));
  }
}

/** Sends all of `bytes` in order, 64 KiB per op, with no generator per call. @internal */
export class WriteAllFuture extends FutureBase<void> {
  readonly #fd: number;
  readonly #bytes: Uint8Array;
  readonly #label: string;
  #done = 0;
  #send: SendFuture | undefined = undefined;

  constructor(fd: number, bytes: Uint8Array, label: string) {
    super();
    this.#fd = fd;
    this.#bytes = bytes;
    this.#label = label;
  }

  poll(cx: Context): Poll<void> {
    const bytes = this.#bytes;
    for (;;) {
      let send = this.#send;
      if (send === undefined) {
        if (this.#done >= bytes.byteLength) return;
        send = this.#send = new SendFuture(
          this.#fd,
          bytes.subarray(this.#done, this.#done + MAX_BUFFER_BYTES),
          this.#label,
        );
      }
      const n = send.poll(cx);
      if (n === PENDING) return PENDING;
      this.#send = undefined;
      this.#done += n;
    }
  }

  override cancel(): Cleanup {
    const send = this.#send;
    this.#send = undefined;
    return send?.cancel();
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
