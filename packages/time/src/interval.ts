/**
 * {@link interval}: ticks at a fixed period, with Tokio's {@link MissedTickBehavior} for ticks that come late.
 *
 * @module
 */
import {
  expected,
  FutureBase,
  PENDING,
  pollProceed,
  type Cleanup,
  type Context,
  type Future,
  type Poll,
} from '@zokio/future';
import { Instant } from './instant.js';
import { clockOf, currentClock } from './service.js';
import { Sleep } from './sleep.js';

/**
 * What an interval does when ticks were missed (the task was busy, or the clock jumped):
 * - `'burst'` (default): fire the missed ticks back to back until caught up, then keep the original schedule;
 * - `'delay'`: fire once now, then every period from now (the schedule shifts);
 * - `'skip'`: fire once now, then at the next tick of the original schedule (missed ones are dropped).
 * @category Time
 */
export type MissedTickBehavior = 'burst' | 'delay' | 'skip';

/** Options of {@link interval}. @category Time */
export interface IntervalOptions {
  /** @default 'burst' */
  readonly missedTickBehavior?: MissedTickBehavior;
  /** When the first tick fires. @default now */
  readonly start?: Instant;
}

/** A tick later than this (ms) counts as missed; earlier lateness is scheduling noise (Tokio uses 5 ms too). */
const MISSED_TOLERANCE_MS = 5;

/**
 * A stream of ticks: `yield* iv.tick()` waits for the next one and returns its scheduled instant.
 *
 * @example
 * ```ts
 * import { main } from '@zokio/runtime';
 * import { interval } from '@zokio/time';
 * await main(function* () {
 *   const every = interval(100, { missedTickBehavior: 'skip' });
 *   for (let i = 0; i < 3; i++) yield* every.tick(); // at 0, 100 and 200 ms
 * });
 * ```
 * @category Time
 */
export class Interval {
  readonly period: number;
  missedTickBehavior: MissedTickBehavior;
  readonly #delay: Sleep;

  /** @internal Use {@link interval}. */
  constructor(period: number, options: IntervalOptions) {
    this.period = period;
    this.missedTickBehavior = options.missedTickBehavior ?? 'burst';
    this.#delay = new Sleep((options.start ?? new Instant(currentClock().now())).ms);
  }

  /**
   * Waits for the next tick; returns when it was scheduled. The first tick completes at `start` (at once, by
   * default).
   *
   * Cancel-safe: a dropped `tick()` consumes no tick; the next call returns it.
   */
  tick(): Future<Instant> {
    return new Tick(this);
  }

  /** @internal */
  pollTick(cx: Context): Poll<Instant> {
    // One unit of coop budget per tick: the sleep's poll spends it, and a tick already due (catching up missed
    // ticks in a burst) spends it here, so a loop over overdue ticks still gives other tasks their turn.
    if (this.#delay.fired) {
      if (!pollProceed(cx)) return PENDING;
    } else if (this.#delay.poll(cx) === PENDING) return PENDING;
    const scheduled = this.#delay.deadline;
    const now = clockOf(cx).now();
    const next =
      now > scheduled.ms + MISSED_TOLERANCE_MS ? this.#nextAfterMiss(scheduled.ms, now) : scheduled.ms + this.period;
    this.#delay.reset(new Instant(next));
    return scheduled;
  }

  #nextAfterMiss(scheduled: number, now: number): number {
    switch (this.missedTickBehavior) {
      case 'burst':
        return scheduled + this.period;
      case 'delay':
        return now + this.period;
      case 'skip':
        return now + this.period - ((now - scheduled) % this.period);
    }
  }

  /** Restarts the schedule: the next tick is one period from now. */
  reset(): void {
    this.#delay.reset(new Instant(currentClock().now() + this.period));
  }

  /** @internal */
  dropTick(): void {
    this.#delay.waker = undefined;
  }
}

class Tick extends FutureBase<Instant> {
  constructor(readonly interval: Interval) {
    super();
  }
  poll(cx: Context): Poll<Instant> {
    return this.interval.pollTick(cx);
  }
  override cancel(): Cleanup {
    this.interval.dropTick();
    return undefined;
  }
}

/**
 * Ticks every `period` ms, first at `options.start` (now by default).
 *
 * @example
 * ```ts
 * import { interval } from '@zokio/time';
 * const heartbeat = interval(1000, { missedTickBehavior: 'delay' });
 * ```
 * @category Time
 */
export function interval(period: number, options: IntervalOptions = {}): Interval {
  if (typeof period !== 'number' || !(period > 0) || period === Infinity)
    expected('a period in milliseconds > 0', period, 'interval');
  if (typeof options !== 'object' || options === null) expected('options to be an object', options, 'interval');
  const behavior = options.missedTickBehavior;
  if (behavior !== undefined && behavior !== 'burst' && behavior !== 'delay' && behavior !== 'skip') {
    expected("missedTickBehavior 'burst', 'delay' or 'skip'", behavior, 'interval');
  }
  if (options.start !== undefined && !(options.start instanceof Instant)) {
    expected('start to be an Instant', options.start, 'interval');
  }
  return new Interval(period, options);
}
