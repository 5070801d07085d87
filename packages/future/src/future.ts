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
 * - **`yield*`.** Every future is iterable so generator async functions can write `const v = yield* f`: the future
 *   is handed to the driver, which polls it and resumes the generator with the value (protocol below).
 *
 * @module
 */
import type { Context } from './context.js';
import { expected } from './errors.js';
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
 * How `yield*` hands a future to the driver and gets its value back without allocating anything that outlives the
 * step: a future is its own iterator, and a stateless one.
 *
 * 1. `yield* f` calls `f.next(undefined)`; the future answers `{ done: false, value: f }` and records itself as
 *    the future just delegated; the generator suspends and the driver receives `f`.
 * 2. When `f` completes, the driver resumes the generator with `next(resumeWith(value))`: a module-level box that
 *    `f.next` recognises and unwraps into `{ done: true, value }`, which `yield*` evaluates to.
 * 3. If `f` throws, the driver calls `throw(error)`; `f.throw` rethrows it at the `yield*`.
 *
 * Being stateless, one future (a shared gate) can be `yield*`ed by many generators at once. The driver checks with
 * {@link takeDelegated} that what it received came through step 1, so a bare `yield f` (which would hand user code
 * the box instead of the value) is rejected with a TypeError.
 */
interface YieldProtocol {
  /** The box the driver resumes generators with. */
  readonly box: { value: unknown };
  /** The future most recently handed over by `yield*`. */
  delegated: Future<unknown> | undefined;
}

/**
 * The protocol's state lives in the global symbol registry, not in this module, so two copies of `@zokio/future` in
 * one process (an ESM and a CJS build, or two installed versions) hand futures to each other's drivers correctly.
 */
const protocol: YieldProtocol = ((globalThis as Record<symbol, YieldProtocol | undefined>)[
  Symbol.for('zokio.future.yield-protocol.v1')
] ??= { box: { value: undefined }, delegated: undefined });
const resumeBox = protocol.box;

/**
 * The iterator results of step 1 and 2, reused: `yield*` reads `done` and `value` of each the moment it gets it and
 * keeps neither (it hands step 1's object to the driver, which reads it at once too), so one object of each serves
 * every step and a `yield*` allocates nothing. Their `value` is cleared by the next step, not at once: the driver
 * holds the future anyway.
 */
const yieldResult: IteratorYieldResult<Future<unknown>> = {
  done: false,
  value: undefined as unknown as Future<unknown>,
};
const doneResult: IteratorReturnResult<unknown> = { done: true, value: undefined };

/** Wraps a future's value for `generator.next()`. For generator drivers. @internal */
export function resumeWith(value: unknown): unknown {
  resumeBox.value = value;
  return resumeBox;
}

/** The future most recently handed over by `yield*`, cleared on read. For generator drivers. @internal */
export function takeDelegated(): Future<unknown> | undefined {
  const future = protocol.delegated;
  protocol.delegated = undefined;
  return future;
}

/**
 * The `next` step of the `yield*` protocol above, for futures that cannot extend {@link FutureBase}: implement
 * `[Symbol.iterator]() { return this }`, `next(arg) { return delegateNext(this, arg) }`, `throw(e) { throw e }`
 * and `return(v) { return { done: true, value: v } }`.
 * @category Future
 */
export function delegateNext<T>(future: Future<T>, arg: unknown): IteratorResult<Future<unknown>, T> {
  if (arg === resumeBox) {
    const result = doneResult as IteratorReturnResult<T>;
    result.value = resumeBox.value as T;
    resumeBox.value = undefined;
    return result;
  }
  protocol.delegated = future;
  yieldResult.value = future;
  return yieldResult;
}

class OnceIterator<T> implements Iterator<Future<unknown>, T, unknown> {
  readonly #future: Future<T>;
  constructor(future: Future<T>) {
    this.#future = future;
  }
  next(arg?: unknown): IteratorResult<Future<unknown>, T> {
    return delegateNext(this.#future, arg);
  }
  throw(error?: unknown): IteratorResult<Future<unknown>, T> {
    throw error;
  }
  return(value?: unknown): IteratorResult<Future<unknown>, T> {
    return { done: true, value: value as T };
  }
}

/**
 * An iterator that lets generators `yield*` a future that does not extend {@link FutureBase}.
 * @category Future
 */
export function iterateOnce<T>(future: Future<T>): Iterator<Future<unknown>, T, unknown> {
  if (!isFuture(future)) expected('a Future', future, 'iterateOnce');
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
export abstract class FutureBase<T> implements Future<T>, Iterator<Future<unknown>, T, unknown>, Disposable {
  abstract poll(cx: Context): Poll<T>;

  cancel(): Cleanup {
    return undefined;
  }

  /** A future is its own (stateless) iterator: see the `yield*` protocol in this module. */
  [Symbol.iterator](): Iterator<Future<unknown>, T, unknown> {
    return this;
  }

  /** @internal The `yield*` protocol. */
  next(arg?: unknown): IteratorResult<Future<unknown>, T> {
    return delegateNext(this, arg);
  }

  /** @internal The `yield*` protocol: a failed future raises at the `yield*`. */
  throw(error?: unknown): IteratorResult<Future<unknown>, T> {
    throw error;
  }

  /** @internal The `yield*` protocol: cancellation passes through. */
  return(value?: unknown): IteratorResult<Future<unknown>, T> {
    return { done: true, value: value as T };
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
  if (!isFuture(future)) expected('a Future', future, 'drop');
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
