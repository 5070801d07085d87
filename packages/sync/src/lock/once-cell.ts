/**
 * {@link OnceCell}: a value set once, by `set` or by the first `getOrInit` initializer to succeed (Tokio's
 * `OnceCell`).
 *
 * ## Protocol
 * Built, like Tokio's, on a {@link Semaphore} of one permit that is held by whoever is initializing:
 * ```
 *   getOrInit(init) ─► value set? return it
 *                   ─► acquire the permit (FIFO) ─► closed? the value was set meanwhile: return it
 *                   ─► run init() holding the permit ─► success: store the value, close the semaphore (every
 *                                                        queued getOrInit wakes and returns the value)
 *                                                    └► throws or is dropped: release the permit; the next
 *                                                        waiter in the queue runs its own init
 * ```
 * Invariants: only the permit holder runs an initializer, so at most one runs at a time; the semaphore is closed
 * exactly when the value is set.
 *
 * @module
 */
import { consumeBudget, expected, GeneratorFuture, isFuture, type Future, type Operation } from '@zokio/future';
import { OnceCellSetError, SemaphoreClosedError } from './errors.js';
import { Semaphore, type SemaphorePermit } from './semaphore.js';

/**
 * A cell written once, with async, one-at-a-time initialization.
 *
 * @example
 * ```ts
 * import { OnceCell } from '@zokio/sync';
 * import { fn, fromPromise } from '@zokio/future';
 * const config = new OnceCell<string>();
 * const getConfig = fn(function* () {
 *   return yield* config.getOrInit(() => fromPromise(() => Promise.resolve('loaded once')));
 * });
 * ```
 * @category Signals
 */
export class OnceCell<T> {
  /** Held by the running initializer; closed once the value is set. */
  readonly #semaphore = new Semaphore(1);
  #value: T | undefined = undefined;
  #initialized = false;

  /** True once the cell holds a value. */
  get initialized(): boolean {
    return this.#initialized;
  }

  /**
   * The value, or `undefined` if not set yet (use {@link OnceCell.initialized} when `T` may be `undefined`).
   * @example
   * ```ts
   * import { OnceCell } from '@zokio/sync';
   * new OnceCell<number>().get(); // undefined
   * ```
   */
  get(): T | undefined {
    return this.#value;
  }

  /**
   * Stores `value` now.
   * @throws OnceCellSetError if the cell holds a value already, or an initializer is running.
   * @example
   * ```ts
   * import { OnceCell } from '@zokio/sync';
   * const cell = new OnceCell<number>();
   * cell.set(7);
   * cell.get(); // 7
   * ```
   */
  set(value: T): void {
    if (this.#initialized) throw new OnceCellSetError(false);
    const permit = this.#semaphore.tryAcquire();
    if (permit === undefined) throw new OnceCellSetError(true);
    this.#store(value);
    permit.forget();
  }

  /**
   * The value, initializing it first if needed: the first caller (FIFO by first poll) runs `init()`; the others
   * wait for it. If `init`'s future throws or is dropped, the next waiter runs its own `init`.
   *
   * Cancel-safe: dropping a waiting call loses its place in the queue; dropping the running initializer cancels
   * `init`'s future and hands the turn to the next waiter. The value is never half set.
   *
   * @example
   * ```ts
   * import { OnceCell } from '@zokio/sync';
   * import { ready, toPromise } from '@zokio/future';
   * const cell = new OnceCell<number>();
   * await toPromise(cell.getOrInit(() => ready(1))); // 1
   * await toPromise(cell.getOrInit(() => ready(2))); // 1: already set
   * ```
   */
  getOrInit(init: () => Future<T>): Future<T> {
    if (typeof init !== 'function') expected('a function returning a Future', init, 'OnceCell.getOrInit');
    return new GeneratorFuture(this.#getOrInit(init));
  }

  *#getOrInit(init: () => Future<T>): Operation<T> {
    // A loop over an initialized cell never waits, so it spends coop budget to stay fair.
    yield* consumeBudget();
    if (this.#initialized) return this.#value as T;
    let permit: SemaphorePermit;
    try {
      permit = yield* this.#semaphore.acquire();
    } catch (error) {
      // Closed means initialized: the initializer ahead of us succeeded.
      if (error instanceof SemaphoreClosedError) return this.#value as T;
      throw error;
    }
    try {
      if (this.#initialized) return this.#value as T; // defensive: set() cannot succeed while a permit is out

      const pending = init();
      if (!isFuture(pending)) expected('init to return a Future', pending, 'OnceCell.getOrInit');
      const value = yield* pending;
      this.#store(value);
      return value;
    } finally {
      // On success the semaphore is closed and nobody needs the permit; otherwise it passes to the next waiter.
      permit.release();
    }
  }

  #store(value: T): void {
    this.#value = value;
    this.#initialized = true;
    this.#semaphore.close();
  }
}
