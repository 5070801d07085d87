/**
 * {@link IoDriver}: the backend-independent half of the I/O driver. It encodes ops into the staging buffer, flushes
 * them to the backend once per tick, and dispatches completions to their handlers.
 *
 * ## Protocol
 * 1. An op method (`read`, `openat`, …) takes a fresh token, writes one 64-byte record (see `contract.ts`) and
 *    returns the token. The first op of a tick schedules one `flush` on a microtask, so every op submitted in the
 *    same synchronous run reaches the backend in one call; a full staging buffer is flushed at once.
 * 2. The backend reports completions in batches; each record's handler is called with `(res, flags, aux)`. The
 *    final completion (no `COMPLETION_MORE`) retires the token. Handlers are objects with a `complete` method, so a
 *    future can be its own handler: no closure per op.
 * 3. `cancel(token)` is a request (an `OP_CANCEL` op). The target still completes once. If it completes anyway
 *    with a new fd (an `openat` that won the race), the driver closes that fd and reports `-ECANCELED`: a dropped
 *    open never leaks a descriptor.
 * 4. Buffers named by an op belong to the backend until its final completion; the caller releases them to the pool
 *    in its handler, never before.
 * 5. `shutdown()` cancels every op in flight, waits for every final completion (its own cancels and closes too),
 *    then closes the backend.
 * 6. Memory outside the pool can be lent for a few ops (`lend`, `giveBack`; see `lent-buffer.ts`): the driver counts
 *    the ops naming each loan and releases it from the backend at the last one's final completion.
 *
 * @module
 */
import { constants } from 'node:os';
import { expected, serviceKey, ZokioError } from '@zokio/future';
import { BufferPool, type IoBuf } from '@zokio/memory';
import { BufferGroup } from './buffer-group.js';
import {
  AT_FDCWD,
  COMPLETION_BUFFER,
  COMPLETION_MORE,
  IOV_MAX,
  IOVEC_ENTRY_BYTES,
  MAX_GROUP_BUFFERS,
  MODE_BUFFER_SELECT,
  MODE_MULTISHOT,
  COMPLETION_RECORD_BYTES,
  CompletionField,
  Op,
  OP_RECORD_BYTES,
  OpField,
  type Backend,
  type BackendFactory,
  type SocketOption,
} from './contract.js';
import { InFlightTable } from './in-flight.js';
import { LentBuffer, LentSpan, MAX_LOANS, type BufferRef } from './lent-buffer.js';
import { encodeSockaddr, SOCKADDR_MAX_BYTES, type SocketAddress } from './sockaddr.js';

const ECANCELED = constants.errno.ECANCELED;

/** Receives an op's completions. */
export interface CompletionHandler {
  /** Called for every completion of the op; `flags & COMPLETION_MORE` is 0 on the final one. */
  complete(res: number, flags: number, aux: number): void;
}

/** Options of {@link IoDriver}. */
export interface IoDriverOptions {
  /** Op records the staging buffer holds before a flush is forced. @default 256 */
  readonly stagingRecords?: number;
  /** Completion records delivered per callback at most. @default 1024 */
  readonly completionRecords?: number;
  /** The pool whose arenas hold op buffers and paths. @default a new pool */
  readonly pool?: BufferPool;
}

const IGNORE: CompletionHandler = { complete() {} };

/** Arena ids a backend takes (0 – 65,535). */
const MAX_ARENA_IDS = 65536;

/** Ops whose result is a new fd: a late one for a dropped future is closed by the driver. */
function producesFd(opcode: number): boolean {
  return opcode === Op.OPENAT || opcode === Op.SOCKET || opcode === Op.ACCEPT;
}

/** Options of a receive or send. */
export interface SocketIoOptions {
  /** Bytes to transfer at most. @default the buffer's length */
  readonly length?: number;
  /** `MSG_*` flags. @default 0 */
  readonly flags?: number;
}

/** The service key under which a runtime provides its {@link IoDriver} to the futures it polls. @category Driver */
export const IO = serviceKey<IoDriver>('zokio.io');

