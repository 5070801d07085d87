/**
 * {@link Sleep}, {@link sleep} and {@link sleepUntil}.
 *
 * @module
 */
import {
  expected,
  PENDING,
  polledAfterCompletion,
  pollProceed,
  type Cleanup,
  type Context,
  type Poll,
} from '@zokio/future';
import type { TimeDriver } from './driver.js';
import { Instant } from './instant.js';
import { currentClock, timeDriverOf } from './service.js';
import { TimerEntry } from './wheel/entry.js';

/**
 * A future that completes at a deadline. It is its own timer entry: one object per sleeping task.
 *
 * Cancel-safe: dropping it unfiles the timer; nothing else is held.
 *
 * @example
 * ```ts
 * import { Runtime } from '@zokio/runtime';
 * import { sleep } from '@zokio/time';
 * const rt = Runtime.create();
 * await rt.blockOn(sleep(10));
 * ```
 * @category Time
 */
export class Sleep extends TimerEntry {
  #deadline: number;
  #driver: TimeDriver | undefined = undefined;
  #done = false;

  /** @internal Use {@link sleep} or {@link sleepUntil}. */
  constructor(deadlineMs: number) {
    super();
    this.#deadline = deadlineMs;
  }

  /** When the sleep completes. */
  get deadline(): Instant {
    return new Instant(this.#deadline);
  }

  /** True once the deadline passed and the timer fired. */
  isElapsed(): boolean {
    return this.fired;
  }

  poll(cx: Context): Poll<void> {
    if (this.#done) throw polledAfterCompletion('sleep');
    if (!pollProceed(cx)) return PENDING;
    if (!this.fired) {
      if (this.#driver === undefined) {
        if (this.#deadline === Infinity) return this.#wait(cx);
        this.#driver = timeDriverOf(cx);
        if (this.#driver.register(this, this.#deadline)) this.fired = true;
      }
      if (!this.fired) return this.#wait(cx);
    }
    this.#done = true;
    return undefined;
  }

  #wait(cx: Context): Poll<void> {
    this.waker = cx.waker;
    return PENDING;
  }

  /**
   * Moves the deadline (Tokio's `Sleep::reset`), even after the sleep elapsed: it is then pending again. A later
   * deadline costs nothing now: the timer is re-filed lazily when the old deadline comes.
   */
  reset(deadline: Instant): void {
    if (!(deadline instanceof Instant)) expected('an Instant', deadline, 'Sleep.reset');
    this.#deadline = deadline.ms;
    this.#done = false;
    if (this.#driver === undefined) {
      // Never filed (not polled yet, or waiting on an infinite deadline): a task waiting on it is woken, so that its
      // next poll files the new deadline with the driver of the runtime polling it.
      this.fired = false;
      const waker = this.waker;
      this.waker = undefined;
      waker?.wake();
      return;
    }
    if (this.fired) {
      this.fired = false;
      if (this.#deadline !== Infinity && this.#driver.register(this, this.#deadline)) this.fired = true;
      return;
    }
    if (this.#deadline === Infinity) this.#driver.cancel(this);
    else if (this.#driver.reset(this, this.#deadline)) this.fired = true;
    if (this.fired) this.waker?.wake();
  }

  override cancel(): Cleanup {
    this.#done = true;
    this.waker = undefined;
    this.#driver?.cancel(this);
    return undefined;
  }
}

function duration(ms: unknown, where: string): number {
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) expected('a duration in milliseconds ≥ 0', ms, where);
  return ms;
}

/**
 * Completes after `ms` milliseconds (rounded up to the next millisecond; never early). The deadline is fixed when
 * `sleep` is called, on the clock of the runtime running the caller.
 *
 * Cancel-safe: dropping it unfiles the timer.
 *
 * @example
 * ```ts
 * import { main } from '@zokio/runtime';
 * import { sleep } from '@zokio/time';
 * await main(function* () {
 *   yield* sleep(100);
 * });
 * ```
 * @category Time
 */
export function sleep(ms: number): Sleep {
  return new Sleep(currentClock().now() + duration(ms, 'sleep'));
}

/**
 * Completes at `deadline`, or at once if it has passed.
 *
 * Cancel-safe: dropping it unfiles the timer.
 *
 * @example
 * ```ts
 * import { Instant, sleepUntil } from '@zokio/time';
 * const wake = sleepUntil(Instant.now().add(50));
 * ```
 * @category Time
 */
export function sleepUntil(deadline: Instant): Sleep {
  if (!(deadline instanceof Instant)) expected('an Instant', deadline, 'sleepUntil');
  return new Sleep(deadline.ms);
}
