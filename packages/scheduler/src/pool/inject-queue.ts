/**
 * {@link InjectQueue}: the pool's shared queue of job ids, in a `SharedArrayBuffer` — where jobs spawned from
 * outside the workers (the main thread) wait, and where a worker's deque overflows to, as Tokio's inject queue.
 *
 * Dmitry Vyukov's bounded multi-producer multi-consumer queue: a ring of cells, each with a sequence number that
 * says whose turn the cell is. A producer claims position `p` by CAS on `tail` when cell `p`'s sequence is `p`,
 * writes the job, then sets the sequence to `p + 1` (published); a consumer claims `c` by CAS on `head` when the
 * sequence is `c + 1`, reads the job, then sets the sequence to `c + capacity` (free for the producer one lap later).
 * No thread ever waits on another inside an operation: a claim that loses a CAS retries with the new position.
 *
 * ## Layout (`Int32Array`)
 * | index                 | what                                   |
 * | --------------------- | -------------------------------------- |
 * | 0                     | `head`: next position to take          |
 * | 1                     | `tail`: next position to fill          |
 * | 2 + 2i, 3 + 2i        | cell i: sequence, job id               |
 *
 * Positions are 32-bit counters compared by wrapping difference, so the queue runs forever; a full queue refuses
 * `push` (the caller runs the job itself or retries), an empty one returns {@link EMPTY}.
 *
 * @module
 */
import { EMPTY } from './deque.js';
import { checkRingCapacity, isRingCapacity } from './ring-capacity.js';

export { EMPTY };

const HEAD = 0;
const TAIL = 1;
const CELLS = 2;

/** A bounded MPMC queue of non-negative int32 job ids over shared memory. See the module doc. */
export class InjectQueue {
  readonly #cells: Int32Array;
  readonly #mask: number;
  /** The jobs it can hold. */
  readonly capacity: number;

  /** A queue over `buffer` from {@link InjectQueue.allocate} (on this thread or another). */
  constructor(buffer: SharedArrayBuffer) {
    const slots = (buffer.byteLength / 4 - CELLS) / 2;
    if (!(buffer instanceof SharedArrayBuffer) || !isRingCapacity(slots))
      throw new TypeError(
        `InjectQueue: Expected a SharedArrayBuffer from InjectQueue.allocate, got ${buffer.byteLength} bytes`,
      );
    this.#cells = new Int32Array(buffer);
    this.capacity = slots;
    this.#mask = slots - 1;
  }

  /** The shared memory for a queue of `capacity` jobs (a power of two, 2 – 2²⁰), cells numbered for the first lap. */
  static allocate(capacity: number): SharedArrayBuffer {
    checkRingCapacity(capacity, 'InjectQueue.allocate: Expected a capacity');
    const buffer = new SharedArrayBuffer(4 * (CELLS + 2 * capacity));
    const cells = new Int32Array(buffer);
    for (let i = 0; i < capacity; i++) cells[CELLS + 2 * i] = i;
    return buffer;
  }

  /** Jobs queued now (a snapshot). */
  get length(): number {
    const n = (Atomics.load(this.#cells, TAIL) - Atomics.load(this.#cells, HEAD)) | 0;
    return n < 0 ? 0 : Math.min(n, this.capacity);
  }

  /** Any thread. Adds `job`; false if the queue is full. */
  push(job: number): boolean {
    const cells = this.#cells;
    for (;;) {
      const p = Atomics.load(cells, TAIL);
      const cell = CELLS + 2 * (p & this.#mask);
      const lag = (Atomics.load(cells, cell) - p) | 0;
      if (lag === 0) {
        if (Atomics.compareExchange(cells, TAIL, p, (p + 1) | 0) !== p) continue; // another producer took p
        Atomics.store(cells, cell + 1, job);
        Atomics.store(cells, cell, (p + 1) | 0); // publish
        return true;
      }
      if (lag < 0) return false; // the cell still holds last lap's job: full
      // lag > 0: another producer moved tail on meanwhile; try again with the new tail
    }
  }

  /** Any thread. Takes the oldest job, or returns {@link EMPTY}. */
  pop(): number {
    const cells = this.#cells;
    for (;;) {
      const c = Atomics.load(cells, HEAD);
      const cell = CELLS + 2 * (c & this.#mask);
      const lag = (Atomics.load(cells, cell) - ((c + 1) | 0)) | 0;
      if (lag === 0) {
        if (Atomics.compareExchange(cells, HEAD, c, (c + 1) | 0) !== c) continue; // another consumer took c
        const job = Atomics.load(cells, cell + 1);
        Atomics.store(cells, cell, (c + this.capacity) | 0); // free for the producer one lap later
        return job;
      }
      if (lag < 0) return EMPTY; // not published yet: empty (or a producer is mid-push)
      // lag > 0: another consumer moved head on meanwhile
    }
  }
}
