/**
 * `select` and `race`: poll several futures; the first to finish (with a value or an error) wins, every other is
 * cancelled exactly once, and their clean-up is awaited before the winner is returned. So a `select` that returns
 * has left nothing running behind it.
 *
 * Fairness: by default each poll starts at a random branch (Tokio's `select!`), so an always-ready first branch
 * cannot starve the others. `biased: true` polls in order, for deliberate priorities.
 *
 * @module
 */
import type { Context } from '../context.js';
import { combineErrors, expected, polledAfterCompletion } from '../errors.js';
import { cancelAll, withCleanupError } from '../cancel.js';
import { FutureBase, isFuture, type Cleanup, type Future } from '../future.js';
import { PENDING, type Poll } from '../poll.js';
import type { Output } from './join.js';
import { randomBelow } from '../random.js';
import { disposeUnclaimed } from '../unclaimed.js';

/** Options of {@link select} and {@link race}. @category Combinators */
export interface SelectOptions {
  /**
   * Poll branches in order instead of from a random start.
   * @default false
   */
  readonly biased?: boolean;
}

/** The winner of a {@link select}: its index and value, typed per branch. @category Combinators */
export type Selected<T extends readonly Future<unknown>[]> = {
  [K in keyof T]: {
    readonly index: K extends `${infer N extends number}` ? N : number;
    readonly value: Output<T[K]>;
  };
}[number];

class Select<R> extends FutureBase<R> {
  readonly #futures: Future<unknown>[];
  readonly #biased: boolean;
  readonly #unwrap: boolean;
  #done = false;
  #cleanup: Future<void> | undefined = undefined;
  #winner: { index: number; value: unknown; failed: boolean } | undefined = undefined;

  constructor(futures: readonly Future<unknown>[], options: SelectOptions | undefined, unwrap: boolean, where: string) {
    super();
    if (!Array.isArray(futures)) expected('an array of futures', futures, where);
    if (futures.length === 0) expected('at least one future', futures, where);
    futures.forEach((f, i) => isFuture(f) || expected(`a Future at index ${i}`, f, where));
    this.#futures = Array.from<Future<unknown>>(futures);
    this.#biased = options?.biased ?? false;
    this.#unwrap = unwrap;
  }

  poll(cx: Context): Poll<R> {
    if (this.#done) throw polledAfterCompletion(this.#unwrap ? 'race' : 'select');
    if (this.#cleanup === undefined) {
      const futures = this.#futures;
      const n = futures.length;
      const start = this.#biased ? 0 : randomBelow(n);
      for (let k = 0; k < n; k++) {
        const index = start + k < n ? start + k : start + k - n;
        let value: unknown;
        let failed = false;
        try {
          value = futures[index]!.poll(cx);
          if (value === PENDING) continue;
        } catch (error) {
          value = error;
          failed = true;
        }
        this.#winner = { index, value, failed };
        futures.splice(index, 1);
        let cleanup: Cleanup;
        try {
          cleanup = cancelAll(futures.splice(0, futures.length));
        } catch (error) {
          return this.#finish(error);
        }
        if (cleanup === undefined) return this.#finish(undefined);
        this.#cleanup = cleanup;
        break;
      }
      if (this.#cleanup === undefined) return PENDING;
    }
    try {
      if (this.#cleanup.poll(cx) === PENDING) return PENDING;
    } catch (error) {
      return this.#finish(error);
    }
    return this.#finish(undefined);
  }

  #finish(cleanupError: unknown): R {
    this.#done = true;
    this.#cleanup = undefined;
    const winner = this.#winner!;
    this.#winner = undefined;
    if (winner.failed) throw combineErrors(winner.value, cleanupError);
    // The losers' clean-up failed: the error is thrown instead of the value, which is unclaimed.
    if (cleanupError !== undefined) throw combineErrors(cleanupError, disposeUnclaimed([winner.value]));
    return (this.#unwrap ? winner.value : { index: winner.index, value: winner.value }) as R;
  }

  override cancel(): Cleanup {
    if (this.#done) return undefined;
    this.#done = true;
    const cleanup = this.#cleanup;
    this.#cleanup = undefined;
    if (cleanup === undefined) return cancelAll(this.#futures.splice(0, this.#futures.length));
    // A winner was found and its losers are still cleaning up: its value will never be returned.
    const winner = this.#winner!;
    this.#winner = undefined;
    return withCleanupError(cleanup, winner.failed ? undefined : disposeUnclaimed([winner.value]));
  }
}

/**
 * Waits for the first of `futures` to finish and returns `{ index, value }`; every other future is cancelled once
 * and its clean-up awaited. If the first to finish threw, `select` throws that error (after the same clean-up).
 *
 * Cancel-safe exactly when every branch is: cancelling the select cancels every branch. If a branch had already won
 * and the select is cancelled while the others clean up, the winner's value is never returned: a `Disposable` one
 * (a lock guard, a permit) is disposed then, so what it holds is released (see `unclaimed.ts`).
 *
 * @example
 * ```ts
 * import { select, pending, ready, toPromise } from '@zokio/future';
 * const { index, value } = await toPromise(select([pending(), ready('b')])); // index 1, value 'b'
 * ```
 * @category Combinators
 */
export function select<const T extends readonly Future<unknown>[]>(
  futures: T,
  options?: SelectOptions,
): Future<Selected<T>> {
  return new Select<Selected<T>>(futures, options, false, 'select');
}

/**
 * {@link select} that returns just the winner's value.
 *
 * @example
 * ```ts
 * import { race, pending, ready, toPromise } from '@zokio/future';
 * await toPromise(race([pending(), ready(7)])); // 7
 * ```
 * @category Combinators
 */
export function race<const T extends readonly Future<unknown>[]>(
  futures: T,
  options?: SelectOptions,
): Future<Output<T[number]>> {
  return new Select<Output<T[number]>>(futures, options, true, 'race');
}
