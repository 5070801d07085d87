/**
 * Counters the scheduler keeps as it runs: plain numbers bumped on the hot path, read by `snapshot()`.
 *
 * @module
 */
import type { PollTimeHistogram } from './observer.js';

/** A point-in-time copy of a scheduler's counters. @category Scheduler */
export interface SchedulerMetrics {
  /** Tasks spawned since start. */
  readonly spawned: number;
  /** Tasks finished (with a value, an error or cancelled). */
  readonly completed: number;
  /** Tasks alive now: spawned and not finished. */
  readonly alive: number;
  /** Task polls. */
  readonly polls: number;
  /** Polls of a task taken from the LIFO slot. */
  readonly lifoPolls: number;
  /** Polls of a task taken from the remote (inject) queue. */
  readonly remotePolls: number;
  /** Times a leaf future yielded because its task's coop budget was spent. */
  readonly budgetForcedYields: number;
  /** Scheduler ticks started from a microtask. */
  readonly microtaskTicks: number;
  /** Scheduler ticks started from a macrotask (`setImmediate`), i.e. yields to libuv. */
  readonly macrotaskTicks: number;
  /** Tasks waiting in the local run queue now. */
  readonly localQueueDepth: number;
  /** Tasks waiting in the remote (inject) queue now. */
  readonly remoteQueueDepth: number;
  /** Milliseconds spent polling tasks. */
  readonly busyTimeMs: number;
  /** Polls longer than `slowPollThresholdUs` (0 when the detector is off). */
  readonly slowPolls: number;
  /** Poll durations, when `pollTimeHistogram` is on. */
  readonly pollTimeHistogram: PollTimeHistogram | undefined;
}

/** @internal */
export class Counters {
  spawned = 0;
  completed = 0;
  polls = 0;
  lifoPolls = 0;
  remotePolls = 0;
  budgetForcedYields = 0;
  microtaskTicks = 0;
  macrotaskTicks = 0;
  busyTimeMs = 0;
}
