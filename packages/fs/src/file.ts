/**
 * {@link File}: an open file on the runtime's I/O driver.
 *
 * ## Design
 * A `File` is an fd, the driver that opened it and the path it was opened with (for errors). Every method returns a
 * lazy future: nothing is submitted until it is polled, and reads and writes submitted in the same tick go to the
 * kernel in one batch (one `io_uring_enter`).
 *
 * Two levels of API:
 * - **Plain**: `read`, `readAt`, `readInto`, `readExact`, `write`, `writeAt`, `writeAll`, `readv`, `writev` take and
 *   return ordinary `Uint8Array`s/`Buffer`s. Data is staged through the driver's registered pool buffers (64 KiB at
 *   most per op; longer transfers are split and run several ops in flight at once).
 * - **Owned buffers**: `readOwned` and `writeOwned` take an `IoBuf` from {@link File.bufferPool} and hand it back with
 *   the count, `{ n, buf }`, with no copy. The buffer belongs to the kernel while the op is in flight; if the future
 *   is dropped, it goes back to the pool when the op completes.
 *
 * ## Position
 * Methods without a position read or write at the fd's own offset, which advances (as `read(2)`); `…At` methods and
 * an explicit `position` use `pread`/`pwrite` and leave the offset alone. Concurrent operations at the fd's offset
 * run in no guaranteed order, as in Node.
 *
 * ## Cancel safety
 * Every future of a `File` may be dropped; what that means for the data is documented per method. A dropped read
 * never loses a buffer and never writes into the caller's memory afterwards (the kernel reads into a pool buffer
 * that is copied out only when the future completes). A dropped write may or may not have written its bytes.
 *
 * ## Closing
 * `close()` closes the fd once; later calls to other methods fail with `EBADF` as Node's `FileHandle` does.
 * `using file = yield* File.open(…)` in a generator closes it when the block is left (the close is submitted at
 * once and completes in the background); `await using` in an `async` function waits for it. A `File` that is never
 * closed keeps its fd, as with `FileHandle`.
 *
 * @module
 */
import { constants as bufferConstants } from 'node:buffer';
import { constants, ftruncate } from 'node:fs';
import { ready, type Future } from '@zokio/future';
import type { IoDriver } from '@zokio/io-driver';
import { BoundOp, closeNow, IOV_MAX, submitClose } from '@zokio/io-driver';
import { BufferReleasedError, ForeignBufferError, IoBuf, MAX_BUFFER_BYTES, type BufferPool } from '@zokio/memory';
import { BlockingFuture } from './blocking.js';
import { ReadWhole } from './read-whole.js';
import { closedFile, detachedArgument, invalidArgument, isDetached } from './errors.js';
import {
  CopyingReadFuture,
  CopyingWriteFuture,
  FsyncFuture,
  OpenFuture,
  OwnedTransferFuture,
  type Owned,
  StatxFuture,
} from './ops.js';
import { openFlags, type OpenFlags, type OpenOptions } from './open-options.js';
import { checkPath, type PathLike } from './path.js';
import { AT_EMPTY_PATH, type Stats } from './stats.js';
import { fill, readExact, readLong, vectored, writeAll } from './transfer.js';

const BUFFER_MAX_LENGTH = bufferConstants.MAX_LENGTH;

function checkLength(value: unknown, where: string, argument: string, path: string): number {
  if (typeof value !== 'number') {
    throw invalidArgument(where, argument, 'a non-negative integer', value, path, 'ERR_INVALID_ARG_TYPE');
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw invalidArgument(where, argument, 'a non-negative integer', value, path);
  }
  return value;
}

/** A length read into a Buffer of its own: at most the largest Buffer Node can allocate. */
function checkBufferLength(value: unknown, where: string, path: string): number {
  const length = checkLength(value, where, 'length', path);
  if (length > BUFFER_MAX_LENGTH) {
    throw invalidArgument(where, 'length', `at most ${BUFFER_MAX_LENGTH} (the largest Buffer)`, length, path);
  }
  return length;
}

function checkPosition(value: unknown, where: string, path: string): number {
  if (value === undefined || value === null) return -1;
  return checkLength(value, where, 'position', path);
}

function checkData(value: unknown, where: string, path: string): Uint8Array {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (ArrayBuffer.isView(value) && isDetached(value)) throw detachedArgument(where, 'data', value, path);
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw invalidArgument(where, 'data', 'a string, Buffer or Uint8Array', value, path, 'ERR_INVALID_ARG_TYPE');
}

