/**
 * `join`, `tryJoin` and `joinAll`: run several futures concurrently in one task and collect every value.
 *
 * All three share {@link JoinAll}. Up to {@link SMALL_JOIN} children it polls every unfinished child on each wake,
 * as Tokio's `join!` does (no allocation, and cheap for few children); above that it gives each child its own waker
 * and polls only the children that woke, so a join of 100,000 futures costs O(woken) per poll, not O(n).
 *
 * Errors: `join`/`joinAll` let every child finish, then throw the one error (or an `AggregateError` if several
 * failed). `tryJoin` stops at the first error: it cancels the others, waits for their clean-up, then throws it.
 *
 * @module
 */
import { Context, type Executor } from '../context.js';
import { combineErrors, expected, polledAfterCompletion } from '../errors.js';
import { cancelAll, withCleanupError } from '../cancel.js';
import { FutureBase, isFuture, type Cleanup, type Future } from '../future.js';
import { PENDING, type Poll } from '../poll.js';
import { disposeUnclaimed } from '../unclaimed.js';
import type { Waker } from '../waker.js';

/** The value type of a future. @category Combinators */
export type Output<F> = F extends Future<infer T> ? T : never;

/** Maps a tuple of futures to the tuple of their values. @category Combinators */
export type Outputs<T extends readonly Future<unknown>[]> = { -readonly [K in keyof T]: Output<T[K]> };

/**
 * Children above which a join tracks wake-ups per child. Tokio's `join_all` switches at 30 for the same reason;
 * below it, re-polling every child is cheaper than a waker each.
 */
export const SMALL_JOIN = 30;

/** Wakes the join and records which child woke. */
class ChildWaker implements Waker {
  readonly #join: JoinAll<unknown>;
  readonly #index: number;
  constructor(join: JoinAll<unknown>, index: number) {
    this.#join = join;
    this.#index = index;
  }
  wake(): void {
    this.#join.childWoke(this.#index);
  }
}

/** @internal */
export class JoinAll<T> extends FutureBase<T[]> {
  readonly #futures: (Future<unknown> | undefined)[];
  readonly #results: unknown[];
  readonly #failFast: boolean;
  #remaining: number;
  #error: unknown = undefined;
  #failed = false;
  #done = false;
  /** Clean-up of the siblings of a failed child (tryJoin), driven before the error is thrown. */
  #cleanup: Future<void> | undefined = undefined;
  // Per-child wake tracking, only for large joins.
  #contexts: Context[] | undefined = undefined;
  #woken: number[] = [];
  /** How far `#woken` has been consumed. */
  #cursor = 0;
  #isWoken: Uint8Array | undefined = undefined;
  #waker: Waker | undefined = undefined;

  constructor(futures: Future<unknown>[], failFast: boolean, where: string) {
    super();
    for (let i = 0; i < futures.length; i++) {
      if (!isFuture(futures[i])) expected(`a Future at index ${i}`, futures[i], where);
    }
    this.#futures = futures;
    this.#results = new Array<unknown>(futures.length);
    this.#remaining = futures.length;
    this.#failFast = failFast;
  }

  /** @internal */
  childWoke(index: number): void {
    const isWoken = this.#isWoken!;
    if (isWoken[index] === 0) {
      isWoken[index] = 1;
      this.#woken.push(index);
    }
    this.#waker?.wake();
  }

