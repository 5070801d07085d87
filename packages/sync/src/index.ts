/**
 * # @zokio/sync
 *
 * Synchronisation primitives and channels for zokio tasks, after `tokio::sync`: locks and signals (`Mutex`,
 * `RwLock`, `Semaphore`, `Notify`, `Barrier`, `OnceCell`) and channels (`mpsc`, `oneshot`, `broadcast`, `watch`).
 * Every waiter queue is FIFO, and every future documents whether it is cancel-safe and what is lost if it is dropped.
 *
 * @packageDocumentation
 */
export * from './lock/index.js';
export * from './channel/index.js';
