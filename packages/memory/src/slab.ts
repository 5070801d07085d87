/**
 * {@link Slab}: the chunks of one size class and their free list. Internal to the pool.
 *
 * ## Layout
 * Arenas are cut into pages of {@link PAGE_BYTES} (64 KiB, the largest class). A page goes to the first size class
 * that needs room and stays with it for the pool's life; that class cuts it into equal chunks, each with its
 * {@link IoBuf} created there and then.
 * ```
 *   arena 0 (4 MiB = 64 pages)                                                     next page ─┐
 *   ┌──────────────────┬──────────────────┬──────────────────┬──────────────────┬─────────────▼───────────┐
 *   │ page 0           │ page 1           │ page 2           │ page 3           │ not carved yet …        │
 *   │ class 4: 16×4 Ki │ class 0: 256×256 │ class 4: 16×4 Ki │ class 8: 1×64 Ki │                         │
 *   └──────────────────┴──────────────────┴──────────────────┴──────────────────┴─────────────────────────┘
 *
 *   slab of class 4 (4 KiB chunks)      chunk index:   0        1          …  15        16          …
 *     chunks  IoBuf[]        ─────────────────────► (a0,0)   (a0,4096)   … (a0,61440) (a0,131072)  …
 *     live    Uint8Array                               1        0        …    1          0          …
 *     free    Int32Array stack of chunk indices     [ 31, 30, …, 17, 16, 1 ]  ◄─ top: next pop
 * ```
 *
 * ## Invariants
 * 1. Every chunk index `i < chunks.length` is in exactly one place: on the free stack (`live[i] = 0`) or handed out
 *    (`live[i] = 1`). `inUse + free = chunks.length`.
 * 2. `pop` and `push` allocate nothing: they move an index between the stack and the caller and flip `live[i]`.
 *    Only `addPage` allocates (the page's `IoBuf`s, and a larger stack when the old one is full), and the pool calls
 *    it only when the stack is empty: growth, not steady state.
 * 3. Chunks are never returned to their page or their page to the arena, so an `IoBuf`'s identity, and the
 *    address the driver registered, hold for the pool's life.
 *
 * @module
 */
import type { Arena } from './arena.js';
import { BufferReleasedError } from './errors.js';
import { ioBufInternals, IoBuf, type ChunkOwner } from './io-buf.js';
import { MAX_BUFFER_BYTES, sizeClassBytes } from './size-class.js';

/** The unit arenas are cut into and classes grow by: one chunk of the largest class. */
export const PAGE_BYTES = MAX_BUFFER_BYTES;

/** One size class: its chunks, which of them are handed out, and a stack of the free ones. */
export class Slab implements ChunkOwner {
  readonly pool: object;
  readonly sizeClass: number;
  /** Chunk size in bytes. */
  readonly chunkBytes: number;
  /** Every chunk carved so far, by index; an index never changes owner. */
  readonly chunks: IoBuf[] = [];
  /** Highest `inUse` seen. */
  highWater = 0;
  /** Chunks handed out. */
  inUse = 0;
  /** Free chunk indices; `free[0 … top)` is the stack. */
  #free = new Int32Array(0);
  #top = 0;
  /** `live[i]` is 1 while chunk `i` is handed out. */
  #live = new Uint8Array(0);

  constructor(pool: object, sizeClass: number) {
    this.pool = pool;
    this.sizeClass = sizeClass;
    this.chunkBytes = sizeClassBytes(sizeClass);
  }

  /** Free chunks. */
  get free(): number {
    return this.#top;
  }

  isLive(index: number): boolean {
    return this.#live[index] === 1;
  }

  /** Takes a free chunk for an op of `length` bytes, or `undefined` if none is free (the pool then adds a page). */
  pop(length: number): IoBuf | undefined {
    if (this.#top === 0) return undefined;
    const index = this.#free[--this.#top]!;
    const buf = this.chunks[index]!;
    this.#live[index] = 1;
    ioBufInternals.setLength(buf, length);
    if (++this.inUse > this.highWater) this.highWater = this.inUse;
    return buf;
  }

  /** Puts a handed-out chunk back on the free stack; throws if it is already there. */
  push(buf: IoBuf): void {
    const index = ioBufInternals.index(buf);
    if (this.#live[index] !== 1) throw new BufferReleasedError();
    this.#live[index] = 0;
    this.#free[this.#top++] = index;
    this.inUse--;
  }

  /** Cuts the page at `offset` of `arena` into chunks of this class and puts them all on the free stack. */
  addPage(arena: Arena, offset: number): void {
    const count = PAGE_BYTES / this.chunkBytes;
    const first = this.chunks.length;
    const total = first + count;
    if (this.#free.length < total) {
      // Double, so a class that keeps growing copies O(total) in all; the stack must hold every chunk at once.
      const size = Math.max(total, this.#free.length * 2);
      const free = new Int32Array(size);
      free.set(this.#free.subarray(0, this.#top));
      this.#free = free;
      const live = new Uint8Array(size);
      live.set(this.#live);
      this.#live = live;
    }
    for (let i = 0; i < count; i++) {
      this.chunks.push(
        new IoBuf(this, first + i, arena, offset + i * this.chunkBytes, this.sizeClass, this.chunkBytes),
      );
    }
    // Pushed last-first so the page is handed out in address order.
    for (let i = count - 1; i >= 0; i--) this.#free[this.#top++] = first + i;
  }
}
