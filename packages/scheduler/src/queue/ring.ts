/**
 * A growable FIFO ring buffer: the run queues' storage.
 *
 * ```
 *   head                tail
 *    v                   v
 *  [ . | a | b | c | d | . | . | . ]   capacity = 8 (a power of two), length = 4
 * ```
 * `push` writes at `(head + length) & mask`, `shift` reads at `head`; both O(1) with no allocation. When full, the
 * buffer doubles and is unrolled so `head` is 0; when a large buffer empties it is given back, so a burst of a
 * million spawns does not pin 8 MiB for the life of the scheduler. Never `Array.prototype.shift`: it is O(n) on large arrays.
 * Capacity must be a power of two so the index wraps with a mask instead of `%`.
 *
 * @module
 */
import { expected } from '@zokio/future';

/** The largest initial capacity (a ring still grows past it as it fills). */
const MAX_INITIAL_CAPACITY = 2 ** 20;

/** Capacity from which an emptied buffer is replaced by a fresh small one. */
const SHRINK_ABOVE = 4096;

export class RingQueue<T> {
  #buffer: (T | undefined)[];
  #mask: number;
  readonly #initialCapacity: number;
  #head = 0;
  #length = 0;

  constructor(initialCapacity = 64) {
    if (!Number.isInteger(initialCapacity) || initialCapacity < 0 || initialCapacity > MAX_INITIAL_CAPACITY) {
      expected('an initial capacity that is an integer from 0 to 2^20', initialCapacity, 'new RingQueue');
    }
    const capacity = 1 << Math.ceil(Math.log2(Math.max(2, initialCapacity)));
    this.#initialCapacity = capacity;
    this.#buffer = new Array<T | undefined>(capacity).fill(undefined);
    this.#mask = capacity - 1;
  }

  get length(): number {
    return this.#length;
  }

  push(value: T): void {
    if (this.#length > this.#mask) this.#grow();
    this.#buffer[(this.#head + this.#length) & this.#mask] = value;
    this.#length++;
  }

  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const head = this.#head;
    const value = this.#buffer[head];
    this.#buffer[head] = undefined; // release the reference for the GC
    this.#head = (head + 1) & this.#mask;
    if (--this.#length === 0 && this.#mask >= SHRINK_ABOVE) this.#reset();
    return value;
  }

  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#buffer[this.#head];
  }

  /** Removes every element, returning them in order. */
  drain(): T[] {
    const out: T[] = [];
    for (let value = this.shift(); value !== undefined; value = this.shift()) out.push(value);
    return out;
  }

  #reset(): void {
    this.#buffer = new Array<T | undefined>(this.#initialCapacity).fill(undefined);
    this.#mask = this.#initialCapacity - 1;
    this.#head = 0;
  }

  #grow(): void {
    const old = this.#buffer;
    const capacity = old.length * 2;
    const buffer = new Array<T | undefined>(capacity).fill(undefined);
    for (let i = 0; i < this.#length; i++) buffer[i] = old[(this.#head + i) & this.#mask];
    this.#buffer = buffer;
    this.#mask = capacity - 1;
    this.#head = 0;
  }
}
