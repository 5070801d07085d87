/**
 * Size classes: the power-of-two chunk sizes a {@link BufferPool} hands out, from {@link MIN_BUFFER_BYTES} (256 B)
 * to {@link MAX_BUFFER_BYTES} (64 KiB), nine classes in all.
 *
 * ```
 *   class    0     1     2      3      4      5       6       7       8
 *   bytes   256   512   1 Ki   2 Ki   4 Ki   8 Ki   16 Ki   32 Ki   64 Ki
 * ```
 *
 * A request of `size` bytes gets a chunk of the smallest class that holds it: `class = ⌈log2 size⌉ − 8`, one
 * `Math.clz32`, no table. Powers of two waste under half of a chunk in the worst case and keep every chunk aligned
 * to its own size inside its arena, which `O_DIRECT` (512 B or 4 KiB alignment) needs from offsets anyway.
 *
 * Why these bounds:
 * - 64 KiB on top: Node reads sockets 64 KiB at a time, `fs.createReadStream` defaults to a 64 KiB
 *   `highWaterMark`, and a single recv seldom fills more. Larger transfers loop over 64 KiB ops; a larger top class
 *   would also make the page (see `slab.ts`), and so the smallest unit of growth, larger.
 * - 256 B at the bottom: each chunk costs one {@link IoBuf} and one `Uint8Array` view (roughly 150 bytes of heap
 *   together), so smaller chunks would be mostly overhead, and I/O that small is rare. Both bounds were picked by
 *   reasoning, not measured; they can be tuned with data.
 *
 * @module
 */
import { expected } from '@zokio/future';

/** log2 of the smallest class. @internal */
export const MIN_CLASS_SHIFT = 8;
/** log2 of the largest class. @internal */
export const MAX_CLASS_SHIFT = 16;

/**
 * The smallest chunk a {@link BufferPool} hands out, in bytes (256): `acquire(1)` gets one of these.
 *
 * @example
 * ```ts
 * import { BufferPool, MIN_BUFFER_BYTES } from '@zokio/memory';
 * new BufferPool().acquire(1).capacity === MIN_BUFFER_BYTES; // true
 * ```
 * @category Size classes
 */
export const MIN_BUFFER_BYTES = 1 << MIN_CLASS_SHIFT;

/**
 * The largest size `BufferPool.acquire` accepts, in bytes (65,536); larger requests throw `BufferTooLargeError`.
 * Clamp an op to it: `pool.acquire(Math.min(wanted, MAX_BUFFER_BYTES))`.
 *
 * @example
 * ```ts
 * import { BufferPool, MAX_BUFFER_BYTES } from '@zokio/memory';
 * const buf = new BufferPool().acquire(Math.min(1_000_000, MAX_BUFFER_BYTES));
 * buf.length; // 65536
 * ```
 * @category Size classes
 */
export const MAX_BUFFER_BYTES = 1 << MAX_CLASS_SHIFT;

/**
 * How many size classes there are (9).
 *
 * @example
 * ```ts
 * import { SIZE_CLASS_COUNT, sizeClassBytes } from '@zokio/memory';
 * sizeClassBytes(SIZE_CLASS_COUNT - 1); // 65536
 * ```
 * @category Size classes
 */
export const SIZE_CLASS_COUNT = MAX_CLASS_SHIFT - MIN_CLASS_SHIFT + 1;

/**
 * The size class of a request: the index of the smallest class whose chunks hold `size` bytes. `size` must be an
 * integer from 1 to {@link MAX_BUFFER_BYTES} (a `TypeError` otherwise).
 *
 * @example
 * ```ts
 * import { sizeClassOf } from '@zokio/memory';
 * [sizeClassOf(1), sizeClassOf(256), sizeClassOf(257), sizeClassOf(65536)]; // [0, 0, 1, 8]
 * ```
 * @category Size classes
 */
export function sizeClassOf(size: number): number {
  if (!Number.isInteger(size) || size < 1 || size > MAX_BUFFER_BYTES) {
    expected(`a size that is an integer from 1 to ${MAX_BUFFER_BYTES}`, size, 'sizeClassOf');
  }
  return classOf(size);
}

/** {@link sizeClassOf} without the check, for callers that checked `size` already. @internal */
export function classOf(size: number): number {
  return size <= MIN_BUFFER_BYTES ? 0 : 32 - Math.clz32(size - 1) - MIN_CLASS_SHIFT;
}

/**
 * The chunk size of size class `sizeClass` (an integer from 0 to `SIZE_CLASS_COUNT - 1`), in bytes.
 *
 * @example
 * ```ts
 * import { sizeClassBytes } from '@zokio/memory';
 * sizeClassBytes(2); // 1024
 * ```
 * @category Size classes
 */
export function sizeClassBytes(sizeClass: number): number {
  if (!Number.isInteger(sizeClass) || sizeClass < 0 || sizeClass >= SIZE_CLASS_COUNT) {
    expected(`a size class that is an integer from 0 to ${SIZE_CLASS_COUNT - 1}`, sizeClass, 'sizeClassBytes');
  }
  return MIN_BUFFER_BYTES << sizeClass;
}
