/**
 * The `js` backend: the contract of `contract.ts` on Node's own callback `fs` API (not `fs.promises`, which costs
 * 2–3× more per op), for machines where the native backends cannot load.
 *
 * `flush(count)` decodes each op record and starts the matching `fs` call. Results are queued and delivered in
 * batches, once per macrotask (`setImmediate`), through the completion buffer, so the driver sees completions in
 * the same shape and at the same points of the event loop as from a native backend.
 *
 * Cancellation: a `TIMEOUT` is cancelled (its Node timer cleared; it completes with `-ECANCELED`). An `fs` call
 * already handed to libuv's thread pool cannot be stopped; cancelling it completes the cancel with `-EALREADY`, and
 * the target completes with its own result, as io_uring does for an op it cannot interrupt.
 *
 * Paths: `fs` has no `*at` calls, so a dirfd other than `AT_FDCWD` is refused with `-EINVAL` (absolute paths work
 * with any dirfd).
 *
 * @module
 */
import * as fs from 'node:fs';
import { constants } from 'node:os';
import {
  AT_FDCWD,
  COMPLETION_RECORD_BYTES,
  CompletionField,
  Op,
  OP_RECORD_BYTES,
  OpField,
  type Backend,
  type BackendFactory,
} from '../contract.js';

const E = constants.errno;
const AT_REMOVEDIR = 0x200;
const AT_SYMLINK_NOFOLLOW = 0x100;
const RENAME_NOREPLACE = 1;

/** `-errno` of a Node error (its `errno` is already negative). */
function negErrno(error: NodeJS.ErrnoException | null): number {
  if (error === null) return 0;
  return typeof error.errno === 'number' ? -Math.abs(error.errno) : -E.EIO;
}

interface Running {
  /** Clears a timeout; undefined for ops that cannot be stopped. */
  stop?: () => void;
}

class JsBackend implements Backend {
  readonly kind = 'js';
  readonly #staging: DataView;
  readonly #completions: DataView;
  readonly #capacity: number;
  readonly #onCompletions: (count: number) => void;
  readonly #arenas = new Map<number, Uint8Array>();
  readonly #running = new Map<number, Running>();
  /** Completions waiting for the next delivery: token, res, flags, aux. */
  #queue: number[] = [];
  #deliveryScheduled = false;
  #closed = false;
  readonly #deliver = () => this.#deliverBatch();

  constructor(staging: ArrayBuffer, completions: ArrayBuffer, onCompletions: (count: number) => void) {
    this.#staging = new DataView(staging);
    this.#completions = new DataView(completions);
    this.#capacity = Math.floor(completions.byteLength / COMPLETION_RECORD_BYTES);
    this.#onCompletions = onCompletions;
  }

  registerArena(id: number, buffer: ArrayBuffer): void {
    this.#arenas.set(id, new Uint8Array(buffer));
  }

  flush(count: number): void {
    for (let i = 0; i < count; i++) this.#start(i * OP_RECORD_BYTES);
  }

  close(): void {
    if (this.#running.size > 0) throw new Error(`js backend: close() with ${this.#running.size} ops in flight`);
    this.#closed = true;
  }

  #complete(token: number, res: number, flags = 0, aux = 0): void {
    this.#running.delete(token);
    this.#queue.push(token, res, flags, aux);
    if (!this.#deliveryScheduled) {
      this.#deliveryScheduled = true;
      setImmediate(this.#deliver);
    }
  }

  #deliverBatch(): void {
    this.#deliveryScheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    const view = this.#completions;
    for (let start = 0; start < queue.length;) {
      let n = 0;
      for (; n < this.#capacity && start < queue.length; n++, start += 4) {
        const at = n * COMPLETION_RECORD_BYTES;
        view.setUint32(at + CompletionField.token, queue[start]!, true);
        view.setInt32(at + CompletionField.res, queue[start + 1]!, true);
        view.setUint32(at + CompletionField.flags, queue[start + 2]!, true);
        view.setUint32(at + CompletionField.aux, queue[start + 3]!, true);
      }
      this.#onCompletions(n);
    }
  }

