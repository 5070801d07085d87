/**
 * {@link RwLock}: many readers or one writer, FIFO-fair, built like Tokio's on a {@link Semaphore} of
 * `maxReaders` permits: a reader takes one permit, a writer takes all of them.
 *
 * Fairness comes from the semaphore's queue: a writer that cannot get every permit waits at the head, collecting
 * the permits readers give back, and since a queue that is not empty leaves no free permits, readers that arrive
 * after it wait behind it. Writers are therefore never starved by a stream of readers, and readers never by
 * writers. Queueing and cancellation are the semaphore's (see `semaphore.ts`).
 *
 * @module
 */
import { expected, type Future } from '@zokio/future';
import { GuardReleasedError } from './errors.js';
import { Acquire, Semaphore, type SemaphorePermit } from './semaphore.js';

/** Tokio's `MAX_READS` (`u32::MAX >> 3`): far more concurrent readers than any program holds. */
const MAX_READS = 536_870_911;

interface Cell<T> {
  value: T;
}

/**
 * A reader-writer lock around a value.
 *
 * @example
 * ```ts
 * import { RwLock } from '@zokio/sync';
 * import { fn } from '@zokio/future';
 * const config = new RwLock({ retries: 3 });
 * const readRetries = fn(function* () {
 *   using r = yield* config.read();
 *   return r.value.retries;
 * });
 * const setRetries = fn(function* (n: number) {
 *   using w = yield* config.write();
 *   w.value = { retries: n };
 * });
 * ```
 * @category Locks
 */
export class RwLock<T> {
  /** The default (and largest) number of concurrent readers. */
  static readonly MAX_READS = MAX_READS;

  readonly #semaphore: Semaphore;
  readonly #cell: Cell<T>;
  readonly #maxReaders: number;

  /** @param maxReaders - how many readers may hold the lock at once (default {@link RwLock.MAX_READS}). */
  constructor(value: T, maxReaders = MAX_READS) {
    if (!Number.isInteger(maxReaders) || maxReaders < 1 || maxReaders > MAX_READS) {
      expected(`a whole number of readers from 1 to ${MAX_READS}`, maxReaders, 'new RwLock');
    }
    this.#cell = { value };
    this.#maxReaders = maxReaders;
    this.#semaphore = new Semaphore(maxReaders);
  }

  /**
   * Waits for shared read access, in FIFO order of first poll (behind any writer that asked first).
   *
   * Cancel-safe: dropping the future loses its place in the queue and nothing else.
   *
   * @example
   * ```ts
   * import { RwLock } from '@zokio/sync';
   * import { toPromise } from '@zokio/future';
   * const lock = new RwLock(5);
   * const r = await toPromise(lock.read());
   * r.value; // 5
   * r.release();
   * ```
   */
  read(): Future<RwLockReadGuard<T>> {
    return new Acquire(this.#semaphore, 1, (permit) => new RwLockReadGuard(this.#cell, permit));
  }

  /**
   * Waits for exclusive write access, in FIFO order of first poll.
   *
   * Cancel-safe: dropping the future loses its place in the queue and nothing else; read permits it had collected
   * while waiting go to the waiters behind it.
   *
   * @example
   * ```ts
   * import { RwLock } from '@zokio/sync';
   * import { toPromise } from '@zokio/future';
   * const lock = new RwLock(5);
   * const w = await toPromise(lock.write());
   * w.value = 6;
   * w.release();
   * ```
   */
  write(): Future<RwLockWriteGuard<T>> {
    return new Acquire(this.#semaphore, this.#maxReaders, (permit) => new RwLockWriteGuard(this.#cell, permit));
  }

  /**
   * A read guard if no writer holds or waits for the lock; otherwise `undefined`.
   * @example
   * ```ts
   * import { RwLock } from '@zokio/sync';
   * new RwLock(1).tryRead()?.value; // 1
   * ```
   */
  tryRead(): RwLockReadGuard<T> | undefined {
    const permit = this.#semaphore.tryAcquire(1);
    return permit && new RwLockReadGuard(this.#cell, permit);
  }

  /**
   * A write guard if nobody holds or waits for the lock; otherwise `undefined`.
   * @example
   * ```ts
   * import { RwLock } from '@zokio/sync';
   * const lock = new RwLock(1);
   * const r = lock.tryRead();
   * lock.tryWrite(); // undefined: a reader holds it
   * ```
   */
  tryWrite(): RwLockWriteGuard<T> | undefined {
    const permit = this.#semaphore.tryAcquire(this.#maxReaders);
    return permit && new RwLockWriteGuard(this.#cell, permit);
  }
}

/** What both guards share: the cell until release, and the permit(s). */
abstract class Guard<T> implements Disposable {
  #cell: Cell<T> | undefined;
  readonly #permit: SemaphorePermit;

  /** @internal Guards are made by `RwLock.read`/`write` and their `try` forms. */
  constructor(cell: Cell<T>, permit: SemaphorePermit) {
    this.#cell = cell;
    this.#permit = permit;
  }

  /** Gives up access; the next waiters in the queue are served. Releasing twice does nothing. */
  release(): void {
    this.#cell = undefined;
    this.#permit.release();
  }

  /** `using guard = …` releases at the end of the scope. */
  [Symbol.dispose](): void {
    this.release();
  }

  /** The cell and permit, taking them from this guard (for `downgrade`). @internal */
  protected take(): { cell: Cell<T>; permit: SemaphorePermit } {
    const cell = this.held();
    this.#cell = undefined;
    return { cell, permit: this.#permit };
  }

  /** The cell, or GuardReleasedError once released. @internal */
  protected held(): Cell<T> {
    if (this.#cell === undefined) throw new GuardReleasedError('RwLock guard');
    return this.#cell;
  }
}

/**
 * Shared read access to an {@link RwLock}'s value, until released.
 * @example
 * ```ts
 * import { RwLock } from '@zokio/sync';
 * using r = new RwLock([1, 2]).tryRead()!;
 * r.value.length; // 2
 * ```
 * @category Locks
 */
export class RwLockReadGuard<T> extends Guard<T> {
  /** The protected value (do not mutate it through a read guard). @throws GuardReleasedError after release. */
  get value(): T {
    return this.held().value;
  }
}

/**
 * Exclusive write access to an {@link RwLock}'s value, until released or downgraded.
 * @example
 * ```ts
 * import { RwLock } from '@zokio/sync';
 * using w = new RwLock(1).tryWrite()!;
 * w.value += 1;
 * ```
 * @category Locks
 */
export class RwLockWriteGuard<T> extends Guard<T> {
  /** The protected value. @throws GuardReleasedError after release. */
  get value(): T {
    return this.held().value;
  }

  set value(value: T) {
    this.held().value = value;
  }

  /**
   * Turns this write guard into a read guard without letting a writer in between: it keeps one permit and gives
   * the rest back, so waiting readers at the head of the queue get in.
   * @example
   * ```ts
   * import { RwLock } from '@zokio/sync';
   * const lock = new RwLock(1);
   * const w = lock.tryWrite()!;
   * w.value = 2;
   * const r = w.downgrade();
   * lock.tryRead()?.value; // 2
   * ```
   */
  downgrade(): RwLockReadGuard<T> {
    const { cell, permit } = this.take();
    const read = permit.split(1);
    permit.release();
    return new RwLockReadGuard(cell, read);
  }
}
