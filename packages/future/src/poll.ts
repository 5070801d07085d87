/**
 * The result of polling a future: its value, or {@link PENDING}.
 *
 * `PENDING` is one shared, frozen sentinel, so a poll that is not ready allocates nothing. Values are returned
 * unwrapped; errors are thrown from `poll` and fail whoever polls.
 *
 * @module
 */

/**
 * Returned by {@link Future.poll} when the future is not ready. The future has arranged for `cx.waker.wake()` to be
 * called when polling again may make progress.
 *
 * @example
 * ```ts
 * import { PENDING, isPending } from '@zokio/future';
 * isPending(PENDING); // true
 * ```
 * @category Poll
 */
export const PENDING: unique symbol = Symbol.for('zokio.pending');

/** The type of {@link PENDING}. @category Poll */
export type Pending = typeof PENDING;

/** What `poll` returns: the value, or {@link PENDING}. @category Poll */
export type Poll<T> = T | Pending;

/**
 * Narrows a poll result to not-ready.
 *
 * @example
 * ```ts
 * import { isPending, ready, Context, noopWaker } from '@zokio/future';
 * isPending(ready(1).poll(Context.detached(noopWaker))); // false
 * ```
 * @category Poll
 */
export function isPending<T>(poll: Poll<T>): poll is Pending {
  return poll === PENDING;
}