/**
 * An open file.
 *
 * @example
 * ```ts
 * import { fn } from '@zokio/future';
 * import { File } from '@zokio/fs';
 * const firstLine = fn(function* (path: string) {
 *   using file = yield* File.open(path); // closed when the generator leaves this block
 *   const head = yield* file.read(4096);
 *   return head.toString('utf8').split('\n')[0];
 * });
 * ```
 * @category Files
 */
export class File implements Disposable, AsyncDisposable {
  /** The path the file was opened with, as given. */
  readonly path: string;
  readonly #driver: IoDriver;
  /** Opened with `O_APPEND`: every write lands at the end, whatever its position. */
  readonly #append: boolean;
  #fd: number;

  /** @internal Made by {@link File.open}. */
  constructor(fd: number, driver: IoDriver, path: string, append = false) {
    this.#fd = fd;
    this.#driver = driver;
    this.path = path;
    this.#append = append;
  }

  /**
   * Opens `path` with `options` (default: read only), or a Node flag string (`'r'`, `'w'`, `'a+'`, …).
   *
   * **Cancel-safe**: if the future is dropped, the file is not opened, or, if the open completed anyway, its fd is
   * closed. A create (`create`, `createNew`, `'w'`) that completed before the drop leaves the created file.
   *
   * @example
   * ```ts
   * import { File } from '@zokio/fs';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using file = yield* File.open('data.bin', { read: true, write: true, create: true });
   *   yield* file.writeAt('zokio', 0);
   *   console.log((yield* file.readAt(0, 5)).toString()); // 'zokio'
   * });
   * ```
   */
  static open(path: PathLike, options: OpenOptions | OpenFlags = 'r'): Future<File> {
    const p = checkPath(path, 'File.open');
    const { flags, mode } = openFlags(options, 'File.open', p.display);
    const append = (flags & constants.O_APPEND) !== 0;
    return new OpenFuture(p.absolute, p.display, flags, mode, (fd, driver) => new File(fd, driver, p.display, append));
  }

  /**
   * Opens `path` for writing, creating it or truncating it: `File.open(path, 'w')`.
   *
   * @example
   * ```ts
   * import { File } from '@zokio/fs';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using out = yield* File.create('out.txt');
   *   yield* out.writeAll('hello\n');
   * });
   * ```
   */
  static create(path: PathLike): Future<File> {
    return File.open(path, 'w');
  }

  /** The file descriptor; −1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /** @internal The driver the file was opened on (the stream adapters submit to it directly). */
  get driver(): IoDriver {
    return this.#driver;
  }

  /** The pool that owned-buffer operations take their buffers from. */
  get bufferPool(): BufferPool {
    return this.#driver.pool;
  }

  #open(syscall: string): number {
    if (this.#fd < 0) throw closedFile(syscall, this.path);
    return this.#fd;
  }

  /** @internal The fd an op starting now uses (`BoundOp`); throws `EBADF` once the file is closed. */
  fdFor(syscall: string): number {
    return this.#open(syscall);
  }

  // ---- Reading ---------------------------------------------------------------------------------------------------

  /**
   * Reads up to `length` bytes (at most 64 KiB: one op) at the file's offset, advancing it. An empty buffer means
   * the end of the file.
   *
   * **Cancel-safe** in that nothing leaks and the caller's memory is never written after the drop; the bytes a
   * dropped read took are lost and the offset has moved past them. Use `readAt` to re-read.
   *
   * @example
   * ```ts
   * import { File, writeFile } from '@zokio/fs';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   yield* writeFile('notes.txt', 'hello\n'); // something to read
   *   using file = yield* File.open('notes.txt');
   *   for (let chunk = yield* file.read(); chunk.length > 0; chunk = yield* file.read()) process.stdout.write(chunk);
   * });
   * ```
   */
  read(length: number = MAX_BUFFER_BYTES): Future<Buffer> {
    this.#open('read');
    checkLength(length, 'File.read', 'length', this.path);
    if (length === 0) return ready(Buffer.alloc(0));
    const n = Math.min(length, MAX_BUFFER_BYTES);
    return new BoundOp(this, 'read', (fd) => new CopyingReadFuture<Buffer>(fd, -1, n, this.path, undefined));
  }

