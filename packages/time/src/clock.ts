/**
 * {@link Clock}: where the time driver reads the time. Real (`performance.now()`), or paused for tests.
 *
 * A paused clock stands still until `advance(ms)` moves it, or until the runtime is idle and the driver
 * auto-advances it to the next timer (Tokio's `start_paused`): tests of time run instantly and deterministically.
 *
 * @module
 */

/** @category Time */
export class Clock {
  #paused: boolean;
  /** While paused: the frozen time. */
  #frozenAt: number;
  /** Real time minus clock time: grows by how long the clock was paused, so time never jumps back on resume. */
  #offset = 0;

  constructor(paused = false) {
    this.#paused = paused;
    // A paused clock stands on a whole millisecond (rounded up: time never goes back), so whole-ms durations land on
    // whole-ms ticks and tests see exact numbers.
    this.#frozenAt = Math.ceil(performance.now());
  }

  /** Milliseconds, monotonic, on the `performance.now()` scale. */
  now(): number {
    return this.#paused ? this.#frozenAt : performance.now() - this.#offset;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Freezes the clock at the current time. */
  pause(): void {
    if (this.#paused) return;
    this.#frozenAt = Math.ceil(this.now());
    this.#paused = true;
  }

  /** Lets the clock run again from where it stands. */
  resume(): void {
    if (!this.#paused) return;
    this.#offset = performance.now() - this.#frozenAt;
    this.#paused = false;
  }

  /** Moves a paused clock `ms` forward. */
  advanceTo(ms: number): void {
    if (!this.#paused) throw new Error('Clock.advanceTo needs a paused clock');
    if (ms > this.#frozenAt) this.#frozenAt = ms;
  }
}

/** The real clock, for code outside any runtime with time enabled. */
export const REAL_CLOCK = new Clock(false);
