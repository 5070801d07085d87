/**
 * How timers find their driver: the `TIME` service of the executor polling them (never a process-wide singleton, so
 * two runtimes keep two clocks), and, for code in a task body (`Instant.now()`), the scheduler running it.
 *
 * @module
 */
import { serviceKey, ZokioError, type Context } from '@zokio/future';
import { tryCurrentScheduler } from '@zokio/scheduler';
import { REAL_CLOCK, type Clock } from './clock.js';
import type { TimeDriver } from './driver.js';

/** The service key under which a runtime with time enabled provides its {@link TimeDriver}. @category Time */
export const TIME = serviceKey<TimeDriver>('zokio.time');

/** The driver of the executor polling with `cx`; throws `ERR_ZOKIO_TIME_DISABLED` if it has none. @internal */
export function timeDriverOf(cx: Context): TimeDriver {
  const driver = cx.executor.service(TIME);
  if (driver === undefined) {
    throw new ZokioError(
      'ERR_ZOKIO_TIME_DISABLED',
      'Expected a runtime with time enabled (Runtime.create({ enableTime: true })), got a timer polled by an executor without a time driver',
    );
  }
  return driver;
}

/** The clock of the executor polling with `cx`, or the real clock. @internal */
export function clockOf(cx: Context): Clock {
  return cx.executor.service(TIME)?.clock ?? REAL_CLOCK;
}

/** The time driver of the scheduler running the current task, if any. @internal */
export function currentDriver(): TimeDriver | undefined {
  return tryCurrentScheduler()?.service(TIME);
}

/** The clock of the current task's runtime, or the real clock outside one. @internal */
export function currentClock(): Clock {
  return currentDriver()?.clock ?? REAL_CLOCK;
}
