/**
 * # @zokio/time
 *
 * Timers for zokio: {@link sleep}, {@link sleepUntil}, {@link interval}, {@link timeout}, {@link timeoutAt},
 * {@link Instant}, and a paused test clock ({@link pause}, {@link resume}, {@link advance}, `startPaused`).
 *
 * Every timer of a runtime lives in one hierarchical timer wheel (6 levels × 64 slots, 1 ms resolution) driven by a
 * single Node timer, armed for the next expiration and cleared when nothing waits: a hundred thousand sleeping tasks
 * cost one libuv timer. See `wheel/wheel.ts` and `driver.ts` for the design.
 *
 * @example
 * ```ts
 * import { main } from '@zokio/runtime';
 * import { interval, sleep, timeout } from '@zokio/time';
 * await main(function* () {
 *   yield* sleep(10);
 *   const ticks = interval(5);
 *   for (let i = 0; i < 3; i++) yield* ticks.tick();
 *   yield* timeout(100, sleep(1)); // finishes in time
 * });
 * ```
 *
 * @packageDocumentation
 */
export { Instant } from './instant.js';
export { Sleep, sleep, sleepUntil } from './sleep.js';
export { Interval, interval, type IntervalOptions, type MissedTickBehavior } from './interval.js';
export { timeout, timeoutAt } from './timeout.js';
export { TimeoutError } from './errors.js';
export { advance, isPaused, pause, resume } from './test-clock.js';
export { TimeDriver, type TimeDriverOptions, type TimeMetrics } from './driver.js';
export { Clock } from './clock.js';
export { TIME } from './service.js';
