/**
 * {@link timeout} and {@link timeoutAt}: bound a future by time.
 *
 * @module
 */
import {
  expected,
  FutureBase,
  isFuture,
  PENDING,
  polledAfterCompletion,
  type Cleanup,
  type Context,
  type Future,
  type Poll,
} from '@zokio/future';
import { TimeoutError } from './errors.js';
import { Instant } from './instant.js';
import { currentClock } from './service.js';
import { Sleep } from './sleep.js';

class Timeout<T> extends FutureBase<T> {
  readonly #inner: Future<T>;
  readonly #sleep: Sleep;
  readonly #ms: number | undefined;
  /** Clean-up of the inner future after the deadline, driven before the TimeoutError is thrown. */
  #cleanup: Future<void> | undefined = undefined;
  #state: 'running' | 'cleaning' | 'done' = 'running';

  constructor(inner: Future<T>, sleep: Sleep, ms: number | undefined) {
    super();
    this.#inner = inner;
    this.#sleep = sleep;
    this.#ms = ms;
  }

  poll(cx: Context): Poll<T> {
    if (this.#state === 'done') throw polledAfterCompletion('timeout');
    if (this.#state === 'running') {
      // The inner future first: a future that is ready when its deadline passes still wins (Tokio's order).
      let value: Poll<T>;
      try {
        value = this.#inner.poll(cx);
      } catch (error) {
        this.#finish();
        throw error;
      }
      if (value !== PENDING) {
        this.#finish();
        return value;
      }
      if (this.#sleep.poll(cx) === PENDING) return PENDING;
      // Deadline passed: cancel the inner future, exactly once, and wait for its clean-up.
      this.#state = 'cleaning';
      try {
        this.#cleanup = this.#inner.cancel();
      } catch (error) {
        return this.#timedOut(error);
      }
    }
    const cleanup = this.#cleanup;
    if (cleanup !== undefined) {
      try {
        if (cleanup.poll(cx) === PENDING) return PENDING;
      } catch (error) {
        return this.#timedOut(error);
      }
    }
    return this.#timedOut(undefined);
  }

  /** Throws the TimeoutError; a clean-up that failed is its `cause` (the timeout is still what happened). */
  #timedOut(cleanupError: unknown): never {
    this.#state = 'done';
    this.#cleanup = undefined;
    const error = new TimeoutError(this.#ms);
    if (cleanupError !== undefined) error.cause = cleanupError;
    throw error;
  }

  #finish(): void {
    this.#state = 'done';
    this.#sleep.cancel();
  }

  override cancel(): Cleanup {
    const state = this.#state;
    this.#state = 'done';
    this.#sleep.cancel();
    if (state === 'running') return this.#inner.cancel();
    if (state === 'cleaning') return this.#cleanup;
    return undefined;
  }
}

/**
 * Runs `future` for at most `ms` milliseconds. If it finishes first, returns its value (or throws its error). If the
 * deadline passes first, `future` is cancelled — exactly once — and **its clean-up is awaited** (its `finally`
 * blocks, asynchronous ones included, have finished) before a {@link TimeoutError} is thrown — with the clean-up's
 * error as its `cause` if the clean-up threw. If the future and the deadline are ready in the same poll, the future
 * wins.
 *
 * Cancel-safe exactly when `future` is: dropping the timeout drops the future.
 *
 * @example
 * ```ts
 * import { main } from '@zokio/runtime';
 * import { sleep, timeout, TimeoutError } from '@zokio/time';
 * await main(function* () {
 *   try {
 *     yield* timeout(10, sleep(1000));
 *   } catch (e) {
 *     console.log(e instanceof TimeoutError); // true
 *   }
 * });
 * ```
 * @category Time
 */
export function timeout<T>(ms: number, future: Future<T>): Future<T> {
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) expected('a timeout in milliseconds ≥ 0', ms, 'timeout');
  if (!isFuture(future)) expected('a Future', future, 'timeout');
  return new Timeout(future, new Sleep(currentClock().now() + ms), ms);
}

/**
 * Like {@link timeout}, with an absolute deadline.
 *
 * @example
 * ```ts
 * import { Instant, sleep, timeoutAt } from '@zokio/time';
 * const bounded = timeoutAt(Instant.now().add(500), sleep(10));
 * ```
 * @category Time
 */
export function timeoutAt<T>(deadline: Instant, future: Future<T>): Future<T> {
  if (!(deadline instanceof Instant)) expected('an Instant', deadline, 'timeoutAt');
  if (!isFuture(future)) expected('a Future', future, 'timeoutAt');
  return new Timeout(future, new Sleep(deadline.ms), undefined);
}
