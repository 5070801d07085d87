/**
 * Cooperative scheduling budget (Tokio's `coop`).
 *
 * A task that always finds its futures ready would never return `PENDING` and would starve every other task and
 * libuv itself. So each task poll gets a budget (the scheduler sets `cx.executor.budget`, 128 by Tokio's choice);
 * every leaf operation that can be ready immediately spends one unit with {@link pollProceed}, and when the budget is
 * spent the leaf wakes its task and returns `PENDING`, sending it to the back of the run queue. Budget is per task
 * poll, shared by every future polled within it.
 *
 * @module
 */
import type { Context } from './context.js';
import { expected } from './errors.js';
import { FutureBase, isFuture, type Cleanup, type Future } from './future.js';
import { PENDING, type Poll } from './poll.js';

/**
 * Spends one unit of budget. Returns `false`, after waking the task, when the budget is spent: the caller must
 * then return `PENDING` without doing its operation.
 *
 * @example
 * ```ts
 * import { pollProceed, PENDING, type Context } from '@zokio/future';
 * function pollRecv(cx: Context, queue: number[]) {
 *   if (!pollProceed(cx)) return PENDING;
 *   return queue.shift() ?? PENDING;
 * }
 * ```
 * @category Coop
 */
export function pollProceed(cx: Context): boolean {
  const executor = (cx as Context | null | undefined)?.executor;
  if (executor === undefined) expected('a Context', cx, 'pollProceed');
  if (executor.budget > 0) {
    executor.budget--;
    return true;
  }
  executor.budgetExhausted();
  cx.waker.wake();
  return false;
}

class ConsumeBudget extends FutureBase<void> {
  poll(cx: Context): Poll<void> {
    return pollProceed(cx) ? undefined : PENDING;
  }
}

/**
 * Spends one unit of budget, yielding to the scheduler only if it is spent. Put it in long loops of work that
 * never waits, so they stay fair without yielding on every iteration.
 *
 * Cancel-safe: holds nothing.
 *
 * @example
 * ```ts
 * import { consumeBudget, fn } from '@zokio/future';
 * const sum = fn(function* (xs: number[]) {
 *   let s = 0;
 *   for (const x of xs) { yield* consumeBudget(); s += x; }
 *   return s;
 * });
 * ```
 * @category Coop
 */
export function consumeBudget(): Future<void> {
  return new ConsumeBudget();
}

class Unconstrained<T> extends FutureBase<T> {
  readonly #inner: Future<T>;
  constructor(inner: Future<T>) {
    super();
    this.#inner = inner;
  }
  poll(cx: Context): Poll<T> {
    const executor = cx.executor;
    const saved = executor.budget;
    executor.budget = Infinity;
    try {
      return this.#inner.poll(cx);
    } finally {
      executor.budget = saved;
    }
  }
  override cancel(): Cleanup {
    return this.#inner.cancel();
  }
}

/**
 * Polls `inner` with no budget: it is never forced to yield. Use sparingly; it can starve other tasks.
 *
 * Cancel-safe exactly when `inner` is.
 *
 * @example
 * ```ts
 * import { unconstrained, ready, toPromise } from '@zokio/future';
 * await toPromise(unconstrained(ready(1))); // 1
 * ```
 * @category Coop
 */
export function unconstrained<T>(inner: Future<T>): Future<T> {
  if (!isFuture(inner)) expected('a Future', inner, 'unconstrained');
  return new Unconstrained(inner);
}