  /**
   * Reads up to `length` bytes at `position` (the offset is left alone): fewer only at the end of the file. Long
   * reads run as several 64 KiB ops in flight at once.
   *
   * **Cancel-safe**: a dropped read changes nothing (its ops are cancelled, their buffers go back to the pool).
   *
   * @example
   * ```ts
   * import { File, writeFile } from '@zokio/fs';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   yield* writeFile('data.bin', new Uint8Array(100)); // something to read
   *   using file = yield* File.open('data.bin');
   *   const header = yield* file.readAt(0, 512); // fewer bytes only if the file is shorter
   *   console.log(header.length);
   * });
   * ```
   */
  readAt(position: number, length: number): Future<Buffer> {
    this.#open('read');
    checkLength(position, 'File.readAt', 'position', this.path);
    checkBufferLength(length, 'File.readAt', this.path);
    if (length === 0) return ready(Buffer.alloc(0));
    return new BoundOp(this, 'read', (fd) =>
      length <= MAX_BUFFER_BYTES
        ? new ReadWhole<Buffer>(this.path, fd, position, length)
        : readLong(this.path, fd, position, length),
    );
  }

  /**
   * Reads into `target` (all of it, or `length` bytes from `offset`) at `position` (default: the fd's offset) and
   * returns the bytes read: fewer only at the end of the file.
   *
   * **Cancel-safe** as `readAt` (with a position) or `read` (without): `target` is not written after the drop.
   *
   * @example
   * ```ts
   * import { File, writeFile } from '@zokio/fs';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   yield* writeFile('data.bin', new Uint8Array(100)); // something to read
   *   using file = yield* File.open('data.bin');
   *   const buf = new Uint8Array(1024);
   *   const n = yield* file.readInto(buf, { position: 0 });
   *   console.log(buf.subarray(0, n));
   * });
   * ```
   */
  readInto(target: Uint8Array, options: { offset?: number; length?: number; position?: number } = {}): Future<number> {
    this.#open('read');
    if (!(target instanceof Uint8Array)) {
      throw invalidArgument(
        'File.readInto',
        'target',
        'a Uint8Array or Buffer',
        target,
        this.path,
        'ERR_INVALID_ARG_TYPE',
      );
    }
    if (isDetached(target)) throw detachedArgument('File.readInto', 'target', target, this.path);
    if (typeof options !== 'object' || options === null) {
      throw invalidArgument('File.readInto', 'options', 'an object', options, this.path, 'ERR_INVALID_ARG_TYPE');
    }
    const offset = checkLength(options.offset ?? 0, 'File.readInto', 'offset', this.path);
    const length = checkLength(options.length ?? target.byteLength - offset, 'File.readInto', 'length', this.path);
    if (offset + length > target.byteLength) {
      throw invalidArgument(
        'File.readInto',
        'length',
        `at most ${target.byteLength - offset} (the room in target)`,
        length,
        this.path,
      );
    }
    const position = checkPosition(options.position, 'File.readInto', this.path);
    if (length === 0) return ready(0);
    return new BoundOp(this, 'read', (fd) => {
      if (length > MAX_BUFFER_BYTES) return fill(this.path, fd, target, offset, length, position);
      return position < 0 // at the fd's offset it may be a stream: what is there now, as `read`
        ? new CopyingReadFuture<number>(fd, position, length, this.path, target, offset)
        : new ReadWhole<number>(this.path, fd, position, length, target, offset);
    });
  }

  /**
   * Reads exactly `length` bytes at `position` (default: the fd's offset), or fails with
   * `ERR_ZOKIO_UNEXPECTED_EOF` ({@link UnexpectedEofError}) if the file ends first.
   *
   * **Cancel-safe** as `readAt`/`read`.
   *
   * @example
   * ```ts
   * import { File, writeFile } from '@zokio/fs';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   yield* writeFile('image.png', Buffer.from('89504e470d0a1a0a', 'hex')); // something to read
   *   using file = yield* File.open('image.png');
   *   const magic = yield* file.readExact(4, 0); // UnexpectedEofError if the file is shorter
   *   console.log(magic.toString('hex')); // '89504e47' for a PNG
   * });
   * ```
   */
  readExact(length: number, position?: number): Future<Buffer> {
    this.#open('read');
    checkBufferLength(length, 'File.readExact', this.path);
    const at = checkPosition(position, 'File.readExact', this.path);
    return new BoundOp(this, 'read', (fd) => readExact(this.path, fd, length, at));
  }

