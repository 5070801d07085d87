import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Parker } from '../src/pool/parker.js';

const states = () => new Int32Array(new SharedArrayBuffer(4 * 2));
const waitAsync = (
  Atomics as unknown as {
    waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: boolean; value: unknown };
  }
).waitAsync.bind(Atomics);

describe('Parker', () => {
  it('a wake-up before the park is remembered: the park returns at once, once', async () => {
    const parker = new Parker(states(), 1);
    parker.unpark();
    parker.unpark(); // a second one does not stack
    expect(await parker.parkAsync(1_000)).toBe(true);
    const started = Date.now();
    expect(await parker.parkAsync(30)).toBe(false); // nothing pending: the timeout ends it
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('parkAsync leaves the event loop running, and an unpark from a timer wakes it', async () => {
    const parker = new Parker(states(), 0);
    let ticks = 0;
    const interval = setInterval(() => ticks++, 5);
    setTimeout(() => parker.unpark(), 60);
    expect(await parker.parkAsync(5_000)).toBe(true);
    clearInterval(interval);
    expect(ticks).toBeGreaterThan(3);
  });

  it('a timed async park keeps a thread that has nothing else alive, and times out', async () => {
    const worker = new Worker(new URL('./fixtures/ts-worker.mjs', import.meta.url), {
      workerData: {
        script: new URL('./fixtures/parker-timeout-worker.ts', import.meta.url).href,
        states: new SharedArrayBuffer(4),
      },
    });
    const report = await new Promise<unknown>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the thread exited (code ${code}) before its park returned`)));
    });
    expect(report).toMatchObject({ woken: false, waitedMs: expect.any(Number) });
    expect((report as { waitedMs: number }).waitedMs).toBeGreaterThanOrEqual(25);
  });

  it('refuses memory that is not shared, and indexes out of range', () => {
    expect(() => new Parker(new Int32Array(2), 0)).toThrow(/Expected an Int32Array over a SharedArrayBuffer/);
    expect(() => new Parker(states(), 2)).toThrow(/Expected an index from 0 to 1, got 2/);
  });

  // An async park's wake-up is a task on the worker's event loop: slower per round than a blocking one. The worker
  // has nothing else to keep its loop alive: parkAsync's own keep-alive is what stops it exiting mid-park (code 13).
  it.each([
    ['sync', 20_000],
    ['async', 5_000],
  ] as const)(
    'no wake-up is lost across threads (%s park, %i rounds)',
    async (mode, rounds) => {
      const shared = new SharedArrayBuffer(4);
      const woken = new SharedArrayBuffer(4);
      const parker = new Parker(new Int32Array(shared), 0);
      const count = new Int32Array(woken);
      const worker = new Worker(new URL('./fixtures/ts-worker.mjs', import.meta.url), {
        workerData: {
          script: new URL('./fixtures/parker-worker.ts', import.meta.url).href,
          states: shared,
          woken,
          rounds,
          mode,
        },
      });
      let exitCode: number | undefined;
      const exited = new Promise<number>((resolve, reject) => {
        worker.once('error', reject);
        worker.once('exit', (code) => resolve((exitCode = code)));
      });
      for (let i = 0; i < rounds; i++) {
        parker.unpark();
        // Wait (without blocking the main thread) until the worker counted this wake-up, racing its next park.
        while (Atomics.load(count, 0) <= i && exitCode === undefined) {
          const seen = Atomics.load(count, 0);
          if (seen > i) break;
          const wait = waitAsync(count, 0, seen, 1_000);
          if (wait.async) await wait.value;
        }
      }
      expect(await exited).toBe(0);
      expect(Atomics.load(count, 0)).toBe(rounds);
    },
    60_000,
  );
});
