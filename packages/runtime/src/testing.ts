/**
 * # @zokio/runtime/testing
 *
 * Helpers for testing code that does I/O on every backend this machine can run — zokio's own suites use them, and
 * so can yours: `describe.each(drivers)` runs a suite once per backend, each on a real runtime.
 *
 * @example
 * ```ts
 * // @no-run: a Vitest test file, run by `vitest`, not by `node`
 * import { describe, expect, it } from 'vitest';
 * import { drivers, runtimeOn } from '@zokio/runtime/testing';
 * import { readFile } from '@zokio/fs';
 * describe.each(drivers)('my file code on %s', (driver) => {
 *   const { run } = runtimeOn(driver);
 *   it('reads', async () => expect((await run(readFile('package.json'))).length).toBeGreaterThan(0));
 * });
 * ```
 *
 * @module
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Future } from '@zokio/future';
import { probe, type IoBackendName } from '@zokio/io-driver';
import { Runtime } from './runtime.js';

/**
 * The I/O backends that can run here, best first: `js` everywhere; `io_uring` and `epoll` where the native addon
 * loads (and io_uring is allowed).
 */
export const drivers: IoBackendName[] = probe()
  .filter((b) => b.available)
  .map((b) => b.name);

/** A runtime on `driver`, and `run(future)` to drive one future to its end on it. */
export function runtimeOn(driver: IoBackendName): { rt: Runtime; run: <T>(f: Future<T>) => Promise<T> } {
  const rt = Runtime.create({ io: driver });
  return { rt, run: (f) => rt.blockOn(f) };
}

/** A fresh temp directory, and a function that removes it. */
export function tempDir(prefix = 'zokio-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** This process's open file descriptors (Linux `/proc/self/fd`), for leak checks. */
export function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * The fd count once it is back to `target`, or as it stands after `maxMs`: a native backend closes its own fds (ring
 * or epoll, eventfd, timerfd) and a closed socket's fd a loop turn or two after `shutdown()` resolves.
 */
export async function fdCountBackTo(target: number, maxMs = 500): Promise<number> {
  for (const start = performance.now(); fdCount() !== target && performance.now() - start < maxMs;)
    await new Promise((r) => setTimeout(r, 5));
  return fdCount();
}

/** The fd count once it stops changing (two readings 20 ms apart agree), e.g. after an earlier test's clean-up. */
export async function steadyFdCount(maxMs = 1000): Promise<number> {
  let last = -1;
  for (const start = performance.now(); fdCount() !== last && performance.now() - start < maxMs;) {
    last = fdCount();
    await new Promise((r) => setTimeout(r, 20));
  }
  return fdCount();
}
