/**
 * Mapping a request path to a file under the root, so that nothing outside the root can ever be named.
 *
 * Rules, in order:
 * 1. The path is percent-decoded exactly once; a malformed escape is `400`. A double-encoded `%252e%252e` decodes
 *    to the literal name `%2e%2e`, which is just a file that does not exist.
 * 2. After decoding, a NUL byte, a backslash, or a `.`/`..` segment is refused (`400`): there is no normalising
 *    step that could be tricked, because nothing needs normalising.
 * 3. The file's real path (symlinks resolved by the kernel, `realpath(3)`) must be the root's real path or below
 *    it; a symlink that leaves the root is `404`, like a file that is not there (no oracle for what exists outside).
 * 4. The file opened must be the file checked (same device and inode, on the open descriptor: `openResolved` in
 *    `static-files.ts`), so a path the locate cache remembers and that became a symlink out of the root since is
 *    refused, not followed.
 *
 * Known limits: a local user able to swap a directory for a symlink in the microseconds between `realpath(3)` and
 * the `stat` that follows it could race step 3; a hard link under the root to a file outside it is that file, and
 * is served. The root is assumed writable only by its owner.
 *
 * @module
 */
import { join, sep } from 'node:path';
import { HttpError } from '@zokio/http';

/** The safe relative segments of a request path, or an `HttpError(400)`. */
export function pathSegments(path: string): string[] {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw new HttpError(
      400,
      'ERR_SERVE_BAD_PATH',
      `Expected a path with valid percent escapes, got ${JSON.stringify(path.slice(0, 80))}`,
    );
  }
  if (decoded.includes('\0') || decoded.includes('\\'))
    throw new HttpError(
      400,
      'ERR_SERVE_BAD_PATH',
      `Expected a path without NUL bytes or backslashes, got ${JSON.stringify(path.slice(0, 80))}`,
    );
  const segments = decoded.split('/').filter((s) => s.length > 0);
  if (segments.some((s) => s === '.' || s === '..'))
    throw new HttpError(
      400,
      'ERR_SERVE_BAD_PATH',
      `Expected a path without "." or ".." segments, got ${JSON.stringify(path.slice(0, 80))}`,
    );
  return segments;
}

/** `root` joined with `segments` (both already safe). */
export function underRoot(root: string, segments: readonly string[]): string {
  return segments.length === 0 ? root : join(root, ...segments);
}

/** Whether `real` (a canonical path) is `root` (canonical) or inside it. */
export function isInside(root: string, real: string): boolean {
  return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep);
}
