/**
 * The `multi_thread` flavour as users meet it: `rt.spawnJob` to the worker pool (whose workers run their own time
 * and I/O drivers), `rt.spawnBlocking`, the config that sizes both, and shutdown with jobs in flight.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fn, pending } from '@zokio/future';
import { spawnBlocking, spawnJob, type JoinError } from '@zokio/scheduler';
import { Runtime } from '@zokio/runtime';
import { tempDir } from '@zokio/runtime/testing';

const jobs = new URL('./fixtures/jobs.ts', import.meta.url);

describe('multi_thread runtime', () => {
  it('runs jobs on its worker threads, which have their own time driver', async () => {
    const rt = Runtime.create({ flavor: 'multi_thread', workerThreads: 2 });
    try {
      expect(await rt.spawnJob<number>(jobs, 'sum', [[1, 2, 3, 4]])).toBe(10);
      expect(await rt.spawnJob<number>(jobs, 'thread')).toBeGreaterThan(0);
      const slept = await rt.spawnJob<number>(jobs, 'nap', [20]);
      expect(slept).toBeGreaterThanOrEqual(19);
      const fromTask = await rt.blockOn(
        fn(function* () {
          return yield* spawnJob<number>(jobs, 'sum', [[5, 5]]);
        })(),
      );
      expect(fromTask).toBe(10);
      expect(rt.poolMetrics().workers?.workers).toHaveLength(2);
      expect(rt.describe()).toMatch(/worker pool: +2 worker threads \(workerThreads 2 \(config\)\)/);
    } finally {
      await rt.shutdown();
    }
  });

  it('jobs read files on their worker', async () => {
    const dir = tempDir();
    const path = join(dir.dir, 'hello.txt');
    writeFileSync(path, 'hello from a worker');
    const rt = Runtime.create({ flavor: 'multi_thread', workerThreads: 1 });
    try {
      expect(await rt.spawnJob<string>(jobs, 'read', [path])).toBe('hello from a worker');
    } finally {
      await rt.shutdown();
      dir.cleanup();
    }
  });

  it('ZOKIO_WORKER_THREADS overrides workerThreads; the default is the available parallelism', async () => {
    process.env['ZOKIO_WORKER_THREADS'] = '3';
    try {
      const rt = Runtime.create({ flavor: 'multi_thread', workerThreads: 1 });
      expect(rt.config.workerThreads).toEqual({ value: 3, source: 'env ZOKIO_WORKER_THREADS' });
      expect(rt.poolMetrics().workers?.workers).toHaveLength(3);
      await rt.shutdown();
    } finally {
      delete process.env['ZOKIO_WORKER_THREADS'];
    }
  });

  it('spawnJob on current_thread says what is needed', () => {
    const rt = Runtime.create();
    expect(() => rt.spawnJob(jobs, 'sum', [[1]])).toThrow(
      expect.objectContaining({
        code: 'ERR_ZOKIO_NO_POOL',
        message: expect.stringMatching(/Expected a 'multi_thread' runtime, got flavor 'current_thread'/),
      }),
    );
    expect(rt.describe()).toMatch(/worker pool: +none/);
    return rt.shutdown();
  });

  it('shutdown cancels a job sleeping on a worker (its clean-up runs) and stops every thread in time', async () => {
    const rt = Runtime.create({ flavor: 'multi_thread', workerThreads: 2 });
    const cells = new SharedArrayBuffer(8);
    const handles = [rt.spawnJob(jobs, 'forever', [cells]), rt.spawnJob(jobs, 'forever', [cells])];
    while (Atomics.load(new Int32Array(cells), 1) < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    const started = performance.now();
    const report = await rt.shutdown({ timeout: 5_000 });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(report).toMatchObject({ cancelled: 2, timedOut: false, terminatedThreads: 0 });
    expect(Atomics.load(new Int32Array(cells), 0)).toBe(2);
    for (const handle of handles) await expect(handle).rejects.toSatisfy((e: JoinError) => e.isCancelled());
  });
});

describe('blocking pool through the runtime', () => {
  it('spawnBlocking after shutdown runs nothing: its handle reports the cancellation, and no thread is left', async () => {
    const rt = Runtime.create();
    await rt.shutdown();
    const handle = rt.spawnBlocking<number>(jobs, 'blockFor', [1]);
    await expect(handle).rejects.toSatisfy((e: JoinError) => e.isCancelled());
    expect(rt.poolMetrics().blocking?.threads ?? 0).toBe(0);
  });

  it('spawnBlocking and spawnJob once shutdown began start nothing: their handles report the cancellation', async () => {
    const rt = Runtime.create({ flavor: 'multi_thread', workerThreads: 1 });
    expect(await rt.spawnBlocking<number>(jobs, 'blockFor', [1])).toBeGreaterThan(0); // a blocking thread idles
    const cells = new SharedArrayBuffer(16);
    // A task whose clean-up, run during shutdown, calls spawnBlocking and spawnJob.
    const task = rt.spawn(
      fn(function* () {
        try {
          yield* pending();
        } finally {
          spawnBlocking(jobs, 'mark', [cells, 2]).detach();
          spawnJob(jobs, 'mark', [cells, 3]).detach();
        }
      })(),
    );
    await new Promise((resolve) => setTimeout(resolve, 10)); // the task runs
    const shutdown = rt.shutdown({ timeout: 5_000 });
    const blocking = rt.spawnBlocking(jobs, 'mark', [cells, 0]);
    const job = rt.spawnJob(jobs, 'mark', [cells, 1]);
    for (const handle of [blocking, job]) await expect(handle).rejects.toSatisfy((e: JoinError) => e.isCancelled());
    await expect(task).rejects.toSatisfy((e: JoinError) => e.isCancelled());
    expect(await shutdown).toMatchObject({ timedOut: false, terminatedThreads: 0 });
    expect(Array.from(new Int32Array(cells))).toEqual([0, 0, 0, 0]);
  });

  it('a blocking call still running at the deadline: its thread is terminated and counted', async () => {
    const rt = Runtime.create({ maxBlockingThreads: 1 });
    const handle = rt.spawnBlocking<number>(jobs, 'blockFor', [3_000]);
    await new Promise((resolve) => setTimeout(resolve, 100)); // running on its thread
    const started = performance.now();
    const report = await rt.shutdown({ timeout: 200 });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(report.terminatedThreads).toBe(1);
    await expect(handle).rejects.toBeDefined();
  });

  it('maxBlockingThreads bounds the threads; spawnBlocking works from tasks on any flavour', async () => {
    const rt = Runtime.create({ maxBlockingThreads: 1, threadKeepAlive: 50 });
    try {
      const threads = await Promise.all([
        rt.spawnBlocking<number>(jobs, 'blockFor', [30]),
        rt.spawnBlocking<number>(jobs, 'blockFor', [30]),
        rt.blockOn(
          fn(function* () {
            return yield* spawnBlocking<number>(jobs, 'blockFor', [30]);
          })(),
        ),
      ]);
      expect(new Set(threads).size).toBe(1); // one thread ran all three, one after another
      expect(rt.poolMetrics().blocking).toMatchObject({ threads: 1 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(rt.poolMetrics().blocking).toMatchObject({ threads: 0 }); // threadKeepAlive passed
    } finally {
      await rt.shutdown();
    }
  });
});
