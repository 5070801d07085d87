/**
 * The files `small_files` reads: a directory of `files` files of seeded sizes (`smallFileSizes`) under the OS temp
 * directory, named after its parameters, created once and reused by every later run, and read through once by the
 * runner before the first child so that every child reads from the page cache.
 *
 * Created in a temporary directory renamed into place once complete: a run killed half-way never leaves a partial
 * set to be reused. A set whose files are not all there at their sizes is created again.
 *
 * @module
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { smallFileSizes, type SmallFilesParams } from '../scenarios.js';

/** Where the set is, and what preparing it took: printed in the report. */
export interface FileSet {
  readonly dir: string;
  readonly files: number;
  /** All the files' bytes together. */
  readonly bytes: number;
  /** Whether this run created it (else an earlier run's set was reused). */
  readonly created: boolean;
  /** How long creating it took, if this run did. */
  readonly createMs?: number;
  /** How long reading every file through took (`readFileSync`, one at a time). */
  readonly warmMs: number;
}

type SetShape = Pick<SmallFilesParams, 'files' | 'minBytes' | 'maxBytes' | 'seed'>;

/** The fixed directory of the set `params` describes: another set never reuses it. */
export function fileSetDir(
  { files, minBytes, maxBytes, seed }: SetShape,
  root = join(tmpdir(), 'zokio-bench'),
): string {
  return join(root, `small_files-${files}-${minBytes}-${maxBytes}-${seed.toString(16)}`);
}

/** The name of the `i`-th file of a set. */
export function fileSetName(i: number): string {
  return `${String(i).padStart(6, '0')}.bin`;
}

/** The paths of the `files` files of the set in `dir`, in order. */
export function fileSetPaths(dir: string, files: number): string[] {
  return Array.from({ length: files }, (_, i) => join(dir, fileSetName(i)));
}

/** Creates the set if it is missing or differs, then reads every file once so that the set is in the page cache. */
export function prepareFileSet(params: SetShape, dir = fileSetDir(params)): FileSet {
  const sizes = smallFileSizes(params);
  let createMs: number | undefined;
  if (!matches(dir, sizes)) {
    const started = performance.now();
    create(dir, sizes);
    createMs = performance.now() - started;
  }
  const started = performance.now();
  let bytes = 0;
  for (const path of fileSetPaths(dir, sizes.length)) bytes += readFileSync(path).length;
  const warmMs = performance.now() - started;
  return {
    dir,
    files: sizes.length,
    bytes,
    created: createMs !== undefined,
    ...(createMs === undefined ? {} : { createMs }),
    warmMs,
  };
}

function matches(dir: string, sizes: Uint32Array): boolean {
  if (!existsSync(dir)) return false;
  const paths = fileSetPaths(dir, sizes.length);
  for (let i = 0; i < sizes.length; i++) {
    const stat = statSync(paths[i]!, { throwIfNoEntry: false });
    if (stat?.isFile() !== true || stat.size !== sizes[i]) return false;
  }
  return true;
}

function create(dir: string, sizes: Uint32Array): void {
  const partial = `${dir}.${process.pid}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  let largest = 0;
  for (const size of sizes) largest = Math.max(largest, size);
  const data = Buffer.allocUnsafe(largest);
  // 1 … 251, repeating, as the 1 GiB file: no zero byte, so no file is stored sparse.
  for (let i = 0; i < largest; i++) data[i] = (i % 251) + 1;
  for (let i = 0; i < sizes.length; i++) {
    const fd = openSync(join(partial, fileSetName(i)), 'w');
    try {
      for (let written = 0; written < sizes[i]!;) written += writeSync(fd, data, written, sizes[i]! - written);
    } finally {
      closeSync(fd);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
}
