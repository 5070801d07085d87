/**
 * The drivers every `@zokio/fs` suite runs on: a real runtime per backend (`js` everywhere; `io_uring` and `epoll`
 * where the addon loads — `@zokio/io-driver`'s select test fails if io_uring should load here and does not).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probe, type IoBackendName } from '@zokio/io-driver';
import { Runtime } from '@zokio/runtime';
import type { Future } from '@zokio/future';

export const drivers: IoBackendName[] = probe()
  .filter((b) => b.available)
  .map((b) => b.name);

/** A runtime on `driver`, and `run(future)` to drive one future to its end on it. */
export function runtimeOn(driver: IoBackendName): { rt: Runtime; run: <T>(f: Future<T>) => Promise<T> } {
  const rt = Runtime.create({ io: driver });
  return { rt, run: (f) => rt.blockOn(f) };
}

/** A fresh temp directory, removed by the returned function. */
export function tempDir(prefix = 'zokio-net-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Open fds of this process: for leak checks. */
export function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}
