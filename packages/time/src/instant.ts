/**
 * {@link Instant}: a point on the monotonic clock of the runtime polling the current task — the paused test clock
 * when time is paused, `performance.now()` otherwise.
 *
 * @module
 */
import { expected } from '@zokio/future';
import { currentClock } from './service.js';

/**
 * A monotonic instant, in milliseconds on the runtime's clock. Durations are plain numbers of milliseconds.
 *
 * @example
 * ```ts
 * import { Instant } from '@zokio/time';
 * const start = Instant.now();
 * const deadline = start.add(250);
 * deadline.since(start); // 250
 * ```
 * @category Time
 */
export class Instant {
  /** Milliseconds on the runtime's monotonic clock (`performance.now()` scale). */
  readonly ms: number;

  constructor(ms: number) {
    if (typeof ms !== 'number' || Number.isNaN(ms)) expected('a number of milliseconds', ms, 'Instant');
    this.ms = ms;
  }

  /** Now, on the clock of the runtime polling the current task (the paused clock if time is paused). */
  static now(): Instant {
    return new Instant(currentClock().now());
  }

  /** This instant moved `ms` later. */
  add(ms: number): Instant {
    if (typeof ms !== 'number' || Number.isNaN(ms)) expected('a number of milliseconds', ms, 'Instant.add');
    return new Instant(this.ms + ms);
  }

  /** Milliseconds from `earlier` to this instant (0 if `earlier` is later). */
  since(earlier: Instant): number {
    if (!(earlier instanceof Instant)) expected('an Instant', earlier, 'Instant.since');
    return Math.max(0, this.ms - earlier.ms);
  }

  /** Milliseconds from this instant to now. */
  elapsed(): number {
    return Instant.now().since(this);
  }

  valueOf(): number {
    return this.ms;
  }

  toString(): string {
    return `Instant(${this.ms.toFixed(3)} ms)`;
  }
}
