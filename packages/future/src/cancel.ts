/**
 * Cancelling several futures at once, as combinators do with their losers or siblings.
 *
 * Each future's `cancel()` runs now (synchronous clean-up, innermost first); asynchronous clean-ups are driven
 * together by the returned future, and every error (thrown synchronously or later) is rethrown once all are done.
 *
 * @module
 */
import type { Context } from './context.js';
import { combineErrors, expected } from './errors.js';
import { drop, FutureBase, isFuture, type Cleanup, type Future } from './future.js';
import { PENDING, type Poll } from './poll.js';

/**
 * Cancels every future given; returns `undefined` when all clean-up finished synchronously (throwing any error it
 * threw), or a future that finishes the rest.
 *
 * @example
 * ```ts
 * import { cancelAll, pending } from '@zokio/future';
 * cancelAll([pending(), pending()]); // undefined: nothing to wait for
 * ```
 * @category Cancellation
 */
export function cancelAll(futures: Iterable<Future<unknown> | undefined>): Cleanup {
  if (futures === null || typeof (futures as Iterable<unknown>)?.[Symbol.iterator] !== 'function') {
    expected('an iterable of futures', futures, 'cancelAll');
  }
  let cleanups: Future<void>[] | undefined;
  let error: unknown;
  for (const future of futures) {
    if (future === undefined) continue;
    try {
      if (!isFuture(future)) expected('an iterable of futures (or undefined)', future, 'cancelAll');
      const cleanup = future.cancel();
      if (cleanup !== undefined) (cleanups ??= []).push(cleanup);
    } catch (thrown) {
      error = combineErrors(error, thrown);
    }
  }
  if (cleanups === undefined) {
    if (error !== undefined) throw error;
    return undefined;
  }
  return new CleanupAll(cleanups, error);
}

/** `cleanup`, then `error` thrown once it is done; `error` thrown now when there is none. @internal */
export function withCleanupError(cleanup: Cleanup, error: unknown): Cleanup {
  if (error === undefined) return cleanup;
  if (cleanup === undefined) throw error;
  return new CleanupAll([cleanup], error);
}

/** Drives several clean-ups to completion, then throws their collected errors. */
class CleanupAll extends FutureBase<void> {
  #cleanups: (Future<void> | undefined)[];
  #remaining: number;
  #error: unknown;

  constructor(cleanups: Future<void>[], error: unknown) {
    super();
    this.#cleanups = cleanups;
    this.#remaining = cleanups.length;
    this.#error = error;
  }

  poll(cx: Context): Poll<void> {
    const cleanups = this.#cleanups;
    for (let i = 0; i < cleanups.length; i++) {
      const cleanup = cleanups[i];
      if (cleanup === undefined) continue;
      try {
        if (cleanup.poll(cx) === PENDING) continue;
      } catch (error) {
        this.#error = combineErrors(this.#error, error);
      }
      cleanups[i] = undefined;
      this.#remaining--;
    }
    if (this.#remaining > 0) return PENDING;
    if (this.#error !== undefined) throw this.#error;
  }

  override cancel(): Cleanup {
    let error = this.#error;
    for (const cleanup of this.#cleanups) {
      if (cleanup === undefined) continue;
      try {
        drop(cleanup);
      } catch (thrown) {
        error = combineErrors(error, thrown);
      }
    }
    this.#cleanups = [];
    this.#remaining = 0;
    if (error !== undefined) throw error;
    return undefined;
  }
}