  /**
   * Reads into `buf` (its `length` bytes) at `position` (−1 or omitted: the fd's offset) with no copy; resolves to
   * `{ n, buf }`. `buf` must come from {@link bufferPool}.
   *
   * **Cancel-safe**: if dropped, `buf` goes back to the pool when the kernel is done with it — do not use it again.
   *
   * @example
   * ```ts
   * import { createHash } from 'node:crypto';
   * import { File, writeFile } from '@zokio/fs';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   yield* writeFile('data.bin', 'some bytes'); // something to read
   *   using file = yield* File.open('data.bin');
   *   const { n, buf } = yield* file.readOwned(file.bufferPool.acquire(65536), 0);
   *   const digest = createHash('sha256').update(buf.bytes.subarray(0, n)).digest('hex'); // the bytes, in place
   *   file.bufferPool.release(buf); // then the buffer goes back
   *   console.log(n, digest);
   * });
   * ```
   */
  readOwned(buf: IoBuf, position = -1): Future<Owned> {
    this.#open('read');
    this.#checkOwned(buf, 'File.readOwned');
    const at = position === -1 ? -1 : checkLength(position, 'File.readOwned', 'position', this.path);
    const pool = this.#driver.pool;
    return new BoundOp(
      this,
      'read',
      (fd) => new OwnedTransferFuture(false, pool, fd, buf, at, buf.length, this.path),
      () => pool.release(buf),
    );
  }

  // ---- Writing ---------------------------------------------------------------------------------------------------

  /**
   * Writes up to 64 KiB of `data` (a string is UTF-8) in one op at `position` (default: the fd's offset, or the end
   * with `append`) and returns the bytes written, which may be fewer: use `writeAll` to write everything.
   *
   * **Not cancel-safe**: a dropped write may or may not have written its bytes.
   *
   * @example
   * ```ts
   * import { File } from '@zokio/fs';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using file = yield* File.create('hello.txt');
   *   const n = yield* file.write('hello');
   *   console.log(n); // 5
   * });
   * ```
   */
  write(data: Uint8Array | string, position?: number): Future<number> {
    this.#open('write');
    const bytes = checkData(data, 'File.write', this.path);
    const at = checkPosition(position, 'File.write', this.path);
    if (bytes.byteLength === 0) return ready(0);
    const span = bytes.subarray(0, MAX_BUFFER_BYTES);
    return new BoundOp(this, 'write', (fd) => new CopyingWriteFuture(fd, at, span, this.path));
  }

  /**
   * Writes up to 64 KiB of `data` at `position` (the offset is left alone); returns the bytes written.
   *
   * **Not cancel-safe**, as `write`.
   *
   * @example
   * ```ts
   * import { File } from '@zokio/fs';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using file = yield* File.open('data.bin', { write: true, create: true });
   *   yield* file.writeAt(Buffer.from([1, 2, 3]), 100); // bytes 100 to 102; the offset does not move
   * });
   * ```
   */
  writeAt(data: Uint8Array | string, position: number): Future<number> {
    checkLength(position, 'File.writeAt', 'position', this.path);
    return this.write(data, position);
  }

  /**
   * Writes all of `data` at `position` (default: the fd's offset), retrying short writes; long data runs as several
   * 64 KiB ops in flight at once when a position is given.
   *
   * **Not cancel-safe**: a dropped `writeAll` may have written any prefix of `data` (and, with a position, any
   * subset of its 64 KiB chunks).
   *
   * @example
   * ```ts
   * import { File } from '@zokio/fs';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   const report = { checked: 42, failed: 0 };
   *   using file = yield* File.create('report.json');
   *   yield* file.writeAll(JSON.stringify(report));
   * });
   * ```
   */
  writeAll(data: Uint8Array | string, position?: number): Future<void> {
    this.#open('write');
    const bytes = checkData(data, 'File.writeAll', this.path);
    const at = checkPosition(position, 'File.writeAll', this.path);
    // With `append` every span lands at the end: they must go one at a time, in order (see `writeAll`).
    const append = this.#append;
    return new BoundOp(this, 'write', (fd) => writeAll(this.path, fd, bytes, at, append));
  }

