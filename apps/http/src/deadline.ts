/**
 * {@link Deadline}: one connection's timer, raced against each of its reads and writes.
 *
 * A connection always waits on one thing at a time — the next request, more body, the client taking the response —
 * and each wait has its own limit. Instead of a `timeout()` (a new timer) per wait, the connection keeps one
 * `Sleep` and moves it with `Sleep.reset`, which is lazy for a later deadline (the wheel re-files the entry only
 * when the old deadline comes): on the hot path — a kept-alive connection arming a later deadline per request —
 * that is no timer-wheel work. `within(future)` races the future against it, reusing one future object.
 *
 * Protocol: `within(f)` returns `f`'s value, or {@link TIMED_OUT} once the deadline passed; then `f` has been
 * cancelled and its clean-up driven to the end. `f` wins if both are ready in the same poll. One `within` at a time.
 *
 * @module
 */
import { FutureBase, PENDING, type Cleanup, type Context, type Future, type Poll } from '@zokio/future';
import { Instant, sleep, type Sleep } from '@zokio/time';

/** What {@link Deadline.within} returns when the deadline passed first. */
export const TIMED_OUT: unique symbol = Symbol('timed out');

/** A resettable deadline for one connection. See the module doc. @internal */
export class Deadline extends FutureBase<unknown> {
  readonly #timer: Sleep = sleep(Infinity);
  #inner: Future<unknown> | undefined = undefined;
  #cleanup: Cleanup = undefined;
  #cleaning = false;

  /** Sets the deadline `ms` from now (`Infinity`: none). */
  arm(ms: number): void {
    this.#timer.reset(new Instant(ms === Infinity ? Infinity : Instant.now().ms + ms));
  }

  /** Moves the deadline to now: the wait in progress ends with {@link TIMED_OUT}. */
  expire(): void {
    this.#timer.reset(Instant.now());
  }

  /** Races `future` against the deadline; the returned future is this object, reused. */
  within<T>(future: Future<T>): Future<T | typeof TIMED_OUT> {
    this.#inner = future;
    this.#cleaning = false;
    return this as Future<T | typeof TIMED_OUT>;
  }

  poll(cx: Context): Poll<unknown> {
    if (!this.#cleaning) {
      const inner = this.#inner!;
      const value = inner.poll(cx);
      if (value !== PENDING) {
        this.#inner = undefined;
        return value;
      }
      if (!this.#timer.isElapsed() && this.#timer.poll(cx) === PENDING) return PENDING;
      this.#cleaning = true;
      this.#inner = undefined;
      this.#cleanup = inner.cancel();
    }
    const cleanup = this.#cleanup;
    if (cleanup !== undefined && cleanup.poll(cx) === PENDING) return PENDING;
    this.#cleanup = undefined;
    this.#cleaning = false;
    return TIMED_OUT;
  }

  override cancel(): Cleanup {
    const inner = this.#inner;
    this.#inner = undefined;
    if (this.#cleaning) {
      this.#cleaning = false;
      const cleanup = this.#cleanup;
      this.#cleanup = undefined;
      return cleanup;
    }
    return inner?.cancel();
  }

  /** Stops the timer for good. */
  close(): void {
    this.#timer.cancel();
  }
}
