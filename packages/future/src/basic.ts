/**
 * The smallest futures: {@link ready}, {@link failed}, {@link pending}, {@link pollFn}. All are cancel-safe and hold
 * nothing worth releasing.
 *
 * @module
 */
import type { Context } from './context.js';
import { expected } from './errors.js';
import { FutureBase, type Future } from './future.js';
import { PENDING, type Poll } from './poll.js';

class Ready<T> extends FutureBase<T> {
  readonly #value: T;
  constructor(value: T) {
    super();
    this.#value = value;
  }
  poll(): Poll<T> {
    return this.#value;
  }
}

/**
 * A future that is ready with `value` on its first poll.
 *
 * @example
 * ```ts
 * import { ready, toPromise } from '@zokio/future';
 * await toPromise(ready('hi')); // 'hi'
 * ```
 * @category Constructors
 */
export function ready<T>(value: T): Future<T> {
  return new Ready(value);
}

class Failed extends FutureBase<never> {
  readonly #error: unknown;
  constructor(error: unknown) {
    super();
    this.#error = error;
  }
  poll(): never {
    throw this.#error;
  }
}

/**
 * A future that throws `error` when polled.
 *
 * @example
 * ```ts
 * import { failed, toPromise } from '@zokio/future';
 * await toPromise(failed(new Error('no'))).catch((e: Error) => e.message); // 'no'
 * ```
 * @category Constructors
 */
export function failed(error: unknown): Future<never> {
  return new Failed(error);
}

class Never extends FutureBase<never> {
  poll(): Poll<never> {
    return PENDING;
  }
}

/**
 * A future that never completes (and never wakes anyone): a placeholder to be cancelled.
 *
 * @example
 * ```ts
 * import { pending, select, ready, toPromise } from '@zokio/future';
 * await toPromise(select([pending(), ready(2)])); // { index: 1, value: 2 }
 * ```
 * @category Constructors
 */
export function pending(): Future<never> {
  return new Never();
}

class PollFn<T> extends FutureBase<T> {
  readonly #poll: (cx: Context) => Poll<T>;
  constructor(poll: (cx: Context) => Poll<T>) {
    super();
    this.#poll = poll;
  }
  poll(cx: Context): Poll<T> {
    return this.#poll(cx);
  }
}

/**
 * A future whose `poll` is the given function. It must follow the poll protocol: return `PENDING` only after
 * arranging a wake-up.
 *
 * @example
 * ```ts
 * import { pollFn, PENDING, toPromise } from '@zokio/future';
 * let n = 0;
 * await toPromise(pollFn((cx) => (++n < 3 ? (cx.waker.wake(), PENDING) : n))); // 3
 * ```
 * @category Constructors
 */
export function pollFn<T>(poll: (cx: Context) => Poll<T>): Future<T> {
  if (typeof poll !== 'function') expected('a poll function (cx) => value | PENDING', poll, 'pollFn');
  return new PollFn(poll);
}