  /**
   * Writes `buf`'s first `length` bytes (default: `buf.length`) at `position` (−1 or omitted: the fd's offset) with
   * no copy; resolves to `{ n, buf }`. `buf` must come from {@link bufferPool}.
   *
   * **Not cancel-safe** for the data (it may or may not be written); `buf` goes back to the pool if dropped.
   *
   * @example
   * ```ts
   * import { File } from '@zokio/fs';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using file = yield* File.create('hello.txt');
   *   const buf = file.bufferPool.acquire(5);
   *   buf.bytes.set(Buffer.from('hello'));
   *   const { n } = yield* file.writeOwned(buf);
   *   file.bufferPool.release(buf);
   *   console.log(n); // 5
   * });
   * ```
   */
  writeOwned(buf: IoBuf, length?: number, position = -1): Future<Owned> {
    this.#open('write');
    this.#checkOwned(buf, 'File.writeOwned');
    if (length === undefined) length = buf.length;
    checkLength(length, 'File.writeOwned', 'length', this.path);
    if (length > buf.capacity) {
      throw invalidArgument(
        'File.writeOwned',
        'length',
        `at most ${buf.capacity} (the buffer's capacity)`,
        length,
        this.path,
      );
    }
    const at = position === -1 ? -1 : checkLength(position, 'File.writeOwned', 'position', this.path);
    const pool = this.#driver.pool;
    const n = length;
    return new BoundOp(
      this,
      'write',
      (fd) => new OwnedTransferFuture(true, pool, fd, buf, at, n, this.path),
      () => pool.release(buf),
    );
  }

  /** An owned-buffer op's buffer: an {@link IoBuf} in use, from this file's pool, over live memory. */
  #checkOwned(buf: unknown, where: string): void {
    if (!(buf instanceof IoBuf)) {
      throw invalidArgument(where, 'buf', 'an IoBuf (from file.bufferPool)', buf, this.path, 'ERR_INVALID_ARG_TYPE');
    }
    if (this.#driver.pool.arenas[buf.arenaId] !== buf.arena) throw new ForeignBufferError();
    if (!buf.inUse) throw new BufferReleasedError();
    if (isDetached(buf.bytes)) throw detachedArgument(where, 'buf', buf, this.path);
  }

  // ---- Vectored --------------------------------------------------------------------------------------------------

  /**
   * Reads into `buffers` in order with one `readv` at `position` (default: the fd's offset); returns the bytes
   * read. Each buffer is staged through a pool buffer, so each must be at most 64 KiB; at most 1024 buffers.
   *
   * **Cancel-safe** as `readAt`/`read`: the buffers are not written after the drop.
   *
   * @example
   * ```ts
   * import { File, writeFile } from '@zokio/fs';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   yield* writeFile('data.bin', new Uint8Array(100)); // something to read
   *   using file = yield* File.open('data.bin');
   *   const header = new Uint8Array(16);
   *   const body = new Uint8Array(4096);
   *   const n = yield* file.readv([header, body], 0); // header first, then body
   *   console.log(n);
   * });
   * ```
   */
  readv(buffers: readonly Uint8Array[], position?: number): Future<number> {
    this.#open('readv');
    this.#checkVectors(buffers, 'File.readv');
    const at = checkPosition(position, 'File.readv', this.path);
    return new BoundOp(this, 'readv', (fd) => vectored(false, fd, buffers, at, this.path));
  }

  /**
   * Writes `buffers` in order with one `writev` at `position` (default: the fd's offset); returns the bytes
   * written, which may be fewer than their total. Each at most 64 KiB; at most 1024 buffers.
   *
   * **Not cancel-safe**, as `write`.
   *
   * @example
   * ```ts
   * import { File } from '@zokio/fs';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using file = yield* File.create('ab.txt');
   *   yield* file.writev([Buffer.from('a'), Buffer.from('b')]); // 'ab'
   * });
   * ```
   */
  writev(buffers: readonly (Uint8Array | string)[], position?: number): Future<number> {
    this.#open('writev');
    const bytes = Array.isArray(buffers) ? buffers.map((b) => checkData(b, 'File.writev', this.path)) : buffers;
    this.#checkVectors(bytes as readonly Uint8Array[], 'File.writev');
    const at = checkPosition(position, 'File.writev', this.path);
    return new BoundOp(this, 'writev', (fd) => vectored(true, fd, bytes as readonly Uint8Array[], at, this.path));
  }

