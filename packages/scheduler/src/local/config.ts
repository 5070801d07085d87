/**
 * The in-isolate scheduler's tuning knobs, their defaults and where they come from, and their validation.
 *
 * @module
 */
import { describeValue } from '@zokio/future';
import type { JoinError } from '../task/join-error.js';
import { warnSlowPoll, type ObserverOptions, type SlowPoll, type TaskHooks } from './observer.js';

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
  /** Callbacks on spawn, termination and around each poll (tracing, metrics). Off by default: no cost. */
  readonly hooks?: TaskHooks;
  /**
   * Report every poll longer than this many µs — a task that computes or blocks without yielding stalls every
   * other task. Times each poll (two `performance.now()` calls) while set. Off by default.
   */
  readonly slowPollThresholdUs?: number;
  /** Where slow polls go. @default a warning on stderr naming the task and what it awaits */
  readonly onSlowPoll?: (poll: SlowPoll) => void;
  /** Count poll durations in a histogram (`metrics().pollTimeHistogram`). Times each poll while on. @default false */
  readonly pollTimeHistogram?: boolean;
}

/** Options with defaults applied and validated. @internal */
export interface SchedulerConfig {
  readonly eventInterval: number;
  readonly globalQueueInterval: number;
  readonly unhandledError: UnhandledErrorPolicy;
  /** Undefined when nothing is observed (the poll path then tests one field). */
  readonly observer: ObserverOptions | undefined;
}

export const DEFAULTS: SchedulerConfig = {
  eventInterval: 61,
  globalQueueInterval: 31,
  unhandledError: 'log',
  observer: undefined,
};

const HOOKS = ['onTaskSpawn', 'onTaskTerminate', 'onBeforePoll', 'onAfterPoll'] as const;

function observerOptions(options: SchedulerOptions): ObserverOptions | undefined {
  const { hooks, slowPollThresholdUs, onSlowPoll, pollTimeHistogram } = options;
  if (hooks !== undefined) {
    if (typeof hooks !== 'object' || hooks === null)
      throw new TypeError(`Expected hooks to be an object of functions, got ${describeValue(hooks)}`);
    for (const name of HOOKS) {
      const hook = hooks[name];
      if (hook !== undefined && typeof hook !== 'function')
        throw new TypeError(`Expected hooks.${name} to be a function, got ${describeValue(hook)}`);
    }
  }
  if (
    slowPollThresholdUs !== undefined &&
    (typeof slowPollThresholdUs !== 'number' || !(slowPollThresholdUs >= 0) || slowPollThresholdUs === Infinity)
  )
    throw new TypeError(
      `Expected slowPollThresholdUs to be a finite number of µs ≥ 0, got ${describeValue(slowPollThresholdUs)}`,
    );
  if (onSlowPoll !== undefined && typeof onSlowPoll !== 'function')
    throw new TypeError(`Expected onSlowPoll to be a function, got ${describeValue(onSlowPoll)}`);
  if (pollTimeHistogram !== undefined && typeof pollTimeHistogram !== 'boolean')
    throw new TypeError(`Expected pollTimeHistogram to be true or false, got ${describeValue(pollTimeHistogram)}`);
  const hooked = hooks !== undefined && HOOKS.some((name) => hooks[name] !== undefined);
  if (!hooked && slowPollThresholdUs === undefined && pollTimeHistogram !== true) return undefined;
  return {
    hooks: hooks ?? {},
    slowPollThresholdUs,
    onSlowPoll: onSlowPoll ?? warnSlowPoll,
    histogram: pollTimeHistogram === true,
  };
}

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
    observer: observerOptions(options),
  };
}
