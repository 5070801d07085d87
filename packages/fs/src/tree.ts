/**
 * The directory tree: {@link createDir}, {@link createDirAll}, {@link removeDir}, {@link removeDirAll},
 * {@link remove}, {@link rename}, {@link copy}, {@link readDir}.
 *
 * `createDir`, `removeDir`, `remove` and `rename` are single driver ops (`mkdirat`, `unlinkat`, `renameat2`).
 * `createDirAll`, `removeDirAll`, `copy` and `readDir` have no single op; they run on the blocking path (Node's
 * `fs` on libuv's thread pool: `mkdir -p`, `rm -r`, `copy_file_range` with reflinks where the file system has them,
 * `getdents`), see `blocking.ts`.
 *
 * @module
 */
import { copyFile, mkdir, readdir, rm, type Dirent } from 'node:fs';
import { describeValue, fn, type Future } from '@zokio/future';
import { BlockingFuture } from './blocking.js';
import { FsArgumentError } from './errors.js';
import { MkdirFuture, RenameFuture, UnlinkFuture } from './ops.js';
import { checkPath, type PathLike } from './path.js';

function checkMode(mode: unknown, where: string, path: string): number {
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new FsArgumentError(
      'ERR_INVALID_ARG_VALUE',
      'mode',
      `${where}: Expected mode to be permission bits from 0 to 0o7777, got ${describeValue(mode)}`,
      path,
    );
  }
  return mode;
}

/**
 * Creates the directory `path` (its parent must exist). Fails with `EEXIST` if it exists.
 *
 * **Cancel-safe** in that nothing leaks; dropped, the directory may or may not have been created.
 *
 * @example
 * ```ts
 * import { createDir } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   yield* createDir('out');
 * });
 * ```
 * @category Directories
 */
export function createDir(path: PathLike, mode = 0o777): Future<void> {
  const p = checkPath(path, 'createDir');
  return new MkdirFuture(p.absolute, p.display, checkMode(mode, 'createDir', p.display));
}

/**
 * Creates `path` and every missing parent; succeeds if it already is a directory (`mkdir -p`).
 *
 * **Cancel-safe** in that nothing leaks; dropped, any prefix of the missing directories may exist.
 *
 * @example
 * ```ts
 * import { createDirAll } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   yield* createDirAll('out/2026/11');
 * });
 * ```
 * @category Directories
 */
export function createDirAll(path: PathLike, mode = 0o777): Future<void> {
  const p = checkPath(path, 'createDirAll');
  const m = checkMode(mode, 'createDirAll', p.display);
  return new BlockingFuture<void>('mkdir', p.display, (done) =>
    mkdir(p.absolute, { recursive: true, mode: m }, (e) => done(e)),
  );
}

/**
 * Removes the empty directory `path` (`ENOTEMPTY` if it is not empty, `ENOTDIR` if it is not a directory).
 *
 * **Cancel-safe** in that nothing leaks; dropped, it may or may not have been removed.
 *
 * @example
 * ```ts
 * import { createDir, removeDir } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   yield* createDir('empty');
 *   yield* removeDir('empty');
 * });
 * ```
 * @category Directories
 */
export function removeDir(path: PathLike): Future<void> {
  const p = checkPath(path, 'removeDir');
  return new UnlinkFuture(p.absolute, p.display, true);
}

/**
 * Removes the directory `path` and everything in it (symlinks are removed, not followed). Fails with `ENOENT` if
 * it does not exist and `ENOTDIR` if it is not a directory.
 *
 * **Not cancel-safe**: dropped, any part of the tree may be gone.
 *
 * @example
 * ```ts
 * import { exists, removeDirAll } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   if (yield* exists('build')) yield* removeDirAll('build');
 * });
 * ```
 * @category Directories
 */
export function removeDirAll(path: PathLike): Future<void> {
  const p = checkPath(path, 'removeDirAll');
  return removeTree(p.absolute, p.display);
}

const removeTree = fn(function* (absolute: string, display: string) {
  // `rm -r` would remove a file too: refuse one first, as Rust's remove_dir_all does.
  yield* new BlockingFuture<void>('rmdir', display, (done) => readdir(absolute, (e) => done(e)));
  yield* new BlockingFuture<void>('rm', display, (done) =>
    rm(absolute, { recursive: true, force: false, maxRetries: 0 }, (e) => done(e)),
  );
});

