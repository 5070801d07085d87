/**
 * {@link spawnJob}: run a function of a module on the worker pool, from inside a task — on the main thread of a
 * `multi_thread` runtime, or inside a job on a worker (the job goes to that worker's own deque: fork-join needs no
 * trip through the main thread).
 *
 * @module
 */
import { pending, serviceKey, ZokioError, type ServiceKey } from '@zokio/future';
import { currentScheduler } from '../local/current.js';
import type { JoinHandle } from '../task/join-handle.js';
import type { BlockingOptions, BlockingPool } from './blocking-pool.js';
import type { JobClient, SpawnJobOptions } from './job-client.js';

/** The thread's job client, a service of its scheduler (the runtime's on the main thread, the worker's on a worker). */
export const JOB_SPAWNER: ServiceKey<JobClient> = serviceKey<JobClient>('zokio.pool.jobs');

/** The runtime's blocking pool, a service of the main thread's scheduler. */
export const BLOCKING_SPAWNER: ServiceKey<BlockingPool> = serviceKey<BlockingPool>('zokio.pool.blocking');

/**
 * Runs export `exportName` of `module` with `args` (structured-clone copies, or moved with `options.transfer`) on
 * a pool worker, and returns the job's `JoinHandle`. The export may return a value, a Promise or a zokio future;
 * the handle gives its value or throws its error (a copy: the same name, message, stack and own fields such as
 * `code`).
 *
 * Call it inside a task of a `multi_thread` runtime, or inside a job. Spawning is eager, as `spawn`: the job is
 * queued at the call.
 *
 * Cancel-safety: `handle.abort()` (or `rt.shutdown()`) removes a queued job, and cancels a running one at its next
 * await on its worker — the thread is never killed; the aborted handle resolves once the job stopped.
 *
 * @example
 * ```ts
 * // jobs.ts, loaded by the workers; main runs it with rt.spawnJob(new URL('./jobs.js', import.meta.url), 'fib', [30])
 * import { fn } from '@zokio/future';
 * import { spawnJob } from '@zokio/scheduler';
 * const fibSequential = (n: number): number => (n < 2 ? n : fibSequential(n - 1) + fibSequential(n - 2));
 * export const fib = fn(function* (n: number) {
 *   if (n < 20) return fibSequential(n);
 *   const a = spawnJob<number>(new URL(import.meta.url), 'fib', [n - 1]); // onto this worker's own deque
 *   const b = spawnJob<number>(new URL(import.meta.url), 'fib', [n - 2]);
 *   return (yield* a) + (yield* b);
 * });
 * ```
 * @category Multi-core
 */
export function spawnJob<T>(
  module: string | URL,
  exportName: string,
  args?: readonly unknown[],
  options?: SpawnJobOptions,
): JoinHandle<T> {
  const scheduler = currentScheduler('spawnJob');
  const client = scheduler.service(JOB_SPAWNER);
  if (client === undefined)
    throw new ZokioError(
      'ERR_ZOKIO_NO_POOL',
      "spawnJob: Expected a task of a 'multi_thread' runtime or of a pool job, got a task on a scheduler with no worker pool",
    );
  const spawnOptions = options?.name === undefined ? undefined : { name: options.name };
  // A closed scheduler (shutting down) runs no new task: the job is not handed to the pool, which would start it.
  if (scheduler.closed) return scheduler.spawn(pending(), spawnOptions);
  const future = client.spawn<T>(module, exportName, args, options);
  return scheduler.spawn(future, spawnOptions);
}

/**
 * Runs synchronous export `exportName` of `module` with `args` on the runtime's blocking pool (threads of their
 * own, started on demand up to `maxBlockingThreads`), so CPU-bound or blocking code never stalls the scheduler.
 * Call it inside a task on the main thread.
 *
 * Cancel-safety: aborting the handle removes a queued call; a running call cannot be stopped (it is synchronous
 * code, as with Tokio's `spawn_blocking`): it finishes and its result is dropped.
 *
 * @example
 * ```ts
 * import { fn } from '@zokio/future';
 * import { spawnBlocking } from '@zokio/scheduler';
 * const hash = fn(function* (path: string) {
 *   return yield* spawnBlocking<string>(new URL('./hash.js', import.meta.url), 'sha256File', [path]);
 * });
 * ```
 * @category Multi-core
 */
export function spawnBlocking<T>(
  module: string | URL,
  exportName: string,
  args?: readonly unknown[],
  options?: BlockingOptions,
): JoinHandle<T> {
  const scheduler = currentScheduler('spawnBlocking');
  const pool = scheduler.service(BLOCKING_SPAWNER);
  if (pool === undefined)
    throw new ZokioError(
      'ERR_ZOKIO_NO_POOL',
      'spawnBlocking: Expected a task on the main thread of a zokio runtime, got a task on a scheduler with no blocking pool',
    );
  // A closed scheduler (shutting down) runs no new task: the call is not handed to the pool, which would post it.
  if (scheduler.closed) return scheduler.spawn(pending());
  return scheduler.spawn(pool.run<T>(module, exportName, args, options));
}
