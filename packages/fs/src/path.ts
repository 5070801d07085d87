/**
 * Paths as `@zokio/fs` takes them: a string or a `file:` URL, checked when the function is called.
 *
 * Relative paths are made absolute against `process.cwd()` at the call, as Node's `fs` does when it makes the system
 * call: the driver's `*at` ops then get an absolute path and `AT_FDCWD`, which every backend accepts. The path is
 * only prefixed, never normalized: the kernel resolves `..` after a symlink from the link's target and refuses a
 * trailing `/` on a file (`ENOTDIR`), and so must every path here — `path.resolve` would rewrite `link/../f` to `f`
 * and `file/` to `file`, reaching another file than `node:fs` does.
 *
 * @module
 */
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalidArgument } from './errors.js';

/** What the functions of `@zokio/fs` take as a path. @category Files */
export type PathLike = string | URL;

/** The path as the user wrote it (for errors), and the absolute path handed to the driver. @internal */
export interface CheckedPath {
  /** As given (a URL turned into its path): what errors report, as Node's do. */
  readonly display: string;
  /** Absolute. */
  readonly absolute: string;
}

/** Checks `path` and resolves it; throws an `FsArgumentError` naming `where` and `argument` if it is unusable. @internal */
export function checkPath(path: unknown, where: string, argument = 'path'): CheckedPath {
  let display: string;
  if (typeof path === 'string') display = path;
  else if (path instanceof URL) {
    if (path.protocol !== 'file:') throw invalidArgument(where, argument, 'a file: URL', path.href);
    display = fileURLToPath(path);
  } else throw invalidArgument(where, argument, 'a string or a file: URL', path, undefined, 'ERR_INVALID_ARG_TYPE');
  if (display.length === 0) throw invalidArgument(where, argument, 'a non-empty path', display);
  if (display.includes('\0')) throw invalidArgument(where, argument, 'a path without NUL bytes', display, display);
  return { display, absolute: isAbsolute(display) ? display : `${process.cwd()}/${display}` };
}
