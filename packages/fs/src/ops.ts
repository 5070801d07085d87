/**
 * One future per driver op that `@zokio/fs` uses: open, close, read, write, readv/writev, fsync, statx, unlinkat,
 * renameat, mkdirat. Each is an {@link OpFuture}: lazy (nothing is submitted before the first poll), and
 * cancel-safe in the driver's sense.
 *
 * ## Ownership
 * Everything an op points at — its encoded paths, its `statx` buffer, its data buffers — belongs to the kernel from
 * the submit to the final completion (contract rule 2). Each future is a `LendingOpFuture` (`@zokio/io-driver`): it
 * gives what it lent back to the driver's pool exactly once, when it settles or, dropped while in flight, when the
 * final completion still arrives. Data buffers handed in by the caller are the caller's again when
 * the future settles; if the future is dropped, they go back to the pool, so a cancelled read never leaks one.
 *
 * An open that completes after its future was dropped closes its fd: the driver does it when the cancel lost the
 * race, {@link OpenFuture.orphaned} when the completion was stored but never observed.
 *
 * @module
 */
import { AT_FDCWD, IGNORE, LendingOpFuture, type IoDriver, type LentSpan } from '@zokio/io-driver';
import type { Cleanup } from '@zokio/future';
import type { BufferPool, IoBuf } from '@zokio/memory';
import { detachedArgument, isDetached } from './errors.js';
import { Stats, STATX_BASIC_STATS } from './stats.js';

/** The outcome of an owned-buffer operation: the count, and the buffer back. @category Files */
export interface Owned {
  /** Bytes transferred. */
  readonly n: number;
  /** The buffer, the caller's again. */
  readonly buf: IoBuf;
}

export { IGNORE };

/** `AT_REMOVEDIR` for unlinkat. @internal */
export const AT_REMOVEDIR = 0x200;
/** `RENAME_NOREPLACE` for renameat2. @internal */
export const RENAME_NOREPLACE = 1;

/** `openat(AT_FDCWD, path, flags, mode)` → `make(fd, driver)` (the fd itself, or a `File` around it). */
export class OpenFuture<T> extends LendingOpFuture<T> {
  readonly #absolute: string;
  readonly #flags: number;
  readonly #mode: number;
  readonly #make: (fd: number, driver: IoDriver) => T;

  constructor(
    absolute: string,
    display: string,
    flags: number,
    mode: number,
    make: (fd: number, driver: IoDriver) => T,
  ) {
    super('open', display);
    this.#absolute = absolute;
    this.#flags = flags;
    this.#mode = mode;
    this.#make = make;
  }

