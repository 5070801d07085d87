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
import { INJECTED_CODES, IoError, probe, type IoBackendName } from '@zokio/io-driver';
import { Runtime } from './runtime.js';

/**
 * The I/O backends that can run here, best first: `js` everywhere; `io_uring` and `epoll` where the native addon
 * loads (and io_uring is allowed).
 */
export const drivers: IoBackendName[] = probe()
  .filter((b) => b.available)
  .map((b) => b.name);

/**
 * A runtime on `driver`, and `run(future)` to drive one future to its end on it. On `driver` whatever
 * `ZOKIO_IO_DRIVER` says: a suite run for each driver must not run them all on the one the environment forces.
 */
export function runtimeOn(driver: IoBackendName): { rt: Runtime; run: <T>(f: Future<T>) => Promise<T> } {
  const { ZOKIO_IO_DRIVER: _forced, ...env } = process.env;
  const rt = Runtime.create({ io: driver }, env);
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

/** What {@link shutDownAndCount} found a runtime left behind: all zero (and `timedOut` false) when clean. */
export interface Leftovers {
  /** `rt.shutdown()` gave up waiting for its tasks. */
  readonly timedOut: boolean;
  /** Tasks still alive after the shutdown. */
  readonly alive: number;
  /** Timers still in the wheel. */
  readonly timers: number;
  /** Bytes of the I/O driver's buffer pool still lent out. */
  readonly poolBytes: number;
  /** Open fds above `fdsBefore`, once closes in flight have landed (negative: fewer than before). */
  readonly fds: number;
}

/** {@link Leftovers} of a runtime that left nothing behind. */
export const NOTHING_LEFT: Leftovers = { timedOut: false, alive: 0, timers: 0, poolBytes: 0, fds: 0 };

/**
 * Shuts `rt` down (within `timeoutMs`) and counts what it left: the check every leak test ends with —
 * `expect(await shutDownAndCount(rt, fdsBefore)).toEqual(NOTHING_LEFT)`.
 * `fdsBefore` is the count taken before the runtime did any I/O ({@link steadyFdCount}).
 */
export async function shutDownAndCount(rt: Runtime, fdsBefore: number, timeoutMs = 5_000): Promise<Leftovers> {
  const { timedOut } = await rt.shutdown({ timeout: timeoutMs });
  const metrics = rt.metrics();
  return {
    timedOut,
    alive: metrics.alive,
    timers: metrics.timers?.pending ?? 0,
    poolBytes: rt.io?.pool.stats().inUseBytes ?? 0,
    fds: (await fdCountBackTo(fdsBefore)) - fdsBefore,
  };
}

/** The codes the fault injector makes an op fail with: `@zokio/io-driver`'s, re-exported beside the helpers. */
export { INJECTED_CODES };

/**
 * Runs `setUp` until it succeeds, retrying (up to `attempts` times in all) while it fails with an injected fault's
 * code — as a service retries a failed bind at start. For suites under `ioFaults`, whose set-up (a bind, the stat
 * of a root directory) meets the same faults as the code under test: what they check is how that code fails, not
 * whether the set-up did. Any other error, or the last attempt's, is thrown.
 *
 * @example
 * ```ts
 * import { TcpListener } from '@zokio/net';
 * import { Runtime } from '@zokio/runtime';
 * import { retryInjected } from '@zokio/runtime/testing';
 * const rt = Runtime.create({ ioFaults: { seed: 7, rate: 0.3 } });
 * const listener = await retryInjected(() => rt.blockOn(TcpListener.bind('127.0.0.1:0')));
 * listener.close();
 * await rt.shutdown();
 * ```
 */
export async function retryInjected<T>(setUp: () => Promise<T>, attempts = 20): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await setUp();
    } catch (error) {
      if (attempt >= attempts || !(error instanceof IoError) || !INJECTED_CODES.has(error.code)) throw error;
    }
  }
}