  poll(cx: Context): Poll<T[]> {
    if (this.#done) throw polledAfterCompletion('join');
    if (this.#cleanup !== undefined) return this.#pollCleanup(cx);
    const futures = this.#futures;
    if (futures.length <= SMALL_JOIN) {
      for (let i = 0; i < futures.length && !this.#failed; i++) {
        if (futures[i] !== undefined) this.#pollChild(i, cx);
      }
    } else {
      this.#pollWoken(cx);
    }
    if (this.#cleanup !== undefined) return this.#pollCleanup(cx);
    if (this.#failed) return this.#throw();
    if (this.#remaining > 0) return PENDING;
    if (this.#error !== undefined) return this.#throw();
    this.#done = true;
    return this.#results as T[];
  }

  /**
   * Large joins: polls the children that woke (all of them the first time), in order, until the coop budget is
   * spent. Children polled past that point would only yield at once, so the rest wait for the next poll, and the
   * join wakes itself to get one.
   */
  #pollWoken(cx: Context): void {
    this.#waker = cx.waker;
    const futures = this.#futures;
    let contexts = this.#contexts;
    if (contexts === undefined) {
      contexts = this.#contexts = this.#childContexts(cx.executor);
      this.#isWoken = new Uint8Array(futures.length).fill(1);
      this.#woken = Array.from({ length: futures.length }, (_, i) => i);
    }
    // Only the wakes queued before this poll: a child that wakes itself while polled waits for the next poll.
    const woken = this.#woken;
    const isWoken = this.#isWoken!;
    const end = woken.length;
    const executor = cx.executor;
    let k = this.#cursor;
    for (; k < end && !this.#failed && executor.budget > 0; k++) {
      const i = woken[k]!;
      isWoken[i] = 0;
      if (futures[i] !== undefined) this.#pollChild(i, contexts[i]!);
    }
    if (k === woken.length) {
      this.#woken = [];
      this.#cursor = 0;
    } else {
      // Drop the consumed prefix only once it is most of the array: O(1) amortized per wake, not a copy per poll.
      if (k > 1024 && k * 2 > woken.length) {
        this.#woken = woken.slice(k);
        k = 0;
      }
      this.#cursor = k;
      if (k < end && !this.#failed) cx.waker.wake();
    }
  }

  #childContexts(executor: Executor): Context[] {
    const contexts = new Array<Context>(this.#futures.length);
    for (let i = 0; i < contexts.length; i++) contexts[i] = new Context(new ChildWaker(this, i), executor);
    return contexts;
  }

  #pollChild(i: number, cx: Context): void {
    const future = this.#futures[i]!;
    let value: unknown;
    try {
      value = future.poll(cx);
      if (value === PENDING) return;
    } catch (error) {
      this.#futures[i] = undefined;
      this.#remaining--;
      this.#error = combineErrors(this.#error, error);
      if (this.#failFast) this.#failFirst();
      return;
    }
    this.#futures[i] = undefined;
    this.#remaining--;
    this.#results[i] = value;
  }

  /** tryJoin: the first error cancels every sibling; their clean-up runs before the error is thrown. */
  #failFirst(): void {
    this.#failed = true;
    const siblings = this.#futures.splice(0, this.#futures.length);
    try {
      this.#cleanup = cancelAll(siblings);
    } catch (error) {
      this.#error = combineErrors(this.#error, error);
    }
  }

  #pollCleanup(cx: Context): Poll<T[]> {
    try {
      if (this.#cleanup!.poll(cx) === PENDING) return PENDING;
    } catch (error) {
      this.#error = combineErrors(this.#error, error);
    }
    this.#cleanup = undefined;
    return this.#throw();
  }

  /** Throws the error; the values of the children that succeeded are unclaimed (`unclaimed.ts`). */
  #throw(): never {
    this.#done = true;
    throw combineErrors(this.#error, disposeUnclaimed(this.#takeResults()));
  }

  /** The values received so far (a sparse array's holes skipped), no longer held. */
  #takeResults(): unknown[] {
    const values: unknown[] = [];
    this.#results.forEach((value) => values.push(value));
    this.#results.length = 0;
    return values;
  }

  override cancel(): Cleanup {
    if (this.#done) return undefined;
    this.#done = true;
    const cleanup = this.#cleanup;
    this.#cleanup = undefined;
    const unclaimed = disposeUnclaimed(this.#takeResults());
    if (cleanup !== undefined) return withCleanupError(cleanup, unclaimed);
    let rest: Cleanup;
    try {
      rest = cancelAll(this.#futures.splice(0, this.#futures.length));
    } catch (error) {
      throw combineErrors(unclaimed, error);
    }
    return withCleanupError(rest, unclaimed);
  }
}

/**
 * Runs the futures concurrently and returns all their values, in order. If any throws, the others still run to
 * completion; then the error is thrown (an `AggregateError` if several failed).
 *
 * Cancel-safe if every input is: cancelling the join cancels every unfinished input. Values it will never return
 * (those already received when it is cancelled or fails) are disposed if `Disposable` — a lock guard, a permit — so
 * what they hold is released (see `unclaimed.ts`).
 *
 * @example
 * ```ts
 * import { join, ready, toPromise } from '@zokio/future';
 * const [a, b] = await toPromise(join(ready(1), ready('two'))); // [1, 'two']
 * ```
 * @category Combinators
 */
export function join<T extends readonly Future<unknown>[]>(...futures: T): Future<Outputs<T>> {
  return new JoinAll(futures as unknown as Future<unknown>[], false, 'join') as unknown as Future<Outputs<T>>;
}

/**
 * Like {@link join}, but the first error cancels the other futures, waits for their clean-up, and is thrown.
 *
 * Cancel-safe if every input is; values already received are disposed when it fails or is cancelled, as in `join`.
 *
 * @example
 * ```ts
 * import { tryJoin, ready, failed, pending, toPromise } from '@zokio/future';
 * await toPromise(tryJoin(pending(), failed(new Error('x')))).catch((e: Error) => e.message); // 'x'
 * ```
 * @category Combinators
 */
export function tryJoin<T extends readonly Future<unknown>[]>(...futures: T): Future<Outputs<T>> {
  return new JoinAll(futures as unknown as Future<unknown>[], true, 'tryJoin') as unknown as Future<Outputs<T>>;
}

/**
 * {@link join} over any number of futures of one type.
 *
 * Cancel-safe if every input is; values already received are disposed when it fails or is cancelled, as in `join`.
 *
 * @example
 * ```ts
 * import { joinAll, ready, toPromise } from '@zokio/future';
 * await toPromise(joinAll([1, 2, 3].map((n) => ready(n * 2)))); // [2, 4, 6]
 * ```
 * @category Combinators
 */
export function joinAll<T>(futures: Iterable<Future<T>>): Future<T[]> {
  if (futures === null || typeof (futures as Iterable<unknown>)?.[Symbol.iterator] !== 'function') {
    expected('an iterable of futures', futures, 'joinAll');
  }
  return new JoinAll<T>(Array.from(futures), false, 'joinAll');
}
