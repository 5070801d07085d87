/**
 * # @zokio/scheduler
 *
 * Tasks and the in-isolate scheduler.
 *
 * - {@link spawn}, {@link JoinHandle}, {@link AbortHandle}, {@link JoinSet}, {@link JoinError}, {@link TaskLocal}.
 * - {@link LocalScheduler}: the run queue (ring buffers), LIFO slot, coop budget, `eventInterval` yields to libuv and
 *   the remote queue checked every `globalQueueInterval` polls. See `local/scheduler.ts` for the protocol.
 * - `consumeBudget` and `unconstrained` (re-exported from `@zokio/future`, where leaf futures reach them).
 *
 * Most programs use these through `@zokio/runtime`, which builds the scheduler from config.
 *
 * @example
 * ```ts
 * import { LocalScheduler } from '@zokio/scheduler';
 * import { fn, yieldNow } from '@zokio/future';
 * const scheduler = new LocalScheduler({ eventInterval: 61 });
 * const handle = scheduler.spawn(fn(function* () {
 *   yield* yieldNow();
 *   return 'done';
 * })());
 * await handle; // 'done'
 * ```
 *
 * @packageDocumentation
 */
export { LocalScheduler, type SpawnOptions, type TaskDump } from './local/scheduler.js';
export {
  POLL_TIME_BUCKETS_US,
  type TaskHooks,
  type TaskInfo,
  type SlowPoll,
  type PollTimeHistogram,
} from './local/observer.js';
export {
  BUDGET,
  MAX_LIFO_POLLS_PER_TICK,
  type SchedulerOptions,
  type SchedulerConfig,
  type UnhandledErrorPolicy,
} from './local/config.js';
export type { SchedulerMetrics } from './local/metrics.js';
export { currentScheduler, tryCurrentScheduler } from './local/current.js';
export { spawn } from './task/spawn.js';
export { JoinHandle, AbortHandle } from './task/join-handle.js';
export { JoinError } from './task/join-error.js';
export { JoinSet, type JoinResult } from './task/join-set.js';
export { TaskLocal } from './task/local.js';
export type { TaskStatus } from './task/state.js';
export { RingQueue } from './queue/ring.js';
export { consumeBudget, unconstrained } from '@zokio/future';
export {
  BlockingPool,
  runBlockingWorker,
  type BlockingPoolOptions,
  type BlockingPoolMetrics,
  type BlockingOptions,
} from './pool/blocking-pool.js';
export {
  WorkerPool,
  type WorkerPoolOptions,
  type WorkerMetrics,
  type PoolMetrics,
  type PoolCloseReport,
} from './pool/pool.js';
export { spawnJob, spawnBlocking, JOB_SPAWNER, BLOCKING_SPAWNER } from './pool/spawn-job.js';
export { JobFuture, type JobClient, type SpawnJobOptions } from './pool/job-client.js';
export { runPoolWorker, type WorkerSetup } from './pool/worker.js';