/** An I/O driver's counters. @category Driver */
export interface IoDriverMetrics {
  /** Ops submitted since start. */
  readonly submitted: number;
  /** Ops finally completed since start (a multishot op counts once, at its last completion). */
  readonly completed: number;
  /** Ops submitted and not yet finally completed. */
  readonly inFlight: number;
  /** The same by kind of op (`read`, `send`, `accept`, …), for the kinds used so far. */
  readonly byKind: Readonly<Record<string, { readonly submitted: number; readonly completed: number }>>;
  /** Loans of memory ({@link IoDriver.lend}) not yet released: out, or given back with an op still naming them. */
  readonly loans: number;
}

/** @category Driver */
export class IoDriver {
  readonly pool: BufferPool;
  readonly #backend: Backend;
  readonly #staging: DataView;
  readonly #stagingRecords: number;
  readonly #completions: DataView;
  #staged = 0;
  #flushScheduled = false;
  #shutdown: Promise<void> | undefined = undefined;
  readonly #inFlight = new InFlightTable();
  #closing = false;
  #closed = false;
  #drained: (() => void) | undefined = undefined;
  #submitted = 0;
  /** By opcode (the contract's `Op` values, all below 32). */
  readonly #submittedByOp = new Float64Array(32);
  readonly #completedByOp = new Float64Array(32);
  #completed = 0;
  readonly #flush = () => this.flush();
  /** Buffer-select receives in flight, by token, and their group. */
  readonly #selecting = new Map<number, BufferGroup>();
  readonly #groups: (BufferGroup | undefined)[] = [];
  readonly #unsubscribe: () => void;
  /**
   * The first lent arena id: past every id the pool can give its arenas. Ids stop at 65,535, so a pool that may grow
   * past 65,472 arenas leaves no room: then nothing is lent (`lend` answers `undefined`, and callers copy).
   */
  readonly #firstLoanId: number;
  /** Loans out, by `arenaId − #firstLoanId`. */
  readonly #loanIds: (LentBuffer | undefined)[] = [];
  /** Ops in flight naming a loan, by token (no Map work per op unless a loan is out). */
  readonly #loanOps = new Map<number, LentBuffer>();

  constructor(factory: BackendFactory, options: IoDriverOptions = {}) {
    if (typeof factory !== 'function')
      expected('a backend factory: (staging, completions, onCompletions) => Backend', factory, 'new IoDriver');
    this.#stagingRecords = options.stagingRecords ?? 256;
    const completionRecords = options.completionRecords ?? 1024;
    const staging = new ArrayBuffer(this.#stagingRecords * OP_RECORD_BYTES);
    const completions = new ArrayBuffer(completionRecords * COMPLETION_RECORD_BYTES);
    this.#staging = new DataView(staging);
    this.#completions = new DataView(completions);
    this.pool = options.pool ?? new BufferPool();
    this.#backend = factory(staging, completions, (count) => this.#onCompletions(count));
    this.#unsubscribe = this.pool.onArena((arena) => this.#backend.registerArena(arena.id, arena.buffer));
    this.#firstLoanId = Math.floor(this.pool.maxBytes / this.pool.arenaBytes); // Infinity for an unbounded pool
  }

  /** The backend's name: `'io_uring'`, `'epoll'` or `'js'`. */
  get kind(): string {
    return this.#backend.kind;
  }

  /** Ops submitted and not yet finally completed. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Counters: ops submitted and finally completed, in all and by kind (`read`, `accept`, …; kinds never used left out). */
  metrics(): IoDriverMetrics {
    const byKind: Record<string, { submitted: number; completed: number }> = {};
    for (const [name, opcode] of Object.entries(Op)) {
      const submitted = this.#submittedByOp[opcode]!;
      if (submitted > 0) byKind[name.toLowerCase()] = { submitted, completed: this.#completedByOp[opcode]! };
    }
    const loans = this.#loanIds.reduce((n, loan) => (loan === undefined ? n : n + 1), 0);
    return { submitted: this.#submitted, completed: this.#completed, inFlight: this.#inFlight.size, byKind, loans };
  }

  // ---- Encoding -------------------------------------------------------------------------------------------------

  #record(opcode: number, handler: CompletionHandler, fd: number, internal = false): number {
    if (this.#closing && !internal) {
      throw new ZokioError('ERR_ZOKIO_DRIVER_CLOSED', 'Expected a running I/O driver, got one that is shutting down');
    }
    if (this.#staged === this.#stagingRecords) this.flush();
    const token = this.#inFlight.add(handler, opcode);
    const at = this.#staged * OP_RECORD_BYTES;
    const v = this.#staging;
    for (let i = 0; i < OP_RECORD_BYTES; i += 4) v.setUint32(at + i, 0, true);
    v.setUint8(at + OpField.opcode, opcode);
    v.setUint32(at + OpField.token, token, true);
    v.setInt32(at + OpField.fd, fd, true);
    v.setFloat64(at + OpField.offset, -1, true);
    this.#staged++;
    this.#submitted++;
    this.#submittedByOp[opcode]!++;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#flush);
    }
    return at;
  }

  #token(at: number): number {
    return this.#staging.getUint32(at + OpField.token, true);
  }

  /**
   * Takes back the record just staged at `at` (always the last one): its op method is about to throw on a bad
   * argument, so the op must not happen — its caller gives its buffers back to the pool on that throw, and a
   * staged record would hand the kernel memory someone else then owns.
   */
  #abandon(at: number): void {
    const v = this.#staging;
    if (this.#loanOps.size !== 0) this.#settleLoanOp(this.#token(at));
    const slot = this.#inFlight.slotOf(this.#token(at));
    if (slot >= 0) this.#inFlight.remove(slot);
    this.#staged--;
    this.#submitted--;
    this.#submittedByOp[v.getUint8(at + OpField.opcode)]!--;
  }

  #buffer(at: number, buf: BufferRef, length = buf.length): void {
    if (length > buf.capacity) {
      this.#abandon(at);
      expected(`a length ≤ the buffer's capacity ${buf.capacity}`, length, 'IoDriver');
    }
    if (buf instanceof LentSpan) {
      const loan = buf.loan;
      if (loan.returned || this.#loanIds[loan.arenaId - this.#firstLoanId] !== loan) {
        this.#abandon(at);
        expected('a span of memory this driver has on loan', loan, 'IoDriver');
      }
      loan.inFlight++;
      this.#loanOps.set(this.#token(at), loan);
    }
    const v = this.#staging;
    v.setUint32(at + OpField.bufArena, buf.arenaId, true);
    v.setUint32(at + OpField.bufOffset, buf.offset, true);
    v.setUint32(at + OpField.bufLength, length, true);
  }

