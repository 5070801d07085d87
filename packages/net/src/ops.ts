/**
 * The driver ops of `@zokio/net` as futures. Each is a `LendingOpFuture`: lazy, and whatever it lent to the kernel
 * (an encoded address, a receive or send buffer) goes back to the pool exactly once, when it settles or when the
 * final completion of a dropped op arrives.
 *
 * - {@link SocketOp}: the rare ops (socket, bind, listen, connect, shutdown, close), described by small functions.
 * - {@link RecvFuture}, {@link SendFuture}: the hot path, one class each. A dropped receive whose bytes arrived anyway
 *   hands them to the stream's `ReadGate`, which keeps them for its next read, so cancellation loses no byte. A
 *   dropped send hands the stream's `WriteLine` to the next write only when its final completion arrives.
 * - {@link GatherSendFuture}: a send gathered from several chunks (`writev`).
 *
 * @module
 */
import { LendingOpFuture, type BufferGroup, type IoDriver } from '@zokio/io-driver';
import type { IoBuf } from '@zokio/memory';
import { detachedArgument, isDetached } from './errors.js';
import type { ReadGate } from './read-gate.js';
import type { WriteLine } from './write-line.js';

/** What a {@link SocketOp} does: submit with `this` as the handler, and turn a result into a value. */
export interface SocketOpSpec<T> {
  /** Submits the op; `lend` records pool buffers lent to it. Returns the token. */
  submit(driver: IoDriver, op: SocketOp<T>): number;
  /** The value of a successful result. */
  value(res: number, aux: number, driver: IoDriver): T;
  /** The final result of a dropped op: release what it produced (an fd). */
  dropped?(res: number, aux: number, driver: IoDriver): void;
}

/** One socket op described by a {@link SocketOpSpec}. @internal */
export class SocketOp<T> extends LendingOpFuture<T> {
  readonly #spec: SocketOpSpec<T>;

  constructor(syscall: string, label: string | undefined, spec: SocketOpSpec<T>) {
    super(syscall, label);
    this.#spec = spec;
  }

  /** Lends `buf` to the op (given back when it settles or is orphaned). */
  lendBuffer(buf: IoBuf): IoBuf {
    return this.lend(buf);
  }

  protected submit(driver: IoDriver): number {
    return this.#spec.submit(driver, this);
  }

  protected value(res: number, aux: number): T {
    return this.#spec.value(res, aux, this.driver!);
  }

  protected override dropped(res: number, aux: number): void {
    this.#spec.dropped?.(res, aux, this.driver!);
  }
}

/**
 * `recv` of up to `length` bytes into a pool buffer of its own, copied into a new `Buffer` (empty: the peer closed
 * its side). Dropped, bytes that arrived anyway go to the gate.
 */
export class RecvFuture extends LendingOpFuture<Buffer> {
  readonly #fd: number;
  readonly #length: number;
  readonly #gate: ReadGate<Buffer>;
  readonly #waits: boolean;
  #buf: IoBuf | undefined = undefined;

  /** `waits`: false for a fallback receive, which selects a provided buffer again rather than wait for a pool one. */
  constructor(fd: number, length: number, label: string, gate: ReadGate<Buffer>, waits = true) {
    super('recv', label);
    this.#fd = fd;
    this.#length = length;
    this.#gate = gate;
    this.#waits = waits;
  }

  protected override get waitsForBuffer(): boolean {
    return this.#waits;
  }

