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
 *
 * @module
 */
import { constants } from 'node:os';
import { expected, serviceKey, ZokioError } from '@zokio/future';
import { BufferPool, type IoBuf } from '@zokio/memory';
import {
  AT_FDCWD,
  COMPLETION_MORE,
  COMPLETION_RECORD_BYTES,
  CompletionField,
  Op,
  OP_RECORD_BYTES,
  OpField,
  type Backend,
  type BackendFactory,
} from './contract.js';
import { InFlightTable } from './in-flight.js';

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

/** The service key under which a runtime provides its {@link IoDriver} to the futures it polls. @category Driver */
export const IO = serviceKey<IoDriver>('zokio.io');

/** @category Driver */
export class IoDriver {
  readonly pool: BufferPool;
  readonly #backend: Backend;
  readonly #staging: DataView;
  readonly #stagingRecords: number;
  readonly #completions: DataView;
  #staged = 0;
  #flushScheduled = false;
  readonly #inFlight = new InFlightTable();
  #closing = false;
  #closed = false;
  #drained: (() => void) | undefined = undefined;
  #submitted = 0;
  #completed = 0;
  readonly #flush = () => this.flush();
  readonly #unsubscribe: () => void;

  constructor(factory: BackendFactory, options: IoDriverOptions = {}) {
    this.#stagingRecords = options.stagingRecords ?? 256;
    const completionRecords = options.completionRecords ?? 1024;
    const staging = new ArrayBuffer(this.#stagingRecords * OP_RECORD_BYTES);
    const completions = new ArrayBuffer(completionRecords * COMPLETION_RECORD_BYTES);
    this.#staging = new DataView(staging);
    this.#completions = new DataView(completions);
    this.pool = options.pool ?? new BufferPool();
    this.#backend = factory(staging, completions, (count) => this.#onCompletions(count));
    this.#unsubscribe = this.pool.onArena((arena) => this.#backend.registerArena(arena.id, arena.buffer));
  }

  /** The backend's name: `'io_uring'`, `'epoll'` or `'js'`. */
  get kind(): string {
    return this.#backend.kind;
  }

  /** Ops submitted and not yet finally completed. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Counters. */
  metrics(): { submitted: number; completed: number; inFlight: number } {
    return { submitted: this.#submitted, completed: this.#completed, inFlight: this.#inFlight.size };
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
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#flush);
    }
    return at;
  }

  #token(at: number): number {
    return this.#staging.getUint32(at + OpField.token, true);
  }

  #buffer(at: number, buf: IoBuf, length = buf.length): void {
    if (length > buf.capacity) expected(`a length ≤ the buffer's capacity ${buf.capacity}`, length, 'IoDriver');
    const v = this.#staging;
    v.setUint32(at + OpField.bufArena, buf.arenaId, true);
    v.setUint32(at + OpField.bufOffset, buf.offset, true);
    v.setUint32(at + OpField.bufLength, length, true);
  }

  #path(at: number, path: IoBuf, field: 'path' | 'path2' = 'path'): void {
    const v = this.#staging;
    v.setUint32(at + (field === 'path' ? OpField.pathArena : OpField.path2Arena), path.arenaId, true);
    v.setUint32(at + (field === 'path' ? OpField.pathOffset : OpField.path2Offset), path.offset, true);
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

  /** Reads up to `length` (default `buf.length`) bytes at `position` (−1: the fd's current position). */
  read(fd: number, buf: IoBuf, position: number, handler: CompletionHandler, length?: number): number {
    const at = this.#record(Op.READ, handler, fd);
    this.#buffer(at, buf, length);
    this.#staging.setFloat64(at + OpField.offset, position, true);
    return this.#token(at);
  }

  /** Writes `length` (default `buf.length`) bytes at `position` (−1: the fd's current position). */
  write(fd: number, buf: IoBuf, position: number, handler: CompletionHandler, length?: number): number {
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

  /**
   * Requests cancellation of `token`. The op still completes once: with `-ECANCELED` if the cancel won, else its
   * result — except an fd-producing op, whose late fd the driver closes, reporting `-ECANCELED`.
   */
  cancel(token: number): void {
    const slot = this.#inFlight.slotOf(token);
    if (slot < 0 || this.#inFlight.isCancelled(slot)) return;
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
      if ((flags & COMPLETION_MORE) === 0) {
        const orphanedFd = table.isCancelled(slot) && res >= 0 && table.opcode(slot) === Op.OPENAT;
        table.remove(slot);
        this.#completed++;
        if (orphanedFd) {
          // The open won the race with its cancel: its future is gone, so the fd would leak. Close it.
          this.#record(Op.CLOSE, IGNORE, res, true);
          res = -ECANCELED;
        }
      }
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

  /** Cancels every op in flight, waits for every final completion, then closes the backend. */
  async shutdown(): Promise<void> {
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
  }
}

export { AT_FDCWD };
