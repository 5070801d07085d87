/**
 * {@link IoBuf}: a pooled I/O buffer, the view `(arena, offset, length)` of one chunk of an {@link Arena}.
 *
 * ## Why one object per chunk, reused
 * A chunk's `IoBuf`, and its `Uint8Array` view, are created once, when a slab carves the chunk out of an arena, and
 * are the same objects every time the chunk is acquired again: acquiring sets `length`, releasing flips a bit in the
 * slab, and neither creates anything. The alternatives were worse for the two audiences:
 * - integer handles (`arena << 24 | chunk`) with accessor functions allocate nothing either, but every JS caller
 *   would need a view to touch the bytes, and a view made per use is exactly the per-op allocation to avoid;
 * - a fresh `{ arena, offset, length }` per acquire is one object and one view per op, for the GC to chase.
 *
 * ## What the driver reads
 * `arenaId` and `offset` are plain integer fields and `length` a getter over one private field (nothing is computed),
 * so encoding a buffer into the driver's shared staging buffer is three loads and three stores. `bytes` is the chunk's view for JS code.
 *
 * ## Invariants
 * 1. `arena`, `arenaId`, `offset`, `capacity`, `sizeClass` and `bytes` never change; `bytes` covers exactly
 *    `[offset, offset + capacity)` of the arena, and no two chunks of one pool overlap.
 * 2. `length` is set by `acquire` to the size asked for, and `1 ≤ length ≤ capacity`. It is the byte count for the
 *    operation; `bytes` is longer when the size was not a power of two (take `bytes.subarray(0, length)` when an exact
 *    view matters, which allocates).
 * 3. A buffer is in use from `acquire` to `release`. While released it belongs to the pool, which may hand the same
 *    object to the next `acquire`: drop a buffer when you release it.
 *
 * @module
 */
import type { Arena } from './arena.js';

/** What an {@link IoBuf} asks of the slab that owns its chunk. @internal */
export interface ChunkOwner {
  /** The pool the slab belongs to (identity only: the foreign-buffer check). */
  readonly pool: object;
  /** True while chunk `index` is handed out. */
  isLive(index: number): boolean;
}

/** What the slab and the pool may do with an `IoBuf`'s private state (a "friend"). @internal */
export interface IoBufInternals {
  /** True if `value` is a real `IoBuf` (made by its constructor), not merely an object inheriting its prototype. */
  is(value: unknown): value is IoBuf;
  owner(buf: IoBuf): ChunkOwner;
  index(buf: IoBuf): number;
  setLength(buf: IoBuf, length: number): void;
}
/** @internal */
export let ioBufInternals!: IoBufInternals;

/**
 * A pooled I/O buffer: `length` bytes at byte `offset` of arena `arenaId`, viewed from JS through `bytes`. Get one
 * from `BufferPool.acquire` and give it back with `BufferPool.release`; never construct one.
 *
 * @example
 * ```ts
 * import { BufferPool } from '@zokio/memory';
 * const pool = new BufferPool();
 * const buf = pool.acquire(1000);
 * buf.length; // 1000 (the size asked for)
 * buf.capacity; // 1024 (the size class)
 * buf.bytes.set([1, 2, 3]);
 * buf.arena.bytes[buf.offset + 2]; // 3: the view is the arena's memory
 * pool.release(buf);
 * ```
 * @category Memory
 */
export class IoBuf {
  /** The arena holding the chunk; keeps it reachable for as long as this buffer is. */
  readonly arena: Arena;
  /** `arena.id`, copied so the driver reads a field, not a chain. */
  readonly arenaId: number;
  /** Byte offset of the chunk in its arena; a multiple of `capacity`. */
  readonly offset: number;
  /** Size of the chunk in bytes: the size class, a power of two. */
  readonly capacity: number;
  /** Index of the chunk's size class (see `sizeClassOf`). */
  readonly sizeClass: number;
  /** The chunk's bytes: a view of `capacity` bytes at `offset` in the arena, created once with the chunk. */
  readonly bytes: Uint8Array;
  /** The slab that owns the chunk. */
  readonly #owner: ChunkOwner;
  /** Index of the chunk in its slab's tables. */
  readonly #index: number;
  /** The size asked for by the current `acquire`. */
  #length = 0;

  /** @internal Chunks are created by slabs only. */
  constructor(owner: ChunkOwner, index: number, arena: Arena, offset: number, sizeClass: number, capacity: number) {
    this.#owner = owner;
    this.#index = index;
    this.arena = arena;
    this.arenaId = arena.id;
    this.offset = offset;
    this.sizeClass = sizeClass;
    this.capacity = capacity;
    this.bytes = new Uint8Array(arena.buffer, offset, capacity);
  }

  /** The byte count of the current operation: the size passed to `acquire` (at most `capacity`). */
  get length(): number {
    return this.#length;
  }

  /** True from `acquire` until `release`. */
  get inUse(): boolean {
    return this.#owner.isLive(this.#index);
  }

  static {
    ioBufInternals = {
      // A brand check, not `instanceof`: `Object.create(IoBuf.prototype)` passes `instanceof` but has no `#owner`.
      is: (value): value is IoBuf => typeof value === 'object' && value !== null && #owner in value,
      owner: (buf) => buf.#owner,
      index: (buf) => buf.#index,
      setLength: (buf, length) => {
        buf.#length = length;
      },
    };
  }
}