  protected submit(driver: IoDriver): number {
    const buf = (this.#buf = this.lend(driver.pool.acquire(this.#length)));
    return driver.recv(this.#fd, buf, this, { length: this.#length });
  }

  protected value(res: number): Buffer {
    return Buffer.from(this.#buf!.bytes.subarray(0, res));
  }

  protected override dropped(res: number): void {
    this.#gate.settleOrphan(res > 0 ? Buffer.from(this.#buf!.bytes.subarray(0, res)) : undefined);
  }
}

/**
 * `send` of `data` (at most 64 KiB) from a pool buffer of its own → bytes sent. Dropped while in flight, its final
 * completion hands the stream's {@link WriteLine} on: nothing else is sent before bytes the kernel may still send.
 */
export class SendFuture extends LendingOpFuture<number> {
  readonly #fd: number;
  readonly #data: Uint8Array;
  readonly #line: WriteLine;

  constructor(fd: number, data: Uint8Array, label: string, line: WriteLine) {
    super('send', label);
    this.#fd = fd;
    this.#data = data;
    this.#line = line;
  }

  protected submit(driver: IoDriver): number {
    const data = this.#data;
    // Checked again here: at the pool's cap the submit comes after a wait, long after the write was made.
    if (isDetached(data)) throw detachedArgument('TcpStream.write', 'data', data);
    const buf = this.lend(driver.pool.acquire(data.byteLength));
    buf.bytes.set(data);
    return driver.send(this.#fd, buf, this, { length: data.byteLength });
  }

  protected value(res: number): number {
    return res;
  }

  protected override dropped(): void {
    this.#line.pass();
  }
}

/**
 * `send` of `length` bytes (at most 64 KiB) gathered from `chunks`, starting at byte `offset` of `chunks[index]`,
 * into one pool buffer: small chunks of a `writev` go out together, with the one copy every send makes anyway. As
 * {@link SendFuture} when dropped.
 */
export class GatherSendFuture extends LendingOpFuture<number> {
  readonly #fd: number;
  readonly #chunks: readonly Uint8Array[];
  readonly #index: number;
  readonly #offset: number;
  readonly #length: number;
  readonly #line: WriteLine;

  constructor(
    fd: number,
    chunks: readonly Uint8Array[],
    index: number,
    offset: number,
    length: number,
    label: string,
    line: WriteLine,
  ) {
    super('send', label);
    this.#fd = fd;
    this.#chunks = chunks;
    this.#index = index;
    this.#offset = offset;
    this.#length = length;
    this.#line = line;
  }

  protected submit(driver: IoDriver): number {
    const length = this.#length;
    const chunks = this.#chunks;
    const gone = chunks.find(isDetached); // as SendFuture: checked at the submit, after any wait
    if (gone !== undefined) throw detachedArgument('TcpStream.writev', 'data', gone);
    const buf = this.lend(driver.pool.acquire(length));
    const out = buf.bytes;
    for (let i = this.#index, from = this.#offset, at = 0; at < length; i++, from = 0) {
      const chunk = chunks[i]!;
      const take = Math.min(chunk.byteLength - from, length - at);
      out.set(from === 0 && take === chunk.byteLength ? chunk : chunk.subarray(from, from + take), at);
      at += take;
    }
    return driver.send(this.#fd, buf, this, { length });
  }

  protected value(res: number): number {
    return res;
  }

  protected override dropped(): void {
    this.#line.pass();
  }
}

/**
 * `recv` into a buffer the backend picks from `group` when data arrives, so a connection waiting for data holds no
 * buffer. Completes with the bytes (copied out; the buffer goes straight back to the group), an empty `Buffer` at
 * the end, or `undefined` when the group had no free buffer (`ENOBUFS`: the caller receives another way). Dropped,
 * bytes that arrived anyway go to the gate.
 */
export class SelectRecvFuture extends LendingOpFuture<Buffer | undefined> {
  readonly #fd: number;
  readonly #group: BufferGroup;
  readonly #gate: ReadGate<Buffer>;

  constructor(fd: number, group: BufferGroup, label: string, gate: ReadGate<Buffer>) {
    super('recv', label);
    this.#fd = fd;
    this.#group = group;
    this.#gate = gate;
  }

  protected submit(driver: IoDriver): number {
    return driver.recvSelect(this.#fd, this.#group, this);
  }

  /** Copies the received bytes out of the group's buffer `bufferId` and gives it back. */
  #take(res: number, bufferId: number): Buffer {
    if (res <= 0) return Buffer.alloc(0); // no data: the backend kept its buffer
    const group = this.#group;
    const bytes = Buffer.from(group.buffer(bufferId).bytes.subarray(0, res));
    group.recycle(bufferId);
    return bytes;
  }

  protected override settle(res: number, aux: number): Buffer | undefined {
    if (res === -ENOBUFS) return undefined;
    return super.settle(res, aux);
  }

  protected value(res: number, aux: number): Buffer {
    return this.#take(res, aux);
  }

  protected override dropped(res: number, aux: number): void {
    this.#gate.settleOrphan(res > 0 ? this.#take(res, aux) : undefined);
  }
}

const ENOBUFS = 105;
