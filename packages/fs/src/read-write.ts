/**
 * Whole-file reads and writes: {@link readFile}, {@link readToString}, {@link writeFile}, {@link appendFile}.
 *
 * ## readFile without statx
 * `open`, then a read of up to 64 KiB at 0. A file shorter than that gets one more read, which must find the end
 * (a short read alone is no proof on every file system: `/proc` hands out a page at a time), then `close`: four ops,
 * each served inline from the page cache by io_uring. `statx` is not used for these: io_uring always runs it on an
 * io-wq worker thread, which costs more than the read that finds the end (measured: 49.7 k → 74.5 k files/s in
 * `small_files`). A file that fills the first read is `fstat`ed; a regular file is then read to the size it had
 * (as Node's `readFile`) in 64 KiB spans, 16 in flight (`transfer.ts`), straight into the result; anything else is
 * read until the end. Then the fd is closed.
 *
 * @module
 */
import { constants as bufferConstants } from 'node:buffer';
import { constants } from 'node:fs';
import { fn, type Future } from '@zokio/future';
import { FdGuard } from '@zokio/io-driver';
import { MAX_BUFFER_BYTES } from '@zokio/memory';
import { describeValue } from '@zokio/future';
import { detachedArgument, FsArgumentError, IoError, isDetached } from './errors.js';
import { CopyingReadFuture, OpenFuture, StatxFuture } from './ops.js';
import { openFlags } from './open-options.js';
import { checkPath, type PathLike } from './path.js';
import { AT_EMPTY_PATH } from './stats.js';
import { fillPrivate, writeAll } from './transfer.js';

const O_CLOEXEC = 0o2000000;
const EFBIG = 27;
const MAX_LENGTH = bufferConstants.MAX_LENGTH;

const readWhole = fn(function* (absolute: string, display: string) {
  const owned = new FdGuard();
  try {
    const fd = yield* new OpenFuture(absolute, display, constants.O_RDONLY | O_CLOEXEC, 0, owned.keep);
    // Most files fit one pool buffer: read it, then make sure the end was reached (a short read is not proof on
    // every file system) with a read that finds nothing. Both are served inline from the page cache, where `statx`
    // would always go to an io-wq worker thread.
    const first = yield* new CopyingReadFuture<Buffer>(fd, 0, MAX_BUFFER_BYTES, display, undefined);
    let out: Buffer;
    // After a short read, a byte the probe does find belongs to the file (a pipe delivers what has come so far):
    // it is kept, and the rest is read on to the end.
    let probed: Buffer | undefined;
    if (first.length === 0) out = first;
    else if (
      first.length < MAX_BUFFER_BYTES &&
      (probed = yield* new CopyingReadFuture<Buffer>(fd, first.length, 1, display, undefined)).length === 0
    ) {
      out = first;
    } else if (probed !== undefined) {
      out = yield* readToEnd(display, fd, [first, probed], first.length + 1);
    } else {
      const stats = yield* new StatxFuture(fd, '', display, AT_EMPTY_PATH, 'fstat');
      if (stats.isFile() && stats.size > first.length) {
        const size = stats.size;
        // One Buffer holds the whole file: past the largest one, `EFBIG` with the path (Node: ERR_FS_FILE_TOO_LARGE).
        if (size > MAX_LENGTH) throw IoError.fromResult(-EFBIG, 'read', display);
        const whole = Buffer.allocUnsafe(size);
        whole.set(first);
        const n =
          first.length + (yield* fillPrivate(display, fd, whole, first.length, size - first.length, first.length));
        out = n === size ? whole : whole.subarray(0, n);
      } else {
        // Size unknown (or grown): read on until the end, 64 KiB at a time.
        out = yield* readToEnd(display, fd, [first], first.length);
      }
    }
    yield* owned.close(display);
    return out;
  } finally {
    owned.release();
  }
});

/** Reads on from `position` until a read finds nothing, 64 KiB at a time, after `chunks`; returns them joined. */
const readToEnd = fn(function* (display: string, fd: number, chunks: Buffer[], position: number) {
  for (;;) {
    const chunk = yield* new CopyingReadFuture<Buffer>(fd, position, MAX_BUFFER_BYTES, display, undefined);
    if (chunk.length === 0) break;
    chunks.push(chunk);
    position += chunk.length;
  }
  return Buffer.concat(chunks);
});

/**
 * Reads the whole file at `path`.
 *
 * A result of up to 8 KiB is a view of a shared 32 KiB slab, as Node cuts its small `Buffer`s from an 8 KiB pool:
 * a program that keeps many small results for long should keep exact-size copies (`Buffer.allocUnsafeSlow(n)`, then
 * `buf.copy(it)`; `Buffer.from` and `Buffer.copyBytesFrom` cut small copies from Node's pool again), or each may hold
 * its whole slab alive.
 *
 * **Cancel-safe**: dropping it cancels its ops and closes the file; nothing leaks.
 *
 * @example
 * ```ts
 * import { fn } from '@zokio/future';
 * import { readFile } from '@zokio/fs';
 * const size = fn(function* () {
 *   return (yield* readFile('/etc/hostname')).length;
 * });
 * ```
 * @category Whole files
 */
