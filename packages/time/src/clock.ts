/**
 * {@link Clock}: where the time driver reads the time. Real (`performance.now()`), or paused for tests.
 *
 * A paused clock stands still until `advance(ms)` moves it, or until the runtime is idle and the driver
 * auto-advances it to the next timer (Tokio's `start_paused`): tests of time run instantly and deterministically.
 *
 * ## The millisecond grid
 * A real clock is `performance.now()` shifted by less than a millisecond so that its whole milliseconds fall where
 * libuv's loop time (whole milliseconds of `CLOCK_MONOTONIC`) ticks. Node runs a `setTimeout` when loop time
 * reaches its due time; the timer wheel's ticks are this clock's whole milliseconds, so a Node timer armed for a
 * tick fires at the tick, not up to 1 ms before it (to find nothing due and wait another millisecond). Resuming a
 * paused clock keeps the grid, moving the clock forward by less than a millisecond, never back.
 *
 * @module
 */
import { expected, ZokioError } from '@zokio/future';

/**
 * The fraction of a millisecond by which libuv's whole milliseconds trail `performance.now()`'s. Both read
 * `CLOCK_MONOTONIC` (libuv's loop time is its whole milliseconds), so the phase is one fact of the process: it is
 * measured once, from the pair of reads that were closest together of a few tries (a preemption between two reads
 * would skew one try by its length). What error is left starts the clock's milliseconds that much before libuv's:
 * a timer is never early for it.
 */
function loopGridPhase(): number {
  let best = Infinity;
  let phase = 0;
  for (let i = 0; i < 5; i++) {
    const before = performance.now();
    const intoMillisecond = Number(process.hrtime.bigint() % 1_000_000n) / 1e6;
    const gap = performance.now() - before;
    if (gap >= best) continue;
    best = gap;
    phase = (before - intoMillisecond) % 1;
  }
  return phase < 0 ? phase + 1 : phase;
}

/** Where libuv's milliseconds start, as a fraction of a `performance.now()` millisecond, 0 – 1. */
const LOOP_GRID_PHASE = loopGridPhase();

/** @category Time */
export class Clock {
  #paused: boolean;
  /** While paused: the frozen time. */
  #frozenAt: number;
  /** Real time minus clock time: the grid's phase, plus whole milliseconds the clock spent paused. */
  #offset = LOOP_GRID_PHASE;

  constructor(paused = false) {
    this.#paused = paused;
    // A paused clock stands on a whole millisecond (rounded up: time never goes back), so whole-ms durations land on
    // whole-ms ticks and tests see exact numbers.
    this.#frozenAt = Math.ceil(performance.now() - this.#offset);
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
    this.#frozenAt = Math.ceil(performance.now() - this.#offset);
    this.#paused = true;
  }

  /** Lets the clock run again from where it stands. */
  resume(): void {
    if (!this.#paused) return;
    // Keep the grid: round the offset down to the phase, so the clock resumes at most 1 ms ahead, never behind.
    const phase = LOOP_GRID_PHASE;
    this.#offset = phase + Math.floor(performance.now() - this.#frozenAt - phase);
    this.#paused = false;
  }

  /** Moves a paused clock `ms` forward. */
  advanceTo(ms: number): void {
    if (typeof ms !== 'number' || Number.isNaN(ms)) expected('a number of milliseconds', ms, 'Clock.advanceTo');
    if (!this.#paused) {
      throw new ZokioError('ERR_ZOKIO_CLOCK_RUNNING', 'Clock.advanceTo: Expected a paused clock, got a running one');
    }
    if (ms > this.#frozenAt) this.#frozenAt = ms;
  }
}

/** The real clock, for code outside any runtime with time enabled. */
export const REAL_CLOCK = new Clock(false);
