/**
 * Metadata and links: {@link stat}, {@link lstat}, {@link exists}, {@link canonicalize}, {@link setPermissions},
 * {@link hardLink}, {@link symlink}, {@link readLink}.
 *
 * `stat`, `lstat` and `exists` are one `statx` op on the driver. The others run on the blocking path (`blocking.ts`):
 * io_uring has no op for them (`linkat` and `symlinkat` exist only on newer kernels, and Node's thread pool is as
 * quick for these rare calls).
 *
 * @module
 */
import { chmod, link, readlink, realpath, symlink as nodeSymlink } from 'node:fs';
import { describeValue, fn, type Future } from '@zokio/future';
import { AT_FDCWD, IoError } from '@zokio/io-driver';
import { BlockingFuture } from './blocking.js';
import { FsArgumentError } from './errors.js';
import { StatxFuture } from './ops.js';
import { checkPath, type PathLike } from './path.js';
import { AT_SYMLINK_NOFOLLOW, type Stats } from './stats.js';

/**
 * The metadata of `path`, following symlinks.
 *
 * **Cancel-safe**: holds nothing.
 *
 * @example
 * ```ts
 * import { stat, writeFile } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   yield* writeFile('package.json', '{ "name": "demo" }'); // something to look at
 *   const { size, mtime } = yield* stat('package.json');
 *   console.log(size, mtime);
 * });
 * ```
 * @category Metadata
 */
export function stat(path: PathLike): Future<Stats> {
  const p = checkPath(path, 'stat');
  return new StatxFuture(AT_FDCWD, p.absolute, p.display, 0, 'stat');
}

/**
 * The metadata of `path` itself: a symlink is described, not followed.
 *
 * **Cancel-safe**: holds nothing.
 *
 * @example
 * ```ts
 * import { lstat, symlink } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   yield* symlink('releases/v2', 'current');
 *   console.log((yield* lstat('current')).isSymbolicLink()); // true (stat would follow the link)
 * });
 * ```
 * @category Metadata
 */
export function lstat(path: PathLike): Future<Stats> {
  const p = checkPath(path, 'lstat');
  return new StatxFuture(AT_FDCWD, p.absolute, p.display, AT_SYMLINK_NOFOLLOW, 'lstat');
}

const probe = fn(function* (absolute: string, display: string) {
  try {
    yield* new StatxFuture(AT_FDCWD, absolute, display, 0, 'stat');
    return true;
  } catch (error) {
    if (error instanceof IoError && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return false;
    throw error;
  }
});

/**
 * Whether `path` exists (following symlinks: a dangling link does not). Other failures, such as `EACCES` on a
 * parent directory, are thrown rather than reported as "no" (Rust's `try_exists`).
 *
 * **Cancel-safe**: holds nothing.
 *
 * @example
 * ```ts
 * import { createDir, exists } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   if (!(yield* exists('cache'))) yield* createDir('cache');
 * });
 * ```
 * @category Metadata
 */
export function exists(path: PathLike): Future<boolean> {
  const p = checkPath(path, 'exists');
  return probe(p.absolute, p.display);
}

/**
 * The absolute path of `path` with every symlink, `.` and `..` resolved (`realpath`).
 *
 * **Cancel-safe**: holds nothing.
 *
 * @example
 * ```ts
 * import { canonicalize } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   console.log(yield* canonicalize('.')); // the working directory, absolute, with symlinks resolved
 * });
 * ```
 * @category Metadata
 */
export function canonicalize(path: PathLike): Future<string> {
  const p = checkPath(path, 'canonicalize');
  return new BlockingFuture<string>('realpath', p.display, (done) => realpath.native(p.absolute, done));
}

/**
 * Sets the permission bits of `path` (`chmod`).
 *
 * **Cancel-safe** in that nothing leaks; dropped, the mode may or may not have changed.
 *
 * @example
 * ```ts
 * import { setPermissions, writeFile } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   yield* writeFile('run.sh', '#!/bin/sh\necho hello\n');
 *   yield* setPermissions('run.sh', 0o755); // rwxr-xr-x
 * });
 * ```
 * @category Metadata
 */
export function setPermissions(path: PathLike, mode: number): Future<void> {
  const p = checkPath(path, 'setPermissions');
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new FsArgumentError(
      'ERR_INVALID_ARG_VALUE',
      'mode',
      `setPermissions: Expected mode to be permission bits from 0 to 0o7777, got ${describeValue(mode)}`,
      p.display,
    );
  }
  return new BlockingFuture<void>('chmod', p.display, (done) => chmod(p.absolute, mode, (e) => done(e)));
}

/**
 * Makes `link` a new name (hard link) for the file `existing`.
 *
 * **Cancel-safe** in that nothing leaks; dropped, the link may or may not exist.
 *
 * @example
 * ```ts
 * import { hardLink, stat, writeFile } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   yield* writeFile('data.bin', 'hello');
 *   yield* hardLink('data.bin', 'data.bin.bak'); // one file, two names
 *   console.log((yield* stat('data.bin')).nlink); // 2
 * });
 * ```
 * @category Metadata
 */
export function hardLink(existing: PathLike, link_: PathLike): Future<void> {
  const a = checkPath(existing, 'hardLink', 'existing');
  const b = checkPath(link_, 'hardLink', 'link');
  return new BlockingFuture<void>('link', a.display, (done) => link(a.absolute, b.absolute, (e) => done(e)));
}

/**
 * Creates the symlink `path` pointing at `target` (stored as given: a relative target is relative to the link's
 * directory).
 *
 * **Cancel-safe** in that nothing leaks; dropped, the link may or may not exist.
 *
 * @example
 * ```ts
 * import { createDirAll, stat, symlink } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   yield* createDirAll('releases/v2');
 *   yield* symlink('releases/v2', 'current'); // relative to the link's directory
 *   console.log((yield* stat('current')).isDirectory()); // true: stat follows the link
 * });
 * ```
 * @category Metadata
 */
export function symlink(target: string, path: PathLike): Future<void> {
  const p = checkPath(path, 'symlink');
  if (typeof target !== 'string' || target.length === 0 || target.includes('\0')) {
    throw new FsArgumentError(
      typeof target === 'string' ? 'ERR_INVALID_ARG_VALUE' : 'ERR_INVALID_ARG_TYPE',
      'target',
      `symlink: Expected target to be a non-empty string without NUL bytes, got ${describeValue(target)}`,
      p.display,
    );
  }
  return new BlockingFuture<void>('symlink', p.display, (done) => nodeSymlink(target, p.absolute, (e) => done(e)));
}

/**
 * The target of the symlink `path`, as stored.
 *
 * **Cancel-safe**: holds nothing.
 *
 * @example
 * ```ts
 * import { readLink, symlink } from '@zokio/fs';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   yield* symlink('releases/v2', 'current');
 *   console.log(yield* readLink('current')); // 'releases/v2'
 * });
 * ```
 * @category Metadata
 */
export function readLink(path: PathLike): Future<string> {
  const p = checkPath(path, 'readLink');
  return new BlockingFuture<string>('readlink', p.display, (done) => readlink(p.absolute, done));
}
