/**
 * {@link JobDeque}: a Chase-Lev work-stealing deque of job ids in a `SharedArrayBuffer`, usable from every thread.
 *
 * One thread owns a deque: it pushes and pops at the *bottom* (LIFO: the job it just spawned is the hottest). Any
 * other thread steals from the *top* (FIFO: the oldest job, the one most likely to spawn more). The algorithm is
 * Chase and Lev's ("Dynamic Circular Work-Stealing Deque", SPAA 2005) in the fixed-capacity form with the
 * corrections of Lê et al. ("Correct and Efficient Work-Stealing for Weak Memory Models", PPoPP 2013); JavaScript's
 * `Atomics` operations are sequentially consistent, which is stronger than the fences that paper places.
 *
 * ## Layout (`Int32Array` over the buffer)
 * | index         | what                                                              |
 * | ------------- | ----------------------------------------------------------------- |
 * | 0             | `top`: where thieves take; only ever incremented (by CAS)         |
 * | 1             | `bottom`: where the owner pushes; written by the owner only       |
 * | 2 … 2 + cap   | the ring of job ids (`index & (cap − 1)`)                         |
 *
 * ## Invariants
 * - `bottom − top` (in 32-bit wrapping arithmetic) is the number of jobs, between 0 and `capacity`.
 * - **ABA**: `top` is a counter, never a slot index, and only grows; a thief's CAS from `t` to `t + 1` can only
 *   succeed if no other take happened in between, unless exactly 2³² of them did — the counter's wrap-around is the
 *   ABA window, and it is out of reach.
 * - The last job (`top == bottom − 1`) is contended: the owner's `pop` takes it only by winning the same CAS on
 *   `top` that thieves use, so a job is taken exactly once.
 * - A full deque refuses `push` (returns false): the caller sends the job to the shared inject queue instead, as
 *   Tokio's local queue overflows into its inject queue.
 *
 * @module
 */

/** What `pop` and `steal` return when there is no job. */
export const EMPTY = -1;
/** What `steal` returns when it lost a race with another taker: the deque may still have jobs. */
export const RETRY = -2;

import { checkRingCapacity, isRingCapacity } from './ring-capacity.js';

const TOP = 0;
const BOTTOM = 1;
const HEADER = 2;

/** A work-stealing deque of non-negative int32 job ids, over shared memory. See the module doc. */
export class JobDeque {
  readonly #cells: Int32Array;
  readonly #mask: number;
  /** The jobs it can hold. */
  readonly capacity: number;

  /** A deque over `buffer` (from {@link JobDeque.allocate}, or a buffer another thread allocated). */
  constructor(buffer: SharedArrayBuffer) {
    const slots = buffer.byteLength / 4 - HEADER;
    if (!(buffer instanceof SharedArrayBuffer) || !isRingCapacity(slots))
      throw new TypeError(
        `JobDeque: Expected a SharedArrayBuffer of 4 × (2 + a power of two from 2 to 2^20) bytes, got ${buffer.byteLength} bytes`,
      );
    this.#cells = new Int32Array(buffer);
    this.capacity = slots;
    this.#mask = slots - 1;
  }

  /** The shared memory for a deque of `capacity` jobs (a power of two, 2 – 2²⁰). */
  static allocate(capacity: number): SharedArrayBuffer {
    checkRingCapacity(capacity, 'JobDeque.allocate: Expected a capacity');
    return new SharedArrayBuffer(4 * (HEADER + capacity));
  }

  /** Jobs in the deque now (a snapshot: thieves may be taking). */
  get length(): number {
    const n = (Atomics.load(this.#cells, BOTTOM) - Atomics.load(this.#cells, TOP)) | 0;
    return n < 0 ? 0 : n;
  }

  /** Owner only. Adds `job` at the bottom; false if the deque is full. */
  push(job: number): boolean {
    const cells = this.#cells;
    const b = Atomics.load(cells, BOTTOM);
    const t = Atomics.load(cells, TOP);
    if (((b - t) | 0) >= this.capacity) return false;
    Atomics.store(cells, HEADER + (b & this.#mask), job);
    Atomics.store(cells, BOTTOM, (b + 1) | 0); // publishes the job: a thief that sees the new bottom sees the slot
    return true;
  }

  /** Owner only. Takes the newest job, or returns {@link EMPTY}. */
  pop(): number {
    const cells = this.#cells;
    const b = (Atomics.load(cells, BOTTOM) - 1) | 0;
    Atomics.store(cells, BOTTOM, b); // reserve the bottom slot before looking at top
    const t = Atomics.load(cells, TOP);
    const size = (b - t) | 0;
    if (size < 0) {
      Atomics.store(cells, BOTTOM, (b + 1) | 0); // it was empty: undo
      return EMPTY;
    }
    const job = Atomics.load(cells, HEADER + (b & this.#mask));
    if (size > 0) return job; // more than one left: no thief can reach this one
    // The last job: take it only by winning the race on top, as a thief would.
    const won = Atomics.compareExchange(cells, TOP, t, (t + 1) | 0) === t;
    Atomics.store(cells, BOTTOM, (b + 1) | 0);
    return won ? job : EMPTY;
  }

  /** Any thread. Takes the oldest job; {@link EMPTY} if there is none, {@link RETRY} if another taker won it. */
  steal(): number {
    const cells = this.#cells;
    const t = Atomics.load(cells, TOP);
    const b = Atomics.load(cells, BOTTOM);
    if (((b - t) | 0) <= 0) return EMPTY;
    const job = Atomics.load(cells, HEADER + (t & this.#mask));
    return Atomics.compareExchange(cells, TOP, t, (t + 1) | 0) === t ? job : RETRY;
  }

  /**
   * The owner of `into` only. Moves half of this deque's jobs (rounded up) into `into`, oldest first, as far as
   * `into` has room, and returns how many (Tokio's steal-half: one trip to a victim feeds a thief for a while).
   * Stops early if another taker wins a race.
   */
  stealHalf(into: JobDeque): number {
    // Only the caller adds to `into` (thieves only take from it), so the room seen now can only grow.
    const want = Math.min(Math.ceil(this.length / 2), into.capacity - into.length);
    let moved = 0;
    while (moved < want) {
      const job = this.steal();
      if (job === EMPTY || job === RETRY) break;
      into.push(job);
      moved++;
    }
    return moved;
  }
}
