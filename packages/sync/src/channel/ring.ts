/**
 * {@link Ring}: the growable FIFO ring buffer that holds a channel's queued messages.
 *
 * ```
 *   head                tail
 *    v                   v
 *  [ . | a | b | c | d | . | . | . ]   capacity = 8 (a power of two), length = 4
 * ```
 * `push` writes at `(head + length) & mask` and `shift` reads at `head`: O(1), no allocation, never
 * `Array.prototype.shift` (O(n) on large arrays). The capacity is a power of two so indices wrap with a mask. A full
 * buffer doubles (unrolled so `head` is 0); an emptied buffer above {@link SHRINK_ABOVE} slots is replaced by a small
 * one, so a burst does not pin its memory for the life of the channel.
 *
 * Unlike the scheduler's run queue, emptiness is told by `length`, never by an `undefined` element: `undefined` is a
 * valid message (`mpsc.channel<void>`).
 *
 * @module
 */

/** Slots above which an emptied buffer is given back. A burst of 4,096 is cheap to re-grow; more pins memory. */
const SHRINK_ABOVE = 4096;
/** Slots a new buffer starts with: most channels stay short. */
const INITIAL = 16;

/** @internal */
export class Ring<T> {
  #buffer: (T | undefined)[] = new Array<T | undefined>(INITIAL).fill(undefined);
  #mask = INITIAL - 1;
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(value: T): void {
    if (this.#length > this.#mask) this.#grow();
    this.#buffer[(this.#head + this.#length) & this.#mask] = value;
    this.#length++;
  }

  /** Removes and returns the first element. The caller checks `length > 0` first. */
  shift(): T {
    const head = this.#head;
    const value = this.#buffer[head] as T;
    this.#buffer[head] = undefined; // release the reference for the GC
    this.#head = (head + 1) & this.#mask;
    if (--this.#length === 0 && this.#mask >= SHRINK_ABOVE) this.clear();
    return value;
  }

  /** Drops every element. */
  clear(): void {
    this.#buffer = new Array<T | undefined>(INITIAL).fill(undefined);
    this.#mask = INITIAL - 1;
    this.#head = 0;
    this.#length = 0;
  }

  #grow(): void {
    const old = this.#buffer;
    const buffer = new Array<T | undefined>(old.length * 2).fill(undefined);
    for (let i = 0; i < this.#length; i++) buffer[i] = old[(this.#head + i) & this.#mask];
    this.#buffer = buffer;
    this.#mask = buffer.length - 1;
    this.#head = 0;
  }
}
