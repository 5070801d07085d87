/**
 * The test clock: {@link pause}, {@link resume} and {@link advance}, for the runtime running the current task.
 * Start a runtime paused with `Runtime.create({ startPaused: true })`; while paused, time moves only by `advance`,
 * or by itself to the next timer whenever every task is waiting (auto-advance), so tests of time are instant and
 * deterministic.
 *
 * @module
 */
import { FutureBase, PENDING, ZokioError, type Context, type Future, type Poll } from '@zokio/future';
import type { TimeDriver } from './driver.js';
import { currentDriver, timeDriverOf } from './service.js';

function driver(what: string): TimeDriver {
  const d = currentDriver();
  if (d === undefined) {
    throw new ZokioError(
      'ERR_ZOKIO_TIME_DISABLED',
      `Expected ${what} to be called in a task on a runtime with time enabled, got a call outside one`,
    );
  }
  return d;
}

/**
 * Pauses the clock of the current task's runtime. Pausing a paused clock does nothing.
 *
 * @example
 * ```ts
 * import { main } from '@zokio/runtime';
 * import { pause, sleep } from '@zokio/time';
 * await main(function* () {
 *   pause();
 *   yield* sleep(60_000); // returns at once: the paused clock auto-advances when all tasks wait
 * });
 * ```
 * @category Test clock
 */
export function pause(): void {
  driver('pause()').pause();
}

/**
 * Lets the clock of the current task's runtime run again. Resuming a running clock does nothing.
 * @category Test clock
 */
export function resume(): void {
  driver('resume()').resume();
}

/** True if the clock of the current task's runtime is paused. @category Test clock */
export function isPaused(): boolean {
  return currentDriver()?.clock.paused ?? false;
}

class Advance extends FutureBase<void> {
  #target: number | undefined = undefined;
  constructor(readonly ms: number) {
    super();
  }
  poll(cx: Context): Poll<void> {
    const driver = timeDriverOf(cx);
    if (!driver.clock.paused) {
      throw new ZokioError(
        'ERR_ZOKIO_CLOCK_RUNNING',
        'Expected a paused clock for advance(), got a running one (call pause() first)',
      );
    }
    this.#target ??= driver.clock.now() + this.ms;
    // Step timer by timer, yielding after each so the tasks it woke run before time moves on.
    if (driver.stepTowards(this.#target)) {
      cx.waker.wake();
      return PENDING;
    }
    return undefined;
  }
}

/**
 * Moves the paused clock `ms` forward, firing timers in deadline order and letting the tasks they wake run before
 * time moves past the next one.
 *
 * Cancel-safe: a dropped `advance` leaves the clock where it got to.
 *
 * @example
 * ```ts
 * import { Runtime } from '@zokio/runtime';
 * import { advance, Instant } from '@zokio/time';
 * import { fn } from '@zokio/future';
 * const rt = Runtime.create({ startPaused: true });
 * await rt.blockOn(fn(function* () {
 *   const t0 = Instant.now();
 *   yield* advance(1000);
 *   return Instant.now().since(t0); // 1000
 * })());
 * ```
 * @category Test clock
 */
export function advance(ms: number): Future<void> {
  if (typeof ms !== 'number' || !(ms >= 0) || ms === Infinity) {
    throw new TypeError(`advance: Expected a duration in milliseconds ≥ 0, got ${String(ms)}`);
  }
  return new Advance(ms);
}
