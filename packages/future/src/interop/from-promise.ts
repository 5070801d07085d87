/**
 * `fromPromise`: await a Promise from a future, with cancellation that reaches the promise's work.
 *
 * @module
 */
import type { Context } from '../context.js';
import { CancelledError, expected, polledAfterCompletion } from '../errors.js';
import { FutureBase, type Cleanup, type Future } from '../future.js';
import { PENDING, type Poll } from '../poll.js';
import type { Waker } from '../waker.js';

const IDLE = 0;
const WAITING = 1;
const FULFILLED = 2;
const REJECTED = 3;
const DONE = 4;

class PromiseFuture<T> extends FutureBase<T> {
  readonly #factory: (signal: AbortSignal) => PromiseLike<T>;
  #state = IDLE;
  #result: unknown = undefined;
  #waker: Waker | undefined = undefined;
  #controller: AbortController | undefined = undefined;

  constructor(factory: (signal: AbortSignal) => PromiseLike<T>) {
    super();
    this.#factory = factory;
  }

  poll(cx: Context): Poll<T> {
    // A thenable may call back synchronously, inside `then`: the outcome is then already here.
    if (this.#state === IDLE) this.#start();
    switch (this.#state) {
      case FULFILLED:
        this.#state = DONE;
        return this.#result as T;
      case REJECTED:
        this.#state = DONE;
        throw this.#result;
      case DONE:
        throw polledAfterCompletion('fromPromise future');
    }
    this.#waker = cx.waker;
    return PENDING;
  }

  #start(): void {
    // The AbortSignal is created only if the factory declares a parameter to receive it.
    const factory = this.#factory;
    const signal = factory.length > 0 ? (this.#controller = new AbortController()).signal : undefined;
    let promise: PromiseLike<T>;
    try {
      promise = factory(signal as AbortSignal);
    } catch (error) {
      this.#state = DONE;
      throw error;
    }
    if (promise === null || typeof promise?.then !== 'function') {
      this.#state = DONE;
      expected('the factory to return a Promise', promise, 'fromPromise');
    }
    this.#state = WAITING;
    promise.then(
      (value) => this.#settle(FULFILLED, value),
      (error) => this.#settle(REJECTED, error),
    );
  }

  #settle(state: number, result: unknown): void {
    if (this.#state !== WAITING) return; // cancelled: the late result is dropped
    this.#state = state;
    this.#result = result;
    this.#controller = undefined;
    const waker = this.#waker;
    this.#waker = undefined;
    waker?.wake();
  }

  override cancel(): Cleanup {
    const state = this.#state;
    this.#state = DONE;
    this.#waker = undefined;
    if (state === WAITING)
      this.#controller?.abort(new CancelledError('The future awaiting this promise was cancelled'));
    this.#controller = undefined;
    return undefined;
  }
}

/**
 * A future that calls `factory` on its first poll and waits for the promise it returns. If the future is cancelled
 * first, the `AbortSignal` passed to `factory` is aborted with a {@link CancelledError}, and whatever the promise
 * later settles with is dropped.
 *
 * The signal is created lazily: only at the first poll, and only when `factory` declares a parameter (`signal =>
 * …`); a factory written `() => …` costs no `AbortController`. No `AbortSignal.any` is ever created.
 *
 * Cancel-safety: cancelling does not wait for the promise to settle (a promise cannot be forced to stop); the
 * work stops as soon as the code behind the promise honours the signal.
 *
 * @example
 * ```ts
 * import { fromPromise, toPromise } from '@zokio/future';
 * import { setTimeout as delay } from 'node:timers/promises';
 * await toPromise(fromPromise((signal) => delay(10, 'done', { signal }))); // 'done'
 * ```
 * @category Interop
 */
export function fromPromise<T>(factory: (signal: AbortSignal) => PromiseLike<T>): Future<T> {
  if (typeof factory !== 'function')
    expected('a function returning a Promise: (signal) => promise', factory, 'fromPromise');
  return new PromiseFuture(factory);
}
