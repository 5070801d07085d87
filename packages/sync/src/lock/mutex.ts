/**
 * {@link Mutex}: an async mutual-exclusion lock around a value, FIFO-fair, built on a {@link Semaphore} of one
 * permit as Tokio's is. All queueing, fairness and cancellation behaviour is the semaphore's (see `semaphore.ts`);
 * this file only turns the permit into a guard that gates access to the value.
 *
 * The value lives in a small cell shared by the mutex and its guards, so a guard reaches it without the mutex
 * exposing it; a released guard forgets the cell, so a stale guard cannot touch the value behind the next holder.
 *
 * @module
 */
import type { Future } from '@zokio/future';
import { GuardReleasedError } from './errors.js';
import { Acquire, Semaphore, type SemaphorePermit } from './semaphore.js';

/** The value a mutex protects, shared with its guards. */
interface Cell<T> {
  value: T;
}

/**
 * An async mutex: `lock()` waits its turn (FIFO by first poll) and returns a {@link MutexGuard}.
 *
 * @example
 * ```ts
 * import { Mutex } from '@zokio/sync';
 * import { fn } from '@zokio/future';
 * const counter = new Mutex(0);
 * const increment = fn(function* () {
 *   using guard = yield* counter.lock();
 *   guard.value += 1;
 * });
 * ```
 * @category Locks
 */
export class Mutex<T> {
  readonly #semaphore = new Semaphore(1);
  readonly #cell: Cell<T>;

  constructor(value: T) {
    this.#cell = { value };
  }

  /** True while a guard is held (or the lock is granted to a waiter that has not run yet). */
  get isLocked(): boolean {
    return this.#semaphore.availablePermits === 0;
  }

  /**
   * Waits for the lock, in FIFO order of first poll, and returns its guard.
   *
   * Cancel-safe: dropping the future loses its place in the queue and nothing else; if the lock was already
   * handed to it but it was not polled again, the lock passes to the next waiter.
   *
   * @example
   * ```ts
   * import { Mutex } from '@zokio/sync';
   * import { toPromise } from '@zokio/future';
   * const m = new Mutex([1]);
   * const guard = await toPromise(m.lock());
   * guard.value.push(2);
   * guard.release();
   * ```
   */
  lock(): Future<MutexGuard<T>> {
    return new Acquire(this.#semaphore, 1, (permit) => new MutexGuard(this.#cell, permit));
  }

  /**
   * The guard, if the lock is free and nobody waits for it; otherwise `undefined`.
   *
   * @example
   * ```ts
   * import { Mutex } from '@zokio/sync';
   * const m = new Mutex('a');
   * const g = m.tryLock(); // a guard
   * m.tryLock(); // undefined
   * g?.release();
   * ```
   */
  tryLock(): MutexGuard<T> | undefined {
    const permit = this.#semaphore.tryAcquire(1);
    return permit && new MutexGuard(this.#cell, permit);
  }
}

/**
 * Exclusive access to a {@link Mutex}'s value until {@link MutexGuard.release} (or the end of a `using` scope).
 * It may be handed to another task; whoever holds it may use it.
 *
 * @example
 * ```ts
 * import { Mutex } from '@zokio/sync';
 * const m = new Mutex({ hits: 0 });
 * {
 *   using g = m.tryLock()!;
 *   g.value.hits++;
 *   g.value = { hits: 10 };
 * }
 * ```
 * @category Locks
 */
export class MutexGuard<T> implements Disposable {
  #cell: Cell<T> | undefined;
  readonly #permit: SemaphorePermit;

  /** @internal Guards are made by `Mutex.lock`/`tryLock`. */
  constructor(cell: Cell<T>, permit: SemaphorePermit) {
    this.#cell = cell;
    this.#permit = permit;
  }

  /** The protected value. @throws GuardReleasedError after `release()`. */
  get value(): T {
    return this.#held().value;
  }

  set value(value: T) {
    this.#held().value = value;
  }

  /** Unlocks, handing the lock to the first waiter. Releasing twice does nothing. */
  release(): void {
    this.#cell = undefined;
    this.#permit.release();
  }

  /** `using guard = …` unlocks at the end of the scope. */
  [Symbol.dispose](): void {
    this.release();
  }

  #held(): Cell<T> {
    if (this.#cell === undefined) throw new GuardReleasedError('mutex guard');
    return this.#cell;
  }
}
