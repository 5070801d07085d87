/**
 * The {@link Future} contract, and {@link FutureBase}, the class most futures extend.
 *
 * ## Protocol
 * - **Lazy.** Nothing happens until the first `poll`.
 * - **Poll.** `poll(cx)` returns the value, returns `PENDING` after arranging a wake-up, or throws. Once it has
 *   returned a value or thrown, the future is finished and must not be polled again.
 * - **Cancel = drop.** `cancel()` runs synchronously: it cancels the inner future it awaits (innermost first),
 *   releases what it holds and runs synchronous clean-up (a generator's `finally` blocks). It may throw what that
 *   clean-up throws. If clean-up must wait (a `yield*` inside `finally`), `cancel()` returns a `Future<void>` that
 *   finishes it; the caller drives that future to completion, or drops it in turn with {@link drop}, which abandons
 *   the asynchronous steps but still runs every remaining `finally` block. `cancel()` on a finished or already
 *   cancelled future does nothing and returns `undefined`.
 * - **`yield*`.** Every future is iterable so generator async functions can write `const v = yield* f`: the iterator
 *   yields the future itself once to the driver, which polls it and resumes the generator with the value.
 *
 * @module
 */
import type { Context } from './context.js';
import type { Poll } from './poll.js';

/**
 * What `cancel()` returns: `undefined` when clean-up is done, or a future that finishes it.
 * @category Future
 */
export type Cleanup = Future<void> | undefined;

/**
 * A lazy, poll-based computation producing a `T`.
 *
 * @example
 * ```ts
 * import { fn, ready, toPromise } from '@zokio/future';
 * const double = fn(function* (n: number) {
 *   const x = yield* ready(n);
 *   return x * 2;
 * });
 * await toPromise(double(21)); // 42
 * ```
 * @category Future
 */
export interface Future<T> {
  /** Advances the future: its value, or `PENDING` with a wake-up arranged. Throws to fail. */
  poll(cx: Context): Poll<T>;
  /** Drops the future: cancels what it awaits and runs clean-up. See the module doc for the protocol. */
  cancel(): Cleanup;
  /** Lets generator async functions `yield*` the future and get its value typed. */
  [Symbol.iterator](): Iterator<Future<unknown>, T, unknown>;
}

/**
 * Yields the future once to the driver of a generator, then returns the value the driver resumes it with.
 * `throw` rethrows so a failed future raises at the `yield*`; `return` lets cancellation pass through.
 */
class OnceIterator<T> implements Iterator<Future<unknown>, T, unknown> {
  #future: Future<T> | undefined;

  constructor(future: Future<T>) {
    this.#future = future;
  }

  next(value?: unknown): IteratorResult<Future<unknown>, T> {
    const future = this.#future;
    if (future !== undefined) {
      this.#future = undefined;
      return { done: false, value: future };
    }
    return { done: true, value: value as T };
  }

  throw(error?: unknown): IteratorResult<Future<unknown>, T> {
    throw error;
  }

  return(value?: unknown): IteratorResult<Future<unknown>, T> {
    this.#future = undefined;
    return { done: true, value: value as T };
  }
}

/**
 * Makes `future` iterable for `yield*`: use in futures that do not extend {@link FutureBase}.
 * @category Future
 */
export function iterateOnce<T>(future: Future<T>): Iterator<Future<unknown>, T, unknown> {
  return new OnceIterator(future);
}

/**
 * Base class for futures: subclasses implement `poll` and, if they hold anything, `cancel`.
 *
 * @example
 * ```ts
 * import { FutureBase, PENDING, type Context, type Poll } from '@zokio/future';
 * // A future that is pending once, then ready: a hand-written `yieldNow`.
 * class Once extends FutureBase<void> {
 *   #polled = false;
 *   poll(cx: Context): Poll<void> {
 *     if (this.#polled) return;
 *     this.#polled = true;
 *     cx.waker.wake();
 *     return PENDING;
 *   }
 * }
 * ```
 * @category Future
 */
export abstract class FutureBase<T> implements Future<T>, Disposable {
  abstract poll(cx: Context): Poll<T>;

  cancel(): Cleanup {
    return undefined;
  }

  [Symbol.iterator](): Iterator<Future<unknown>, T, unknown> {
    return new OnceIterator(this);
  }

  /** Drops the future synchronously ({@link drop}): asynchronous clean-up is abandoned, `finally` blocks still run. */
  [Symbol.dispose](): void {
    drop(this);
  }
}

/**
 * Cancels `future` and abandons any asynchronous clean-up it asks for: every `finally` block still runs, but a
 * `yield*` inside one is cancelled at once instead of awaited. Use it where nothing can drive clean-up (dispose).
 *
 * @example
 * ```ts
 * import { drop, fn, pending } from '@zokio/future';
 * const f = fn(function* () {
 *   try { yield* pending(); } finally { console.log('cleaned up'); }
 * })();
 * drop(f); // never polled: nothing ran, nothing to clean
 * ```
 * @category Future
 */
export function drop(future: Future<unknown>): void {
  let cleanup = future.cancel();
  while (cleanup !== undefined) cleanup = cleanup.cancel();
}

/**
 * True if `value` looks like a {@link Future} (has `poll` and `cancel`).
 *
 * @example
 * ```ts
 * import { isFuture, ready } from '@zokio/future';
 * isFuture(ready(1)); // true
 * isFuture(Promise.resolve(1)); // false
 * ```
 * @category Future
 */
export function isFuture(value: unknown): value is Future<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Future<unknown>).poll === 'function' &&
    typeof (value as Future<unknown>).cancel === 'function'
  );
}
