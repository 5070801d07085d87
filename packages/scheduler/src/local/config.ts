/**
 * The in-isolate scheduler's tuning knobs, their defaults and where they come from, and their validation.
 *
 * @module
 */
import { describeValue } from '@zokio/future';
import type { JoinError } from '../task/join-error.js';

/**
 * Coop budget per task poll: Tokio's 128. Large enough that a busy task rarely yields early, small enough that a
 * task looping over ready futures gives others a turn within about a hundred operations.
 */
export const BUDGET = 128;

/**
 * Polls from the LIFO slot in a row before the slot's task goes to the back of the queue. Tokio: "value picked out
 * of thin air"; it bounds how long two tasks pinging each other can starve the rest.
 */
export const MAX_LIFO_POLLS_PER_TICK = 3;

/**
 * What happens to an error of a task nobody awaits (a detached task, or a handle not awaited by the end of the
 * macrotask in which the task failed): `'log'` prints it, `'shutdown'` shuts the runtime down with it, a function
 * receives it.
 * @category Scheduler
 */
export type UnhandledErrorPolicy = 'log' | 'shutdown' | ((error: JoinError) => void);

/** @category Scheduler */
export interface SchedulerOptions {
  /**
   * Task polls between yields to libuv (a `setImmediate` macrotask) so timers and sockets run. Tokio's
   * `event_interval`.
   * @default 61
   */
  readonly eventInterval?: number;
  /**
   * Every this many polls the remote queue (wakes from outside the scheduler: I/O and timer callbacks, promises)
   * is checked first, so a busy local queue cannot starve it. Tokio's `global_queue_interval`.
   * @default 31
   */
  readonly globalQueueInterval?: number;
  /**
   * @default 'log'
   */
  readonly unhandledError?: UnhandledErrorPolicy;
}

/** Options with defaults applied and validated. @internal */
export interface SchedulerConfig {
  readonly eventInterval: number;
  readonly globalQueueInterval: number;
  readonly unhandledError: UnhandledErrorPolicy;
}

export const DEFAULTS: SchedulerConfig = { eventInterval: 61, globalQueueInterval: 31, unhandledError: 'log' };

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 2 ** 30) {
    throw new TypeError(`Expected ${name} to be an integer from 1 to 2^30, got ${describeValue(value)}`);
  }
  return value;
}

/** Validates options: bad values throw a TypeError saying what was expected and what was got. */
export function schedulerConfig(options: SchedulerOptions = {}): SchedulerConfig {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected scheduler options to be an object, got ${describeValue(options)}`);
  }
  const policy = options.unhandledError ?? DEFAULTS.unhandledError;
  if (policy !== 'log' && policy !== 'shutdown' && typeof policy !== 'function') {
    throw new TypeError(`Expected unhandledError to be 'log', 'shutdown' or a function, got ${describeValue(policy)}`);
  }
  return {
    eventInterval: positiveInteger('eventInterval', options.eventInterval, DEFAULTS.eventInterval),
    globalQueueInterval: positiveInteger(
      'globalQueueInterval',
      options.globalQueueInterval,
      DEFAULTS.globalQueueInterval,
    ),
    unhandledError: policy,
  };
}