/**
 * Removes the file (or symlink) `path`; `EISDIR`/`EPERM` for a directory (use {@link removeDir}).
 *
 * **Cancel-safe** in that nothing leaks; dropped, it may or may not have been removed.
 *
 * @example
 * ```ts
 * import { exists, remove } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   if (yield* exists('stale.lock')) yield* remove('stale.lock');
 * });
 * ```
 * @category Directories
 */
export function remove(path: PathLike): Future<void> {
  const p = checkPath(path, 'remove');
  return new UnlinkFuture(p.absolute, p.display, false);
}

/**
 * Renames `from` to `to`, replacing `to` if it exists (atomically, within one file system).
 *
 * **Cancel-safe** in that nothing leaks; dropped, the rename may or may not have happened (never half).
 *
 * @example
 * ```ts
 * import { rename, writeFile } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   const text = JSON.stringify({ port: 8080 });
 *   yield* writeFile('config.json.tmp', text);
 *   yield* rename('config.json.tmp', 'config.json'); // readers see the old file or the new one, never half
 * });
 * ```
 * @category Directories
 */
export function rename(from: PathLike, to: PathLike): Future<void> {
  const a = checkPath(from, 'rename', 'from');
  const b = checkPath(to, 'rename', 'to');
  return new RenameFuture(a.absolute, b.absolute, a.display, 0);
}

/**
 * Copies the file `from` to `to` (contents and permission bits), replacing `to`. Uses `copy_file_range`, with a
 * reflink where the file system supports it.
 *
 * **Not cancel-safe**: dropped, `to` may be partly written.
 *
 * @example
 * ```ts
 * import { copy, writeFile } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   yield* writeFile('template.html', '<h1>Hello</h1>\n');
 *   yield* copy('template.html', 'index.html');
 * });
 * ```
 * @category Directories
 */
export function copy(from: PathLike, to: PathLike): Future<void> {
  const a = checkPath(from, 'copy', 'from');
  const b = checkPath(to, 'copy', 'to');
  return new BlockingFuture<void>('copyfile', a.display, (done) => copyFile(a.absolute, b.absolute, (e) => done(e)));
}

/** The kind of a directory entry. @category Directories */
export type FileType =
  'file' | 'directory' | 'symlink' | 'fifo' | 'socket' | 'char-device' | 'block-device' | 'unknown';

function typeOf(d: Dirent): FileType {
  if (d.isFile()) return 'file';
  if (d.isDirectory()) return 'directory';
  if (d.isSymbolicLink()) return 'symlink';
  if (d.isFIFO()) return 'fifo';
  if (d.isSocket()) return 'socket';
  if (d.isCharacterDevice()) return 'char-device';
  if (d.isBlockDevice()) return 'block-device';
  return 'unknown';
}

/**
 * One entry of a directory, with its type as the directory listing tells it (a symlink is `'symlink'`, not what it
 * points to).
 * @category Directories
 */
export class DirEntry {
  /** The entry's name. */
  readonly name: string;
  /** The directory's path joined with the name. */
  readonly path: string;
  /** Its type. */
  readonly type: FileType;

  /** @internal */
  constructor(name: string, path: string, type: FileType) {
    this.name = name;
    this.path = path;
    this.type = type;
  }

  isFile(): boolean {
    return this.type === 'file';
  }
  isDirectory(): boolean {
    return this.type === 'directory';
  }
  isSymbolicLink(): boolean {
    return this.type === 'symlink';
  }
}

/**
 * Lists the directory `path` (without `.` and `..`), sorted by name, each entry with its type.
 *
 * **Cancel-safe**: holds nothing.
 *
 * @example
 * ```ts
 * import { readDir } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   for (const entry of yield* readDir('.')) if (entry.isFile()) console.log(entry.name);
 * });
 * ```
 * @category Directories
 */
export function readDir(path: PathLike): Future<DirEntry[]> {
  const p = checkPath(path, 'readDir');
  const base = p.display.endsWith('/') ? p.display : `${p.display}/`;
  return new BlockingFuture<DirEntry[]>('scandir', p.display, (done) =>
    readdir(p.absolute, { withFileTypes: true }, (e, entries) => {
      if (e !== null) return done(e);
      const list = entries
        .map((d) => new DirEntry(d.name, base + d.name, typeOf(d)))
        .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
      done(null, list);
    }),
  );
}
