/**
 * {@link MAX_TIMER_MS}: the longest delay a Node timer honours, for every layer that arms one (the timer wheel's
 * Node timer, shutdown deadlines, pool close and keep-alive timeouts, the `js` backend's timeouts).
 *
 * @module
 */

/**
 * The longest delay Node's `setTimeout` honours: 2^31 − 1 ms (about 24.8 days). A longer one fires after 1 ms, with
 * a `TimeoutOverflowWarning`; cap a delay with it (re-arming when it passes), or take a longer one as no deadline.
 *
 * @example
 * ```ts
 * import { MAX_TIMER_MS } from '@zokio/future';
 * const ms = 2 ** 32; // 49.7 days
 * const timer = setTimeout(() => console.log('a first step'), Math.min(ms, MAX_TIMER_MS));
 * clearTimeout(timer);
 * ```
 * @category Interop
 */
export const MAX_TIMER_MS = 0x7fffffff;