export function readFile(path: PathLike): Future<Buffer> {
  const p = checkPath(path, 'readFile');
  return readWhole(p.absolute, p.display);
}

const ENCODINGS = new Set(['utf8', 'utf-8', 'utf16le', 'latin1', 'ascii', 'base64', 'base64url', 'hex', 'ucs2']);

const readText = fn(function* (absolute: string, display: string, encoding: BufferEncoding) {
  return (yield* readWhole(absolute, display)).toString(encoding);
});

/**
 * Reads the whole file at `path` as text (default UTF-8).
 *
 * **Cancel-safe**, as {@link readFile}.
 *
 * @example
 * ```ts
 * import { readToString, writeFile } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   yield* writeFile('package.json', '{ "name": "demo" }'); // something to read
 *   const pkg = JSON.parse(yield* readToString('package.json')) as { name: string };
 *   console.log(pkg.name);
 * });
 * ```
 * @category Whole files
 */
export function readToString(path: PathLike, encoding: BufferEncoding = 'utf8'): Future<string> {
  const p = checkPath(path, 'readToString');
  if (!ENCODINGS.has(encoding)) {
    throw new FsArgumentError(
      'ERR_INVALID_ARG_VALUE',
      'encoding',
      `readToString: Expected encoding to be one of ${[...ENCODINGS].join(', ')}, got ${describeValue(encoding)}`,
      p.display,
    );
  }
  return readText(p.absolute, p.display, encoding);
}

/** Options of {@link writeFile} and {@link appendFile}. @category Whole files */
export interface WriteFileOptions {
  /** Permission bits of a created file (before the umask). @default 0o666 */
  readonly mode?: number;
}

function toBytes(data: unknown, where: string, path: string): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data) && isDetached(data)) throw detachedArgument(where, 'data', data, path);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new FsArgumentError(
    'ERR_INVALID_ARG_TYPE',
    'data',
    `${where}: Expected data to be a string, Buffer or Uint8Array, got ${describeValue(data)}`,
    path,
  );
}

function checkOptions(options: unknown, where: string, path: string): void {
  if (typeof options !== 'object' || options === null) {
    throw new FsArgumentError(
      'ERR_INVALID_ARG_TYPE',
      'options',
      `${where}: Expected options to be an object, got ${describeValue(options)}`,
      path,
    );
  }
}

const writeWhole = fn(function* (
  absolute: string,
  display: string,
  flags: number,
  mode: number,
  bytes: Uint8Array,
  append: boolean,
) {
  const owned = new FdGuard();
  try {
    const fd = yield* new OpenFuture(absolute, display, flags, mode, owned.keep);
    let position = append ? -1 : 0;
    if (position === 0 && bytes.byteLength > MAX_BUFFER_BYTES) {
      // Spans written at positions go out together and land by position: right for a regular file, but a pipe or a
      // socket ignores positions and would take them in completion order. Those get the spans one by one, in order.
      const stats = yield* new StatxFuture(fd, '', display, AT_EMPTY_PATH, 'fstat');
      if (!stats.isFile()) position = -1;
    }
    yield* writeAll(display, fd, bytes, position);
    yield* owned.close(display);
  } finally {
    owned.release();
  }
});

/**
 * Writes `data` (a string is UTF-8) to `path`, creating the file or replacing its contents.
 *
 * **Not cancel-safe**: dropped, the file may hold any prefix of `data` (or, past 64 KiB, any of its 64 KiB chunks);
 * the fd is closed either way. Write to a temporary file and {@link rename} it for an all-or-nothing update.
 *
 * @example
 * ```ts
 * import { writeFile } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   const result = { checked: 42, failed: 0 };
 *   yield* writeFile('out.json', JSON.stringify(result));
 * });
 * ```
 * @category Whole files
 */
export function writeFile(path: PathLike, data: Uint8Array | string, options: WriteFileOptions = {}): Future<void> {
  const p = checkPath(path, 'writeFile');
  const bytes = toBytes(data, 'writeFile', p.display);
  checkOptions(options, 'writeFile', p.display);
  const { flags, mode } = openFlags(
    { write: true, create: true, truncate: true, mode: options.mode },
    'writeFile',
    p.display,
  );
  return writeWhole(p.absolute, p.display, flags, mode, bytes, false);
}

/**
 * Appends `data` to `path`, creating the file if it does not exist.
 *
 * **Not cancel-safe**: dropped, any prefix of `data` may have been appended.
 *
 * @example
 * ```ts
 * import { appendFile } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   yield* appendFile('app.log', `${new Date().toISOString()} started\n`);
 * });
 * ```
 * @category Whole files
 */
export function appendFile(path: PathLike, data: Uint8Array | string, options: WriteFileOptions = {}): Future<void> {
  const p = checkPath(path, 'appendFile');
  const bytes = toBytes(data, 'appendFile', p.display);
  checkOptions(options, 'appendFile', p.display);
  const { flags, mode } = openFlags({ append: true, create: true, mode: options.mode }, 'appendFile', p.display);
  return writeWhole(p.absolute, p.display, flags, mode, bytes, true);
}
