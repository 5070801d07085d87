/**
 * The errors of the locks and signals. Each has a stable `code`; match on it (or `instanceof`), never on the message.
 * Bad arguments are not here: they throw a `TypeError` from `expected` ("Expected …, got …").
 *
 * @module
 */
import { ZokioError } from '@zokio/future';

/**
 * Thrown by `Semaphore.acquire` (when polled) and `Semaphore.tryAcquire` once the semaphore is closed, and by
 * every waiter queued when `close()` was called.
 *
 * @example
 * ```ts
 * import { Semaphore, SemaphoreClosedError } from '@zokio/sync';
 * const s = new Semaphore(1);
 * s.close();
 * try { s.tryAcquire(); } catch (e) { e instanceof SemaphoreClosedError; } // true
 * ```
 * @category Errors
 */
export class SemaphoreClosedError extends ZokioError {
  constructor() {
    super(
      'ERR_ZOKIO_SEMAPHORE_CLOSED',
      'Expected an open semaphore, got a closed one (Semaphore.close() was called before this acquire completed)',
    );
  }
}

/**
 * Thrown when a lock guard or permit is used after `release()`: the access would race with the next holder.
 *
 * @example
 * ```ts
 * import { Mutex } from '@zokio/sync';
 * const guard = new Mutex(1).tryLock()!;
 * guard.release();
 * try { guard.value; } catch (e) { (e as { code: string }).code; } // 'ERR_ZOKIO_GUARD_RELEASED'
 * ```
 * @category Errors
 */
export class GuardReleasedError extends ZokioError {
  constructor(what: string) {
    super('ERR_ZOKIO_GUARD_RELEASED', `Expected a held ${what}, got one that was already released`);
  }
}

/**
 * Thrown by `OnceCell.set`: the cell already holds a value (`isAlreadyInitialized()`), or an initializer started by
 * `getOrInit` is running (`isInitializing()`).
 *
 * @example
 * ```ts
 * import { OnceCell } from '@zokio/sync';
 * const cell = new OnceCell<number>();
 * cell.set(1);
 * try { cell.set(2); } catch (e) { (e as { code: string }).code; } // 'ERR_ZOKIO_ONCE_CELL_INITIALIZED'
 * ```
 * @category Errors
 */
export class OnceCellSetError extends ZokioError {
  constructor(initializing: boolean) {
    super(
      initializing ? 'ERR_ZOKIO_ONCE_CELL_INITIALIZING' : 'ERR_ZOKIO_ONCE_CELL_INITIALIZED',
      initializing
        ? 'Expected an empty OnceCell, got one whose initializer is running'
        : 'Expected an empty OnceCell, got one that already holds a value',
    );
  }

  /** The cell already held a value. */
  isAlreadyInitialized(): boolean {
    return this.code === 'ERR_ZOKIO_ONCE_CELL_INITIALIZED';
  }

  /** A `getOrInit` initializer was running. */
  isInitializing(): boolean {
    return this.code === 'ERR_ZOKIO_ONCE_CELL_INITIALIZING';
  }
}

/** The error a future throws when polled after it finished: the one `@zokio/future` defines. */
export { polledAfterCompletion } from '@zokio/future';