  #checkVectors(buffers: readonly Uint8Array[], where: string): void {
    if (!Array.isArray(buffers)) {
      throw invalidArgument(where, 'buffers', 'an array of Uint8Arrays', buffers, this.path, 'ERR_INVALID_ARG_TYPE');
    }
    if (buffers.length > IOV_MAX)
      throw invalidArgument(where, 'buffers', `at most ${IOV_MAX} buffers`, buffers.length, this.path);
    for (const b of buffers) {
      if (!(b instanceof Uint8Array)) {
        throw invalidArgument(where, 'buffers', 'an array of Uint8Arrays', b, this.path, 'ERR_INVALID_ARG_TYPE');
      }
      if (isDetached(b)) throw detachedArgument(where, 'buffers', b, this.path);
      if (b.byteLength > MAX_BUFFER_BYTES) {
        throw invalidArgument(
          where,
          'buffers',
          `buffers of at most ${MAX_BUFFER_BYTES} bytes`,
          b.byteLength,
          this.path,
        );
      }
    }
  }

  // ---- Metadata and durability -----------------------------------------------------------------------------------

  /**
   * Flushes data and metadata to the device (`fsync`).
   *
   * **Cancel-safe**: dropping it leaves the file as it was; the flush may still happen.
   *
   * @example
   * ```ts
   * import { File } from '@zokio/fs';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using file = yield* File.create('journal.log');
   *   yield* file.writeAll('committed\n');
   *   yield* file.sync(); // the data and the metadata are on the device
   * });
   * ```
   */
  sync(): Future<void> {
    this.#open('fsync');
    return new BoundOp(this, 'fsync', (fd) => new FsyncFuture(fd, false, this.path));
  }

  /**
   * Flushes data, and only the metadata needed to read it back (`fdatasync`).
   *
   * **Cancel-safe**, as `sync`.
   *
   * @example
   * ```ts
   * import { File } from '@zokio/fs';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   using file = yield* File.create('journal.log');
   *   yield* file.writeAll('committed\n');
   *   yield* file.datasync(); // the data is on the device, with the size needed to read it back
   * });
   * ```
   */
  datasync(): Future<void> {
    this.#open('fdatasync');
    return new BoundOp(this, 'fdatasync', (fd) => new FsyncFuture(fd, true, this.path));
  }

  /**
   * The file's metadata (`statx` on the fd).
   *
   * **Cancel-safe**: holds nothing.
   *
   * @example
   * ```ts
   * import { File, writeFile } from '@zokio/fs';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   yield* writeFile('data.bin', new Uint8Array(100)); // something to read
   *   using file = yield* File.open('data.bin');
   *   const { size } = yield* file.stat();
   *   console.log(size);
   * });
   * ```
   */
  stat(): Future<Stats> {
    this.#open('fstat');
    return new BoundOp(this, 'fstat', (fd) => new StatxFuture(fd, '', this.path, AT_EMPTY_PATH, 'fstat'));
  }

  /**
   * Truncates or extends the file to `length` bytes (`ftruncate`, on the blocking path).
   *
   * **Cancel-safe** in that nothing leaks; the size may or may not have changed when it is dropped.
   *
   * @example
   * ```ts
   * import { File, writeFile } from '@zokio/fs';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   yield* writeFile('app.log', 'old lines\n'); // something to read
   *   using file = yield* File.open('app.log', { write: true });
   *   yield* file.setLen(0); // emptied, still the same file
   * });
   * ```
   */
  setLen(length: number): Future<void> {
    this.#open('ftruncate');
    checkLength(length, 'File.setLen', 'length', this.path);
    return new BoundOp(
      this,
      'ftruncate',
      (fd) => new BlockingFuture<void>('ftruncate', this.path, (done) => ftruncate(fd, length, (e) => done(e))),
    );
  }

  // ---- Closing ---------------------------------------------------------------------------------------------------

  /**
   * Closes the file. Idempotent: a second call completes at once. Other methods fail with `EBADF` afterwards.
   *
   * **Cancel-safe**: the close is submitted when `close()` is called; dropping (or never polling) the future does
   * not keep the fd open, it only drops the result.
   *
   * @example
   * ```ts
   * import { File, writeFile } from '@zokio/fs';
   * import { main } from '@zokio/runtime';
   * await main(function* () {
   *   yield* writeFile('data.bin', new Uint8Array(100)); // something to read
   *   const file = yield* File.open('data.bin');
   *   yield* file.close(); // waits for the close; other methods fail with EBADF from now on
   * });
   * ```
   */
  close(): Future<void> {
    const fd = this.#fd;
    if (fd < 0) return ready(undefined);
    this.#fd = -1;
    return closeNow(this.#driver, fd, this.path);
  }

  /** Closes the file, for `using` in a generator: the close is submitted now and completes in the background. */
  [Symbol.dispose](): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    submitClose(this.#driver, fd);
  }

  /** Closes the file, for `await using`. Resolves when the fd is closed. */
  [Symbol.asyncDispose](): Promise<void> {
    const fd = this.#fd;
    if (fd < 0) return Promise.resolve();
    this.#fd = -1;
    return new Promise((resolve) => submitClose(this.#driver, fd, { complete: () => resolve() }));
  }
}
