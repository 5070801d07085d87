/**
 * {@link Arena}: one large `ArrayBuffer`, allocated once, that pooled I/O buffers are carved from.
 *
 * An arena is the unit the I/O driver registers with the kernel: once per arena, for the pool's whole life (with
 * io_uring, as one fixed-buffer iovec whose `buf_index` is the arena's `id`). Buffers are then named as
 * `(arena id, byte offset, length)`, three integers the driver copies into its submission staging buffer without
 * creating a JS object per op.
 *
 * ## Invariants
 * 1. `buffer` is allocated in the constructor and never replaced, resized, transferred or detached, so its backing
 *    store, and the address the driver registered, are fixed for the arena's life. `bytes` is the one view over all
 *    of it, created once. Every pooled buffer's `bytes.buffer` *is* this `buffer`, so any holder of one could
 *    otherwise detach the whole arena (`postMessage(x, [buf.bytes.buffer])`, `structuredClone` with `transfer`): the
 *    constructor marks it untransferable (`markAsUntransferable`), and such a transfer copies the bytes instead (Node
 *    20) or throws a `DataCloneError` (Node 21 and later), leaving the arena whole.
 * 2. An arena is never freed while its pool lives: the pool keeps every arena it created in its arena list, and every
 *    pooled buffer references its arena. V8 frees an unreferenced `ArrayBuffer` even while the kernel is still
 *    reading into it; a buffer handed to the kernel must stay reachable from JS (the op record holds its
 *    {@link IoBuf}, which holds the arena) until the op's final completion. Dropping the pool does not change this:
 *    memory goes back only when the pool *and* every buffer from it are unreachable.
 * 3. `id` is a small integer, dense from 0 in creation order within one pool (0, 1, 2, …), so it can index the
 *    driver's registration table directly. Ids are unique per pool, not across pools.
 *
 * @module
 */
import { markAsUntransferable } from 'node:worker_threads';
import { expected } from '@zokio/future';

/**
 * The largest arena, in bytes (1 GiB): io_uring refuses to register a fixed buffer larger than that (`SZ_1G` in
 * `io_uring/rsrc.c`), and an arena is registered whole.
 *
 * @example
 * ```ts
 * import { BufferPool, MAX_ARENA_BYTES } from '@zokio/memory';
 * new BufferPool({ arenaBytes: MAX_ARENA_BYTES, maxBytes: MAX_ARENA_BYTES, initialArenas: 0 }).arenaBytes; // 1073741824
 * ```
 * @category Memory
 */
export const MAX_ARENA_BYTES = 1 << 30;

/**
 * One large `ArrayBuffer` allocated once, with a small integer `id` and a stable `Uint8Array` over all of it.
 * Normally created by a {@link BufferPool}, which also carves it; the driver sees arenas through
 * `BufferPool.onArena`.
 *
 * @example
 * ```ts
 * import { Arena } from '@zokio/memory';
 * const arena = new Arena(0, 65536);
 * arena.bytes.byteLength; // 65536
 * arena.bytes.buffer === arena.buffer; // true
 * ```
 * @category Memory
 */
export class Arena {
  /** Small integer naming the arena within its pool: 0, 1, 2, … in creation order. */
  readonly id: number;
  /** Size of the arena in bytes. */
  readonly byteLength: number;
  /** The memory itself; never replaced or detached (it is marked untransferable). Register this with the kernel. */
  readonly buffer: ArrayBuffer;
  /** A view over the whole arena, created once. */
  readonly bytes: Uint8Array;

  constructor(id: number, byteLength: number) {
    if (!Number.isInteger(id) || id < 0) expected('a non-negative integer arena id', id, 'new Arena');
    if (!Number.isInteger(byteLength) || byteLength <= 0 || byteLength > MAX_ARENA_BYTES) {
      expected(`an arena size from 1 to ${MAX_ARENA_BYTES} bytes`, byteLength, 'new Arena');
    }
    this.id = id;
    this.byteLength = byteLength;
    this.buffer = new ArrayBuffer(byteLength);
    // Not detachable through a pooled buffer's `bytes.buffer`: a transfer copies (or throws) instead.
    markAsUntransferable(this.buffer);
    this.bytes = new Uint8Array(this.buffer);
  }
}
