/**
 * Locks and signals: {@link Semaphore}, {@link Mutex}, {@link RwLock}, {@link Notify}, {@link Barrier},
 * {@link OnceCell}. Every waiter queue is FIFO by first poll; each future's doc says what dropping it loses.
 *
 * @module
 */
export { Semaphore, SemaphorePermit } from './semaphore.js';
export { Mutex, MutexGuard } from './mutex.js';
export { RwLock, RwLockReadGuard, RwLockWriteGuard } from './rw-lock.js';
export { Notify } from './notify.js';
export { Barrier, type BarrierWaitResult } from './barrier.js';
export { OnceCell } from './once-cell.js';
export { GuardReleasedError, OnceCellSetError, SemaphoreClosedError } from './errors.js';
