/**
 * zokio as the worker-pool scenarios' contender: `Runtime.create({ flavor: 'multi_thread', workerThreads: W })`,
 * each job `rt.spawnJob(url, name, [arg])` from plain code on the main thread, the handles then joined in one
 * `rt.blockOn` (a `JoinHandle` is a future: `yield*` it). `fork_join` is the nested form: one job for the root,
 * which forks its halves as jobs from inside the job (`zokio-jobs.ts`), down to the cut-off.
 *
 * @module
 */
import { fn } from '@zokio/future';
import { Runtime } from '@zokio/runtime';
import type { JoinHandle } from '@zokio/scheduler';
import { poolMain, type Pool, type PoolContender } from './harness.js';

const JOBS = new URL('./jobs.js', import.meta.url);
const NESTED = new URL('./zokio-jobs.js', import.meta.url);

/** Joins every handle, in order, in one task; the sum of their outputs. */
const joinAll = fn(function* (handles: readonly JoinHandle<number>[]) {
  let sum = 0;
  for (const handle of handles) sum += yield* handle;
  return sum;
});

function open(workers: number): Pool {
  // The row is what it says: the environment must not swap the flavor or the thread count the config asks for.
  delete process.env['ZOKIO_FLAVOR'];
  delete process.env['ZOKIO_WORKER_THREADS'];
  const rt = Runtime.create({ flavor: 'multi_thread', workerThreads: workers });
  const described = rt.describe();
  const flavor = /^\s*flavor:\s*(\S+)/m.exec(described)?.[1];
  if (flavor !== 'multi_thread') throw new Error(`Expected a multi_thread runtime, got ${flavor ?? 'no flavor'}`);
  const threads = /^\s*worker pool:\s*(\d+) worker threads/m.exec(described)?.[1];
  if (Number(threads) !== workers) throw new Error(`Expected ${workers} worker threads, got ${threads ?? 'none'}`);

  const submitAll = (count: number, name: 'inc' | 'spinTimed', arg: (i: number) => number) => {
    const handles = new Array<JoinHandle<number>>(count);
    for (let i = 0; i < count; i++) handles[i] = rt.spawnJob<number>(JOBS, name, [arg(i)]);
    return rt.blockOn(joinAll(handles));
  };

  return {
    tiny: (jobs) => submitAll(jobs, 'inc', (i) => i),
    heavy: (jobs, iterations) => submitAll(jobs, 'spinTimed', () => iterations),
    forkJoin: async (n, cutoff) => await rt.spawnJob<number>(NESTED, 'fib', [n, cutoff]),
    close: async () => {
      await rt.shutdown();
    },
  };
}

poolMain({ zokio: (): PoolContender => ({ name: 'zokio', open }) });
