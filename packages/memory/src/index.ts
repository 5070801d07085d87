/**
 * # @zokio/memory
 *
 * The memory layer of zokio's I/O drivers: large arenas allocated once as `ArrayBuffer`s and registered once with
 * the driver; power-of-two size-class slabs carved from them; {@link IoBuf}, a reusable `(arena, offset, length)`
 * view of one chunk; {@link BufferPool}, which hands them out; and {@link ObjectPool}, a free list for op records.
 * Once a pool has grown to its working set, acquiring and releasing allocate nothing.
 *
 * @packageDocumentation
 */
export { Arena, MAX_ARENA_BYTES } from './arena.js';
export { IoBuf } from './io-buf.js';
export { isDetached } from './detached.js';
export { MAX_BUFFER_BYTES, MIN_BUFFER_BYTES, SIZE_CLASS_COUNT, sizeClassBytes, sizeClassOf } from './size-class.js';
export { BufferPool, type BufferPoolOptions, type BufferPoolStats, type SizeClassStats } from './buffer-pool.js';
export { BufferWait } from './buffer-wait.js';
export { ObjectPool, type ObjectPoolOptions, type ObjectPoolStats } from './object-pool.js';
export {
  BufferReleasedError,
  BufferTooLargeError,
  ForeignBufferError,
  PoolClosedError,
  PoolExhaustedError,
  PoolReentrantError,
} from './errors.js';