  /** The bytes an op record names, or undefined if the reference is out of bounds. */
  #bytes(arenaId: number, offset: number, length: number): Uint8Array | undefined {
    const arena = this.#arenas.get(arenaId);
    if (arena === undefined || offset + length > arena.byteLength) return undefined;
    return arena.subarray(offset, offset + length);
  }

  #path(arenaId: number, offset: number): string | undefined {
    const arena = this.#arenas.get(arenaId);
    if (arena === undefined || offset >= arena.byteLength) return undefined;
    const end = arena.indexOf(0, offset);
    if (end < 0) return undefined;
    return Buffer.from(arena.buffer, arena.byteOffset + offset, end - offset).toString('utf8');
  }

  #start(at: number): void {
    const v = this.#staging;
    const opcode = v.getUint8(at + OpField.opcode);
    const token = v.getUint32(at + OpField.token, true);
    const fd = v.getInt32(at + OpField.fd, true);
    const arg = v.getUint32(at + OpField.arg, true);
    const offset = v.getFloat64(at + OpField.offset, true);
    if (this.#closed) return this.#complete(token, -E.EBADF);
    this.#running.set(token, {});
    const done = (error: NodeJS.ErrnoException | null, value = 0) =>
      this.#complete(token, error === null ? value : negErrno(error));
    const position = offset < 0 ? null : offset;
    switch (opcode) {
      case Op.NOP:
        return this.#complete(token, 0);
      case Op.READ:
      case Op.WRITE: {
        const buf = this.#bytes(
          v.getUint32(at + OpField.bufArena, true),
          v.getUint32(at + OpField.bufOffset, true),
          v.getUint32(at + OpField.bufLength, true),
        );
        if (buf === undefined) return this.#complete(token, -E.EFAULT);
        if (opcode === Op.READ) fs.read(fd, buf, 0, buf.byteLength, position, (e, n) => done(e, n));
        else fs.write(fd, buf, 0, buf.byteLength, position, (e, n) => done(e, n));
        return;
      }
      case Op.CLOSE:
        return fs.close(fd, (e) => done(e));
      case Op.FSYNC:
        return arg === 1 ? fs.fdatasync(fd, (e) => done(e)) : fs.fsync(fd, (e) => done(e));
      case Op.TIMEOUT: {
        const timer = setTimeout(() => this.#complete(token, -E.ETIME), arg);
        this.#running.set(token, { stop: () => clearTimeout(timer) });
        return;
      }
      case Op.CANCEL: {
        const target = this.#running.get(arg);
        if (target === undefined) return this.#complete(token, -E.ENOENT);
        if (target.stop === undefined) return this.#complete(token, -E.EALREADY);
        target.stop();
        this.#complete(arg, -E.ECANCELED);
        return this.#complete(token, 0);
      }
    }
    // Path ops.
    const path = this.#path(v.getUint32(at + OpField.pathArena, true), v.getUint32(at + OpField.pathOffset, true));
    if (path === undefined) return this.#complete(token, -E.EFAULT);
    if (fd !== AT_FDCWD && !path.startsWith('/')) return this.#complete(token, -E.EINVAL);
    const mode = v.getUint32(at + OpField.mode, true);
    switch (opcode) {
      case Op.OPENAT:
        return fs.open(path, arg, mode, (e, newFd) => done(e, newFd));
      case Op.MKDIRAT:
        return fs.mkdir(path, { mode }, (e) => done(e));
      case Op.UNLINKAT:
        return arg & AT_REMOVEDIR ? fs.rmdir(path, (e) => done(e)) : fs.unlink(path, (e) => done(e));
      case Op.RENAMEAT: {
        const to = this.#path(v.getUint32(at + OpField.path2Arena, true), v.getUint32(at + OpField.path2Offset, true));
        if (to === undefined) return this.#complete(token, -E.EFAULT);
        if (arg & RENAME_NOREPLACE) {
          // Node has no renameat2: link + unlink gives the same no-replace result for files.
          return fs.link(path, to, (e) => (e ? done(e) : fs.unlink(path, (e2) => done(e2))));
        }
        return fs.rename(path, to, (e) => done(e));
      }
      case Op.STATX: {
        const out = this.#bytes(
          v.getUint32(at + OpField.bufArena, true),
          v.getUint32(at + OpField.bufOffset, true),
          v.getUint32(at + OpField.bufLength, true),
        );
        if (out === undefined || out.byteLength < 256) return this.#complete(token, -E.EFAULT);
        const stat = mode & AT_SYMLINK_NOFOLLOW ? fs.lstat : fs.stat;
        return stat(path, { bigint: true }, (e, s) => {
          if (e === null) writeStatx(out, s);
          done(e);
        });
      }
    }
    this.#complete(token, -E.EINVAL);
  }
}

/**
 * Writes `struct statx` (256 bytes, Linux layout) from a Node `BigIntStats`, so the driver decodes one format
 * whatever the backend.
 */
function writeStatx(out: Uint8Array, s: fs.BigIntStats): void {
  const v = new DataView(out.buffer, out.byteOffset, 256);
  out.fill(0, 0, 256);
  const STATX_BASIC_STATS = 0x7ff;
  v.setUint32(0, STATX_BASIC_STATS, true); // stx_mask
  v.setUint32(4, Number(s.blksize), true);
  v.setUint32(16, Number(s.nlink), true);
  v.setUint32(20, Number(s.uid), true);
  v.setUint32(24, Number(s.gid), true);
  v.setUint16(28, Number(s.mode), true);
  v.setBigUint64(32, s.ino, true);
  v.setBigUint64(40, s.size, true);
  v.setBigUint64(48, s.blocks, true);
  const time = (at: number, ns: bigint) => {
    v.setBigInt64(at, ns / 1_000_000_000n, true);
    v.setUint32(at + 8, Number(ns % 1_000_000_000n), true);
  };
  time(64, s.atimeNs);
  time(80, s.birthtimeNs);
  time(96, s.ctimeNs);
  time(112, s.mtimeNs);
  v.setUint32(128, Number(s.rdev >> 8n) & 0xfff, true);
  v.setUint32(132, Number(s.rdev & 0xffn), true);
  v.setUint32(136, Number(s.dev >> 8n) & 0xfff, true);
  v.setUint32(140, Number(s.dev & 0xffn), true);
}

/** Creates the `js` backend. */
export const createJsBackend: BackendFactory = (staging, completions, onCompletions) =>
  new JsBackend(staging, completions, onCompletions);
