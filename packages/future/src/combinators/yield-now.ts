/**
 * `yieldNow()`: give other tasks (and libuv) a turn.
 *
 * @module
 */
import type { Context } from '../context.js';
import { FutureBase, type Future } from '../future.js';
import { PENDING, type Poll } from '../poll.js';

class YieldNow extends FutureBase<void> {
  #yielded = false;
  poll(cx: Context): Poll<void> {
    if (this.#yielded) return;
    this.#yielded = true;
    // A task that wakes itself while running goes to the back of the run queue (not the LIFO slot).
    cx.waker.wake();
    return PENDING;
  }
}

/**
 * Returns `PENDING` once after waking its own task, so the task goes to the back of the run queue.
 *
 * Cancel-safe: holds nothing.
 *
 * @example
 * ```ts
 * import { fn, yieldNow } from '@zokio/future';
 * const spin = fn(function* (n: number) {
 *   for (let i = 0; i < n; i++) yield* yieldNow();
 * });
 * ```
 * @category Combinators
 */
export function yieldNow(): Future<void> {
  return new YieldNow();
}