  protected submit(driver: IoDriver): number {
    return driver.openat(AT_FDCWD, this.encodePath(driver, this.#absolute), this.#flags, this.#mode, this);
  }

  protected value(res: number): T {
    return this.#make(res, this.driver!);
  }

  protected override dropped(res: number): void {
    if (res >= 0) this.driver!.close(res, IGNORE);
  }
}

/**
 * `read` or `write` of `length` bytes of the caller's pool buffer `buf` at `position` (−1: the fd's offset) →
 * `{ n, buf }`, with no copy. `buf` is the caller's again when the future settles; if the future is dropped, it goes
 * back to the pool — at the op's final completion, or at once if the op was never submitted.
 */
export class OwnedTransferFuture extends LendingOpFuture<Owned> {
  readonly #write: boolean;
  readonly #fd: number;
  readonly #buf: IoBuf;
  readonly #position: number;
  readonly #length: number;
  readonly #pool: BufferPool;
  #givenBack = false;

  constructor(
    write: boolean,
    pool: BufferPool,
    fd: number,
    buf: IoBuf,
    position: number,
    length: number,
    path: string | undefined,
  ) {
    super(write ? 'write' : 'read', path);
    this.#write = write;
    this.#pool = pool;
    this.#fd = fd;
    this.#buf = buf;
    this.#position = position;
    this.#length = length;
  }
  protected submit(driver: IoDriver): number {
    return this.#write
      ? driver.write(this.#fd, this.#buf, this.#position, this, this.#length)
      : driver.read(this.#fd, this.#buf, this.#position, this, this.#length);
  }
  protected value(res: number): Owned {
    return { n: res, buf: this.#buf };
  }
  protected override dropped(): void {
    this.#giveBack();
  }
  override cancel(): Cleanup {
    if (this.driver === undefined) this.#giveBack(); // never polled: nothing will be orphaned
    return super.cancel();
  }
  #giveBack(): void {
    if (this.#givenBack) return;
    this.#givenBack = true;
    this.#pool.release(this.#buf);
  }
}

/**
 * `readv`/`writev` through pool buffers of its own (one per caller buffer, each at most 64 KiB, taken at submit and
 * given back when it settles or is orphaned) → bytes transferred. A read is copied out into the caller's buffers
 * only when it completes, so a dropped one never writes into them.
 */
export class CopyingVectoredFuture extends LendingOpFuture<number> {
  readonly #write: boolean;
  readonly #fd: number;
  readonly #buffers: readonly Uint8Array[];
  readonly #position: number;
  #staged: IoBuf[] = [];
  readonly #path: string | undefined;

  constructor(write: boolean, fd: number, buffers: readonly Uint8Array[], position: number, path: string | undefined) {
    super(write ? 'writev' : 'readv', path);
    this.#path = path;
    this.#write = write;
    this.#fd = fd;
    this.#buffers = buffers;
    this.#position = position;
  }

  protected submit(driver: IoDriver): number {
    const where = this.#write ? 'File.writev' : 'File.readv';
    const gone = this.#buffers.find((b) => isDetached(b));
    if (gone !== undefined) throw detachedArgument(where, 'buffers', gone, this.#path);
    const staged = (this.#staged = this.#buffers.map((b) => {
      const buf = this.lend(driver.pool.acquire(b.byteLength));
      if (this.#write) buf.bytes.set(b);
      return buf;
    }));
    const table = this.lend(driver.encodeIovecs(staged));
    const count = staged.length;
    return this.#write
      ? driver.writev(this.#fd, table, count, this.#position, this)
      : driver.readv(this.#fd, table, count, this.#position, this);
  }

  protected value(res: number): number {
    if (!this.#write) {
      const gone = this.#buffers.find((b) => isDetached(b));
      if (gone !== undefined) throw detachedArgument('File.readv', 'buffers', gone, this.#path);
      let left = res;
      for (let i = 0; i < this.#buffers.length && left > 0; i++) {
        const target = this.#buffers[i]!;
        const take = Math.min(left, target.byteLength);
        target.set(this.#staged[i]!.bytes.subarray(0, take));
        left -= take;
      }
    }
    return res;
  }
}

/** `fsync`/`fdatasync`. */
export class FsyncFuture extends LendingOpFuture<void> {
  readonly #fd: number;
  readonly #datasync: boolean;
  constructor(fd: number, datasync: boolean, path: string | undefined) {
    super(datasync ? 'fdatasync' : 'fsync', path);
    this.#fd = fd;
    this.#datasync = datasync;
  }
  protected submit(driver: IoDriver): number {
    return driver.fsync(this.#fd, this.#datasync, this);
  }
  protected value(): void {}
}

/** `statx(dirfd, path, flags)` → {@link Stats}: of a path (`dirfd` = `AT_FDCWD`), or of an fd with `AT_EMPTY_PATH`. */
export class StatxFuture extends LendingOpFuture<Stats> {
  readonly #dirfd: number;
  readonly #absolute: string;
  readonly #flags: number;
  #out: IoBuf | undefined = undefined;

  constructor(dirfd: number, absolute: string, display: string, flags: number, syscall = 'stat') {
    super(syscall, display);
    this.#dirfd = dirfd;
    this.#absolute = absolute;
    this.#flags = flags;
  }
  protected submit(driver: IoDriver): number {
    const out = (this.#out = this.lend(driver.pool.acquire(256)));
    return driver.statx(
      this.#dirfd,
      this.encodePath(driver, this.#absolute),
      this.#flags,
      STATX_BASIC_STATS,
      out,
      this,
    );
  }
  protected value(): Stats {
    return new Stats(this.#out!.bytes);
  }
}

/** `unlinkat` of a file, or of an empty directory with `AT_REMOVEDIR`. */
export class UnlinkFuture extends LendingOpFuture<void> {
  readonly #absolute: string;
  readonly #flags: number;
  constructor(absolute: string, display: string, removeDir: boolean) {
    super(removeDir ? 'rmdir' : 'unlink', display);
    this.#absolute = absolute;
    this.#flags = removeDir ? AT_REMOVEDIR : 0;
  }
  protected submit(driver: IoDriver): number {
    return driver.unlinkat(AT_FDCWD, this.encodePath(driver, this.#absolute), this.#flags, this);
  }
  protected value(): void {}
}

/** `renameat2(from, to, flags)`. */
export class RenameFuture extends LendingOpFuture<void> {
  readonly #from: string;
  readonly #to: string;
  readonly #flags: number;
  constructor(from: string, to: string, display: string, flags: number) {
    super('rename', display);
    this.#from = from;
    this.#to = to;
    this.#flags = flags;
  }
  protected submit(driver: IoDriver): number {
    const from = this.encodePath(driver, this.#from);
    const to = this.encodePath(driver, this.#to);
    return driver.renameat(AT_FDCWD, from, AT_FDCWD, to, this.#flags, this);
  }
  protected value(): void {}
}

/** `mkdirat(path, mode)`. */
export class MkdirFuture extends LendingOpFuture<void> {
  readonly #absolute: string;
  readonly #mode: number;
  constructor(absolute: string, display: string, mode: number) {
    super('mkdir', display);
    this.#absolute = absolute;
    this.#mode = mode;
  }
  protected submit(driver: IoDriver): number {
    return driver.mkdirat(AT_FDCWD, this.encodePath(driver, this.#absolute), this.#mode, this);
  }
  protected value(): void {}
}

/** Results of at most this many bytes are cut from a shared slab. */
const SMALL_RESULT_BYTES = 8192;
/** The slab's size: a small result keeps at most this much alive (Node's own small-Buffer pool is 8 KiB). */
const RESULT_SLAB_BYTES = 32768;
let slab: Buffer = Buffer.alloc(0);
let slabUsed = 0;

/**
 * A `Buffer` of `length` bytes for a read's result. Small ones are views cut from a shared 32 KiB slab, as Node
 * cuts its small `Buffer`s from an 8 KiB pool: one allocation per slab instead of one backing store per read,
 * which at 4 KiB reads was a quarter of the CPU. A slab is freed when no view of it is left.
 */
function resultBuffer(length: number): Buffer {
  if (length > SMALL_RESULT_BYTES) return Buffer.allocUnsafe(length);
  if (slabUsed + length > slab.byteLength) {
    slab = Buffer.allocUnsafeSlow(RESULT_SLAB_BYTES); // not zero-filled: every byte handed out is written first
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + length);
  slabUsed += (length + 7) & ~7; // 8-byte aligned, as Node's pool
  return out;
}

/**
 * A read into a pool buffer of its own (taken at submit, given back when it settles or is orphaned), copied out
 * when it completes: into `target` at `targetOffset`, or into a new `Buffer` of the bytes read. The plain API of
 * `File` stands on it; nothing is lent to the caller, so dropping it can leak nothing.
 */
export class CopyingReadFuture<T extends number | Buffer> extends LendingOpFuture<T> {
  readonly #fd: number;
  readonly #position: number;
  readonly #length: number;
  readonly #target: Uint8Array | undefined;
  readonly #targetOffset: number;
  readonly #path: string | undefined;
  #buf: IoBuf | undefined = undefined;

  constructor(
    fd: number,
    position: number,
    length: number,
    path: string | undefined,
    target: Uint8Array | undefined,
    targetOffset = 0,
  ) {
    super('read', path);
    this.#path = path;
    this.#fd = fd;
    this.#position = position;
    this.#length = length;
    this.#target = target;
    this.#targetOffset = targetOffset;
  }

  protected submit(driver: IoDriver): number {
    const buf = (this.#buf = this.lend(driver.pool.acquire(this.#length)));
    return driver.read(this.#fd, buf, this.#position, this, this.#length);
  }

  protected value(res: number): T {
    const bytes = this.#buf!.bytes;
    const target = this.#target;
    if (target === undefined) {
      const out = resultBuffer(res);
      out.set(bytes.subarray(0, res));
      return out as T;
    }
    if (isDetached(target)) throw detachedArgument('File.readInto', 'target', target, this.#path);
    target.set(bytes.subarray(0, res), this.#targetOffset);
    return res as T;
  }
}

/**
 * A positional read straight into a span of lent memory (`IoDriver.lend`) → bytes read: no pool buffer, no copy.
 * Dropped, the op may still write the span until its final completion; the driver keeps the loan until then.
 */
export class LentReadFuture extends LendingOpFuture<number> {
  readonly #fd: number;
  readonly #position: number;
  readonly #span: LentSpan;

  constructor(fd: number, position: number, span: LentSpan, path: string | undefined) {
    super('read', path);
    this.#fd = fd;
    this.#position = position;
    this.#span = span;
  }

  protected submit(driver: IoDriver): number {
    return driver.read(this.#fd, this.#span, this.#position, this);
  }

  protected value(res: number): number {
    return res;
  }
}

/** A write from a pool buffer of its own, filled from `data` at submit: the plain API's write. */
export class CopyingWriteFuture extends LendingOpFuture<number> {
  readonly #fd: number;
  readonly #position: number;
  readonly #data: Uint8Array;
  readonly #path: string | undefined;

  constructor(fd: number, position: number, data: Uint8Array, path: string | undefined) {
    super('write', path);
    this.#path = path;
    this.#fd = fd;
    this.#position = position;
    this.#data = data;
  }

  protected submit(driver: IoDriver): number {
    const data = this.#data;
    if (isDetached(data)) throw detachedArgument('File.write', 'data', data, this.#path);
    const buf = this.lend(driver.pool.acquire(data.byteLength));
    buf.bytes.set(data);
    return driver.write(this.#fd, buf, this.#position, this, data.byteLength);
  }

  protected value(res: number): number {
    return res;
  }
}
