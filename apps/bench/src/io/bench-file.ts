/**
 * The file `driver_read` reads: created once under the OS temp directory with a fixed name, reused by every later
 * run, and read through once by the runner before the first child so that every child reads from the page cache.
 *
 * Created with large sequential writes of non-zero data (1 MiB at a time, a byte pattern with no zero), into a
 * temporary name renamed into place once complete: a run killed half-way never leaves a short file to be reused.
 *
 * @module
 */
import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHUNK_BYTES = 2 ** 20;

/** Where the file is, and what preparing it took: printed in the report. */
export interface BenchFile {
  readonly path: string;
  readonly bytes: number;
  /** Whether this run wrote it (else an earlier run's file of the right size was reused). */
  readonly created: boolean;
  /** How long writing it took, if this run wrote it. */
  readonly createMs?: number;
  /** How long reading it through took (in 1 MiB reads): a few hundred ms means it came from the page cache. */
  readonly warmMs: number;
}

/** The fixed path of a bench file of `bytes`. */
export function benchFilePath(bytes: number, dir = join(tmpdir(), 'zokio-bench')): string {
  return join(dir, `driver_read-${bytes}.bin`);
}

/** Creates the file if it is missing or of another size, then reads it through once so it is in the page cache. */
export function prepareBenchFile(bytes: number, path = benchFilePath(bytes)): BenchFile {
  let createMs: number | undefined;
  if (!existsSync(path) || statSync(path).size !== bytes) {
    const started = performance.now();
    writeFile(path, bytes);
    createMs = performance.now() - started;
  }
  const started = performance.now();
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    while (readSync(fd, chunk, 0, CHUNK_BYTES, null) > 0);
  } finally {
    closeSync(fd);
  }
  const warmMs = performance.now() - started;
  return { path, bytes, created: createMs !== undefined, ...(createMs === undefined ? {} : { createMs }), warmMs };
}

function writeFile(path: string, bytes: number): void {
  const dir = join(path, '..');
  mkdirSync(dir, { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  // 1 … 251, repeating: no zero byte, so no filesystem can store a block of it as a hole.
  for (let i = 0; i < CHUNK_BYTES; i++) chunk[i] = (i % 251) + 1;
  const fd = openSync(partial, 'w');
  try {
    for (let written = 0; written < bytes;) {
      const n = Math.min(CHUNK_BYTES, bytes - written);
      written += writeSync(fd, chunk, 0, n);
    }
  } finally {
    closeSync(fd);
  }
  renameSync(partial, path);
}
