/**
 * A {@link Waker} tells an executor that a future it polled may now make progress.
 *
 * Protocol: a future that returns `PENDING` must have arranged for `cx.waker.wake()` to be called later (or have
 * woken it already). Wakers de-duplicate: waking a task that is already scheduled costs nothing and leads to one
 * poll, however many wakes arrive first. A wake may come from anywhere on the thread, at any time, even after the
 * future finished; it must never throw.
 *
 * @module
 */

/**
 * Wakes the task that polled a future.
 *
 * @example
 * ```ts
 * import type { Waker } from '@zokio/future';
 * const waker: Waker = { wake() { console.log('poll me again') } };
 * waker.wake();
 * ```
 * @category Poll
 */
export interface Waker {
  /** Schedules another poll of the task. Idempotent until the task is polled. */
  wake(): void;
}

/**
 * A waker that does nothing: for polling futures by hand in tests and examples.
 *
 * @example
 * ```ts
 * import { noopWaker } from '@zokio/future';
 * noopWaker.wake();
 * ```
 * @category Poll
 */
export const noopWaker: Waker = Object.freeze({ wake() {} });