  // ---- Lent memory ----------------------------------------------------------------------------------------------

  /**
   * Lends `bytes` (its whole `ArrayBuffer` is registered) to the backend, so that `read` and `write` can name spans
   * of it ({@link LentBuffer.span}) instead of pool buffers. `undefined` when it cannot be lent — {@link MAX_LOANS}
   * are out already, the pool may use every arena id, or `bytes` ends past 4 GiB − 1 in its `ArrayBuffer` (an op
   * names bytes with 32-bit offsets) — and the caller copies through pool buffers instead. End the loan with
   * {@link IoDriver.giveBack}. Lend only memory nobody else can see until then (see `lent-buffer.ts`).
   */
  lend(bytes: Uint8Array): LentBuffer | undefined {
    if (this.#closing) {
      throw new ZokioError('ERR_ZOKIO_DRIVER_CLOSED', 'Expected a running I/O driver, got one that is shutting down');
    }
    if (!(bytes instanceof Uint8Array)) expected('a Uint8Array', bytes, 'IoDriver.lend');
    if (bytes.byteOffset + bytes.byteLength > 0xffffffff) return undefined;
    let index = this.#loanIds.indexOf(undefined);
    if (index < 0) index = this.#loanIds.length;
    if (index >= MAX_LOANS || this.#firstLoanId + index >= MAX_ARENA_IDS) return undefined;
    const loan = new LentBuffer(this, this.#firstLoanId + index, bytes);
    this.#backend.lendArena(loan.arenaId, bytes.buffer as ArrayBuffer);
    this.#loanIds[index] = loan;
    return loan;
  }

  /**
   * Ends `loan`: the backend lets go of its memory at the final completion of the last op naming it (at once if
   * none is in flight). Idempotent.
   */
  giveBack(loan: LentBuffer): void {
    if (!(loan instanceof LentBuffer)) expected('a LentBuffer', loan, 'IoDriver.giveBack');
    if (loan.returned) return;
    if (this.#loanIds[loan.arenaId - this.#firstLoanId] !== loan) expected('a loan of this driver', loan, 'giveBack');
    loan.returned = true;
    if (loan.inFlight === 0) this.#release(loan);
  }

  /** The op `token` finally completed (or was never submitted): one op fewer names its loan, if it names one. */
  #settleLoanOp(token: number): void {
    const loan = this.#loanOps.get(token);
    if (loan === undefined) return;
    this.#loanOps.delete(token);
    if (--loan.inFlight === 0 && loan.returned) this.#release(loan);
  }

  #release(loan: LentBuffer): void {
    const index = loan.arenaId - this.#firstLoanId;
    if (this.#loanIds[index] !== loan) return;
    this.#loanIds[index] = undefined;
    if (this.#closed) return;
    try {
      this.#backend.releaseArena(loan.arenaId);
    } catch (error) {
      // Never expected (the id was lent); if it happens inside a completion batch, the batch still runs.
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  #path(at: number, path: IoBuf, field: 'path' | 'path2' = 'path'): void {
    const v = this.#staging;
    v.setUint32(at + (field === 'path' ? OpField.pathArena : OpField.path2Arena), path.arenaId, true);
    v.setUint32(at + (field === 'path' ? OpField.pathOffset : OpField.path2Offset), path.offset, true);
  }

  #addr(at: number, addr: IoBuf | undefined, length: number): void {
    if (addr === undefined) return;
    if (length > addr.capacity || length > SOCKADDR_MAX_BYTES) {
      this.#abandon(at);
      expected(`an address length ≤ ${Math.min(addr.capacity, SOCKADDR_MAX_BYTES)}`, length, 'IoDriver');
    }
    const v = this.#staging;
    v.setUint32(at + OpField.addrArena, addr.arenaId, true);
    v.setUint32(at + OpField.addrOffset, addr.offset, true);
    v.setUint32(at + OpField.addrLength, length, true);
  }

  /**
   * Encodes `address` as a `struct sockaddr` into a pool buffer of {@link SOCKADDR_MAX_BYTES} bytes (room for any
   * address an op may write back too). The caller releases it after the op's final completion.
   */
  encodeAddress(address: SocketAddress): { buf: IoBuf; length: number } {
    const buf = this.pool.acquire(SOCKADDR_MAX_BYTES);
    try {
      return { buf, length: encodeSockaddr(address, buf.bytes) };
    } catch (error) {
      this.pool.release(buf);
      throw error;
    }
  }

  /**
   * Writes an iovec table for `READV`/`WRITEV` into a pool buffer: one entry per buffer, `lengths[i]` bytes of
   * `bufs[i]` (default its `length`). The caller releases it after the op's final completion.
   */
  encodeIovecs(bufs: readonly IoBuf[], lengths?: readonly number[]): IoBuf {
    const isArray: (value: unknown) => boolean = Array.isArray; // no narrowing to any[]
    if (!isArray(bufs) || bufs.length === 0 || bufs.length > IOV_MAX) {
      expected(`1 to ${IOV_MAX} buffers`, bufs, 'IoDriver.encodeIovecs');
    }
    const table = this.pool.acquire(bufs.length * IOVEC_ENTRY_BYTES);
    const v = new DataView(table.bytes.buffer, table.bytes.byteOffset, table.bytes.byteLength);
    for (let i = 0; i < bufs.length; i++) {
      const buf = bufs[i]!;
      const length = lengths?.[i] ?? buf.length;
      if (!Number.isInteger(length) || length < 0 || length > buf.capacity) {
        this.pool.release(table);
        expected(`a length from 0 to the buffer's capacity ${buf.capacity}`, length, 'IoDriver.encodeIovecs');
      }
      const at = i * IOVEC_ENTRY_BYTES;
      v.setUint32(at, buf.arenaId, true);
      v.setUint32(at + 4, buf.offset, true);
      v.setUint32(at + 8, length, true);
      v.setUint32(at + 12, 0, true);
    }
    return table;
  }

  /**
   * Copies `path` into a pool buffer, NUL-terminated, for the `*at` ops. The caller releases it after the op's
   * final completion. A path containing a NUL byte is refused with a TypeError.
   */
  encodePath(path: string): IoBuf {
    if (typeof path !== 'string') expected('a path string', path, 'IoDriver.encodePath');
    if (path.includes('\0')) expected('a path without NUL bytes', path, 'IoDriver.encodePath');
    const bytes = Buffer.byteLength(path, 'utf8') + 1;
    const buf = this.pool.acquire(bytes);
    const written = Buffer.from(buf.bytes.buffer, buf.bytes.byteOffset, buf.bytes.byteLength).write(path, 'utf8');
    buf.bytes[written] = 0;
    return buf;
  }

  // ---- Ops ------------------------------------------------------------------------------------------------------

  /** A no-op: completes with 0. */
  nop(handler: CompletionHandler): number {
    return this.#token(this.#record(Op.NOP, handler, -1));
  }

  /**
   * Reads up to `length` (default `buf.length`) bytes at `position` (−1: the fd's current position) into `buf`: a
   * pool buffer, or a span of lent memory ({@link IoDriver.lend}).
   */
  read(fd: number, buf: BufferRef, position: number, handler: CompletionHandler, length?: number): number {
    const at = this.#record(Op.READ, handler, fd);
    this.#buffer(at, buf, length);
    this.#staging.setFloat64(at + OpField.offset, position, true);
    return this.#token(at);
  }

  /** Writes `length` (default `buf.length`) bytes of `buf` (a pool buffer, or lent memory) at `position` (−1: current). */
  write(fd: number, buf: BufferRef, position: number, handler: CompletionHandler, length?: number): number {
    const at = this.#record(Op.WRITE, handler, fd);
    this.#buffer(at, buf, length);
    this.#staging.setFloat64(at + OpField.offset, position, true);
    return this.#token(at);
  }

  /** Opens `path` (from {@link encodePath}) relative to `dirfd`; completes with the new fd. */
  openat(dirfd: number, path: IoBuf, flags: number, mode: number, handler: CompletionHandler): number {
    const at = this.#record(Op.OPENAT, handler, dirfd);
    this.#path(at, path);
    this.#staging.setUint32(at + OpField.arg, flags, true);
    this.#staging.setUint32(at + OpField.mode, mode, true);
    return this.#token(at);
  }

  /** Closes `fd`. */
  close(fd: number, handler: CompletionHandler): number {
    return this.#token(this.#record(Op.CLOSE, handler, fd));
  }

  /** `fsync`, or `fdatasync` when `datasync`. */
  fsync(fd: number, datasync: boolean, handler: CompletionHandler): number {
    const at = this.#record(Op.FSYNC, handler, fd);
    this.#staging.setUint32(at + OpField.arg, datasync ? 1 : 0, true);
    return this.#token(at);
  }

  /** `statx` into `out` (at least 256 bytes: `struct statx`). */
  statx(dirfd: number, path: IoBuf, atFlags: number, mask: number, out: IoBuf, handler: CompletionHandler): number {
    const at = this.#record(Op.STATX, handler, dirfd);
    this.#path(at, path);
    this.#buffer(at, out, 256);
    this.#staging.setUint32(at + OpField.arg, mask, true);
    this.#staging.setUint32(at + OpField.mode, atFlags, true);
    return this.#token(at);
  }

  /** `unlinkat` (`flags` `AT_REMOVEDIR` = 0x200 removes a directory). */
  unlinkat(dirfd: number, path: IoBuf, flags: number, handler: CompletionHandler): number {
    const at = this.#record(Op.UNLINKAT, handler, dirfd);
    this.#path(at, path);
    this.#staging.setUint32(at + OpField.arg, flags, true);
    return this.#token(at);
  }

  /** `renameat2`. */
  renameat(
    oldDirfd: number,
    oldPath: IoBuf,
    newDirfd: number,
    newPath: IoBuf,
    flags: number,
    handler: CompletionHandler,
  ): number {
    const at = this.#record(Op.RENAMEAT, handler, oldDirfd);
    this.#path(at, oldPath);
    this.#path(at, newPath, 'path2');
    this.#staging.setInt32(at + OpField.fd2, newDirfd, true);
    this.#staging.setUint32(at + OpField.arg, flags, true);
    return this.#token(at);
  }

  /** `mkdirat`. */
  mkdirat(dirfd: number, path: IoBuf, mode: number, handler: CompletionHandler): number {
    const at = this.#record(Op.MKDIRAT, handler, dirfd);
    this.#path(at, path);
    this.#staging.setUint32(at + OpField.mode, mode, true);
    return this.#token(at);
  }

  /** Completes with `-ETIME` after `ms` milliseconds (a kernel timer with io_uring). */
  timeout(ms: number, handler: CompletionHandler): number {
    if (!Number.isInteger(ms) || ms < 0 || ms > 0xffffffff)
      expected('a whole number of milliseconds', ms, 'IoDriver.timeout');
    const at = this.#record(Op.TIMEOUT, handler, -1);
    this.#staging.setUint32(at + OpField.arg, ms, true);
    return this.#token(at);
  }

  /** Reads into the buffers of an iovec table ({@link encodeIovecs}) of `count` entries at `position` (−1: current). */
  readv(fd: number, table: IoBuf, count: number, position: number, handler: CompletionHandler): number {
    return this.#vectored(Op.READV, fd, table, count, position, handler);
  }

  /** Writes the buffers of an iovec table ({@link encodeIovecs}) of `count` entries at `position` (−1: current). */
  writev(fd: number, table: IoBuf, count: number, position: number, handler: CompletionHandler): number {
    return this.#vectored(Op.WRITEV, fd, table, count, position, handler);
  }

  #vectored(op: number, fd: number, table: IoBuf, count: number, position: number, handler: CompletionHandler): number {
    if (!Number.isInteger(count) || count < 1 || count > IOV_MAX)
      expected(`1 to ${IOV_MAX} entries`, count, 'IoDriver');
    const at = this.#record(op, handler, fd);
    this.#buffer(at, table, count * IOVEC_ENTRY_BYTES);
    this.#staging.setUint32(at + OpField.arg, count, true);
    this.#staging.setFloat64(at + OpField.offset, position, true);
    return this.#token(at);
  }

  /** Creates a socket (`AF_*` domain, `SOCK_*` type); completes with its fd, close-on-exec. */
  socket(domain: number, type: number, protocol: number, handler: CompletionHandler): number {
    const at = this.#record(Op.SOCKET, handler, -1);
    this.#staging.setUint32(at + OpField.arg, domain, true);
    this.#staging.setUint32(at + OpField.mode, type, true);
    this.#staging.setInt32(at + OpField.fd2, protocol, true);
    return this.#token(at);
  }

  /** Binds `fd` to the address in `addr` ({@link encodeAddress}). */
  bind(fd: number, addr: IoBuf, addrLength: number, handler: CompletionHandler): number {
    const at = this.#record(Op.BIND, handler, fd);
    this.#addr(at, addr, addrLength);
    return this.#token(at);
  }

  /** Marks `fd` as listening with `backlog`. */
  listen(fd: number, backlog: number, handler: CompletionHandler): number {
    const at = this.#record(Op.LISTEN, handler, fd);
    this.#staging.setUint32(at + OpField.arg, backlog, true);
    return this.#token(at);
  }

  /**
   * Accepts a connection; completes with its fd (close-on-exec). With `multishot`, completes once per connection
   * (each but the last with `COMPLETION_MORE`). With `addr` (single-shot only), the peer's address is written there
   * and its length comes as `aux`.
   */
  accept(fd: number, handler: CompletionHandler, options: { multishot?: boolean; addr?: IoBuf } = {}): number {
    const at = this.#record(Op.ACCEPT, handler, fd);
    if (options.multishot) this.#staging.setUint32(at + OpField.mode, MODE_MULTISHOT, true);
    else if (options.addr !== undefined) this.#addr(at, options.addr, SOCKADDR_MAX_BYTES);
    return this.#token(at);
  }

  /** Connects `fd` to the address in `addr` ({@link encodeAddress}). */
  connect(fd: number, addr: IoBuf, addrLength: number, handler: CompletionHandler): number {
    const at = this.#record(Op.CONNECT, handler, fd);
    this.#addr(at, addr, addrLength);
    return this.#token(at);
  }

  /** Receives into `buf`; completes with the byte count (0: the peer closed its side). */
  recv(fd: number, buf: IoBuf, handler: CompletionHandler, options: SocketIoOptions = {}): number {
    const at = this.#record(Op.RECV, handler, fd);
    this.#buffer(at, buf, options.length);
    this.#staging.setUint32(at + OpField.arg, options.flags ?? 0, true);
    return this.#token(at);
  }

  /**
   * Receives into a buffer the backend picks from `group` when data arrives: the completion carries
   * `COMPLETION_BUFFER` and the buffer id in `aux` (see {@link BufferGroup}); `-ENOBUFS` when the group is empty.
   */
  recvSelect(
    fd: number,
    group: BufferGroup,
    handler: CompletionHandler,
    options: { multishot?: boolean; flags?: number } = {},
  ): number {
    if (this.#groups[group.id] !== group) expected('a buffer group of this driver', group, 'IoDriver.recvSelect');
    const at = this.#record(Op.RECV, handler, fd);
    const mode = MODE_BUFFER_SELECT | group.id | (options.multishot ? MODE_MULTISHOT : 0);
    this.#staging.setUint32(at + OpField.mode, mode, true);
    this.#staging.setUint32(at + OpField.arg, options.flags ?? 0, true);
    const token = this.#token(at);
    this.#selecting.set(token, group);
    return token;
  }

  /** Sends from `buf`; completes with the byte count (`MSG_NOSIGNAL` always: a closed peer is `-EPIPE`). */
  send(fd: number, buf: IoBuf, handler: CompletionHandler, options: SocketIoOptions = {}): number {
    const at = this.#record(Op.SEND, handler, fd);
    this.#buffer(at, buf, options.length);
    this.#staging.setUint32(at + OpField.arg, options.flags ?? 0, true);
    return this.#token(at);
  }

  /** Receives a datagram into `buf`; with `from`, the sender's address is written there, its length as `aux`. */
  recvmsg(
    fd: number,
    buf: IoBuf,
    from: IoBuf | undefined,
    handler: CompletionHandler,
    options: SocketIoOptions = {},
  ): number {
    const at = this.#record(Op.RECVMSG, handler, fd);
    this.#buffer(at, buf, options.length);
    this.#addr(at, from, SOCKADDR_MAX_BYTES);
    this.#staging.setUint32(at + OpField.arg, options.flags ?? 0, true);
    return this.#token(at);
  }

  /** Sends a datagram from `buf`, to the address in `to` (`toLength` bytes) or the connected peer. */
  sendmsg(
    fd: number,
    buf: IoBuf,
    to: IoBuf | undefined,
    toLength: number,
    handler: CompletionHandler,
    options: SocketIoOptions = {},
  ): number {
    const at = this.#record(Op.SENDMSG, handler, fd);
    this.#buffer(at, buf, options.length);
    this.#addr(at, to, toLength);
    this.#staging.setUint32(at + OpField.arg, options.flags ?? 0, true);
    return this.#token(at);
  }

  /** `shutdown(2)` of a socket: `how` 0 = reads, 1 = writes, 2 = both. */
  shutdownSocket(fd: number, how: 0 | 1 | 2, handler: CompletionHandler): number {
    const at = this.#record(Op.SHUTDOWN, handler, fd);
    this.#staging.setUint32(at + OpField.arg, how, true);
    return this.#token(at);
  }

  /** Waits until `fd` is ready for `mask` (`POLLIN` 1, `POLLOUT` 4); completes with the ready mask. */
  pollAdd(fd: number, mask: number, handler: CompletionHandler, options: { multishot?: boolean } = {}): number {
    const at = this.#record(Op.POLL_ADD, handler, fd);
    this.#staging.setUint32(at + OpField.arg, mask, true);
    if (options.multishot) this.#staging.setUint32(at + OpField.mode, MODE_MULTISHOT, true);
    return this.#token(at);
  }

  // ---- Synchronous socket helpers and buffer groups -------------------------------------------------------------

  /** Writes `fd`'s local (or, with `peer`, remote) address into `out`; returns its length or a negated errno. */
  socketAddress(fd: number, peer: boolean, out: Uint8Array): number {
    return this.#backend.socketAddress(fd, peer, out);
  }

  /** Sets a socket option; returns 0 or a negated errno. */
  setSocketOption(fd: number, option: SocketOption, value: number): number {
    return this.#backend.setSocketOption(fd, option, value);
  }

  /** Joins or leaves an IPv4 multicast group (see `Backend.setMembership`); returns 0 or a negated errno. */
  setMembership(fd: number, join: boolean, group: number, iface: number): number {
    return this.#backend.setMembership(fd, join, group, iface);
  }

  /**
   * Creates a group of `count` (a power of two, up to 32,768) provided buffers of `bufferSize` bytes for
   * {@link recvSelect}. Its buffers return to the pool at {@link shutdown}.
   */
  createBufferGroup(count: number, bufferSize: number): BufferGroup {
    if (!Number.isInteger(count) || count < 1 || count > MAX_GROUP_BUFFERS || (count & (count - 1)) !== 0) {
      expected(`a power of two from 1 to ${MAX_GROUP_BUFFERS}`, count, 'IoDriver.createBufferGroup');
    }
    let id = this.#groups.indexOf(undefined);
    if (id < 0) id = this.#groups.length;
    if (id > 0xffff)
      throw new ZokioError('ERR_ZOKIO_TOO_MANY_GROUPS', 'Expected at most 65,536 buffer groups, got more');
    const group = new BufferGroup(this.#backend, this.pool, id, count, bufferSize);
    this.#groups[id] = group;
    return group;
  }

  /**
   * Requests cancellation of `token`. The op still completes once: with `-ECANCELED` if the cancel won, else its
   * result — except an fd-producing op, whose late fd the driver closes, reporting `-ECANCELED`. A close is never
   * cancelled (contract rule 9): it runs and completes with its own result.
   */
  cancel(token: number): void {
    const slot = this.#inFlight.slotOf(token);
    if (slot < 0 || this.#inFlight.isCancelled(slot)) return;
    // A close that a cancel stopped before it ran (epoll's pool queue, io_uring's io-wq) would leak its fd, and
    // the caller has already let go of it. Shutdown relies on this too: it cancels every op in flight.
    if (this.#inFlight.opcode(slot) === Op.CLOSE) return;
    this.#inFlight.markCancelled(slot);
    const at = this.#record(Op.CANCEL, IGNORE, -1, true);
    this.#staging.setUint32(at + OpField.arg, token, true);
  }

  /** Hands the ops staged so far to the backend: one call per tick. */
  flush(): void {
    this.#flushScheduled = false;
    const count = this.#staged;
    if (count === 0 || this.#closed) return;
    this.#staged = 0;
    this.#backend.flush(count);
  }

  // ---- Completions ----------------------------------------------------------------------------------------------

  #onCompletions(count: number): void {
    const v = this.#completions;
    for (let i = 0; i < count; i++) {
      const at = i * COMPLETION_RECORD_BYTES;
      const token = v.getUint32(at + CompletionField.token, true);
      let res = v.getInt32(at + CompletionField.res, true);
      const flags = v.getUint32(at + CompletionField.flags, true);
      const aux = v.getUint32(at + CompletionField.aux, true);
      const table = this.#inFlight;
      const slot = table.slotOf(token);
      if (slot < 0) continue; // a stale token: never happens with a conforming backend
      const handler = table.handler(slot);
      if ((flags & COMPLETION_BUFFER) !== 0) this.#selecting.get(token)?.markLent(aux);
      // An fd-producing op (open, socket, accept) that won the race with its cancel: its future is gone, so the fd
      // would leak. Close it; an intermediate multishot completion is then not delivered at all.
      const orphanedFd = res >= 0 && table.isCancelled(slot) && producesFd(table.opcode(slot));
      if (orphanedFd) this.#record(Op.CLOSE, IGNORE, res, true);
      if ((flags & COMPLETION_MORE) === 0) {
        this.#completedByOp[table.opcode(slot)]!++;
        table.remove(slot);
        if (this.#selecting.size !== 0) this.#selecting.delete(token); // no Map work per op unless selecting
        if (this.#loanOps.size !== 0) this.#settleLoanOp(token);
        this.#completed++;
        if (orphanedFd) res = -ECANCELED;
      } else if (orphanedFd) continue;
      try {
        handler.complete(res, flags, aux);
      } catch (error) {
        // A handler must not throw; if one does, the other completions still run.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    if (this.#closing && this.#inFlight.size === 0) this.#drained?.();
  }

  // ---- Shutdown -------------------------------------------------------------------------------------------------

  /**
   * Cancels every op in flight, waits for every final completion, then closes the backend. A second call returns
   * the first one's promise.
   */
  shutdown(): Promise<void> {
    return (this.#shutdown ??= this.#shutDown());
  }

  async #shutDown(): Promise<void> {
    if (this.#closed) return;
    for (const token of this.#inFlight.tokens()) {
      const slot = this.#inFlight.slotOf(token);
      if (this.#inFlight.opcode(slot) !== Op.CANCEL) this.cancel(token);
    }
    this.#closing = true;
    this.flush();
    if (this.#inFlight.size > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    this.#closed = true;
    this.#unsubscribe();
    this.#backend.close();
    for (const group of this.#groups) group?.release();
    this.#groups.length = 0;
  }
}

export { AT_FDCWD };
