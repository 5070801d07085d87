/**
 * What a scheduler can be asked to watch: task hooks (Tokio's `on_task_spawn`, `on_task_terminate`,
 * `on_before_task_poll`, `on_after_task_poll`), a poll-time histogram, and a slow-poll detector that names the
 * task and what it awaits.
 *
 * ## Cost
 * None unless asked for: a scheduler with no hooks and no timing has no `PollObserver`, and its poll path tests
 * one field. Timing a poll costs two `performance.now()` calls, so it is on only when the histogram or the slow-poll
 * detector is. A hook that throws is reported on stderr and never disturbs scheduling.
 *
 * @module
 */
import { describeValue, type Future } from '@zokio/future';

/** What hooks and reports see of a task. @category Scheduler */
export interface TaskInfo {
  /** Unique within the process, in spawn order. */
  readonly id: number;
  /** The name given at spawn, if any. */
  readonly name: string | undefined;
}

/** Callbacks around a task's life, for tracing and metrics (Tokio's task hooks). @category Scheduler */
export interface TaskHooks {
  /** A task was spawned (before its first poll). */
  readonly onTaskSpawn?: (task: TaskInfo) => void;
  /** A task finished: with a value, an error, or cancelled. */
  readonly onTaskTerminate?: (task: TaskInfo) => void;
  /** A task is about to be polled. */
  readonly onBeforePoll?: (task: TaskInfo) => void;
  /** A task was just polled. */
  readonly onAfterPoll?: (task: TaskInfo) => void;
}

/** A poll that took longer than `slowPollThresholdUs`. @category Scheduler */
export interface SlowPoll {
  readonly task: TaskInfo;
  /** The generator function the task runs, if it is one (`fn(function* name() …)`). */
  readonly fn: string;
  readonly durationUs: number;
  /** What the task waits on after the poll (the innermost future's class), or `'nothing (it finished)'`. */
  readonly awaiting: string;
}

/** Upper bounds (µs) of the poll-time histogram's buckets; the last bucket is everything above. */
export const POLL_TIME_BUCKETS_US: readonly number[] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384];

/** Poll durations counted in {@link POLL_TIME_BUCKETS_US} buckets. @category Scheduler */
export interface PollTimeHistogram {
  /** Each bucket's upper bound in µs; the last count is for polls longer than the last bound. */
  readonly bucketsUs: readonly number[];
  /** `counts[i]`: polls of at most `bucketsUs[i]` µs (and more than the bound before); one more count at the end. */
  readonly counts: readonly number[];
  /** The total time of the polls counted, in µs. */
  readonly sumUs: number;
}

/** The observer's settings, validated. @internal */
export interface ObserverOptions {
  readonly hooks: TaskHooks;
  /** Report polls longer than this many µs; undefined: no detector. */
  readonly slowPollThresholdUs: number | undefined;
  readonly onSlowPoll: (poll: SlowPoll) => void;
  readonly histogram: boolean;
}

/** Watches polls for one scheduler. @internal */
export class PollObserver {
  readonly hooks: TaskHooks;
  /** Whether polls are timed (histogram or detector). */
  readonly timing: boolean;
  readonly #threshold: number;
  readonly #onSlowPoll: (poll: SlowPoll) => void;
  readonly #counts: number[] | undefined;
  #sumUs = 0;
  slowPolls = 0;

  constructor(options: ObserverOptions) {
    this.hooks = options.hooks;
    this.#threshold = options.slowPollThresholdUs ?? Infinity;
    this.#onSlowPoll = options.onSlowPoll;
    this.#counts = options.histogram ? new Array<number>(POLL_TIME_BUCKETS_US.length + 1).fill(0) : undefined;
    this.timing = options.histogram || options.slowPollThresholdUs !== undefined;
  }

  /** Calls `hook` with `task`, reporting (never throwing) what it throws. */
  call(hook: ((task: TaskInfo) => void) | undefined, task: TaskInfo, which: string): void {
    if (hook === undefined) return;
    try {
      hook(task);
    } catch (error) {
      console.error(`[zokio] the ${which} hook threw (ignored):`, error);
    }
  }

  /** Records a poll of `durationMs`; `future` is what the task holds after it (for the slow-poll report). */
  record(task: TaskInfo, durationMs: number, future: unknown): void {
    const us = durationMs * 1000;
    const counts = this.#counts;
    if (counts !== undefined) {
      let i = 0;
      while (i < POLL_TIME_BUCKETS_US.length && us > POLL_TIME_BUCKETS_US[i]!) i++;
      counts[i]!++;
      this.#sumUs += us;
    }
    if (us > this.#threshold) {
      this.slowPolls++;
      const report: SlowPoll = {
        task: { id: task.id, name: task.name },
        fn: generatorName(future),
        durationUs: Math.round(us),
        awaiting: describeAwaiting(future),
      };
      try {
        this.#onSlowPoll(report);
      } catch (error) {
        console.error('[zokio] the onSlowPoll handler threw (ignored):', error);
      }
    }
  }

  histogram(): PollTimeHistogram | undefined {
    const counts = this.#counts;
    return counts === undefined
      ? undefined
      : { bucketsUs: POLL_TIME_BUCKETS_US, counts: counts.slice(), sumUs: this.#sumUs };
  }
}

/** The default slow-poll report: one line on stderr. */
export function warnSlowPoll(poll: SlowPoll): void {
  const who = `task ${poll.task.id}${poll.task.name === undefined ? '' : ` (${poll.task.name})`}`;
  const fn = poll.fn === '' ? '' : ` in ${poll.fn}`;
  console.warn(
    `[zokio] slow poll: ${who}${fn} ran ${poll.durationUs} µs without yielding; it now awaits ${poll.awaiting}`,
  );
}

interface Inspectable {
  readonly awaiting?: Future<unknown> | undefined;
  readonly name?: unknown;
}

/** The generator function's name, if `future` is a generator future. */
export function generatorName(future: unknown): string {
  const name = (future as Inspectable | null)?.name;
  return typeof name === 'string' ? name : '';
}

/** The innermost future `future` waits on, by class (and generator name, where it is a generator future). */
export function describeAwaiting(future: unknown): string {
  if (future === null || typeof future !== 'object' || typeof (future as Future<unknown>).poll !== 'function')
    return 'nothing (it finished)';
  let leaf = future as Inspectable;
  const path: string[] = [];
  for (let depth = 0; depth < 64; depth++) {
    const next = leaf.awaiting;
    if (next === undefined) break;
    const name = generatorName(leaf);
    if (name !== '') path.push(name);
    leaf = next as Inspectable;
  }
  const leafName = (leaf as object).constructor?.name ?? describeValue(leaf);
  return path.length === 0 ? leafName : `${leafName} (via ${path.join(' → ')})`;
}
