/**
 * {@link Fifo}: the waiter and value queue of the bench's own bounded queues and semaphores (`promise-sync.ts`,
 * `effection-sync.ts`).
 *
 * @module
 */

/**
 * A FIFO with O(1) `shift`: an array and a head index, compacted once more than half of it (and over 1,024 slots)
 * is spent: `Array.prototype.shift` is O(n) in general, which a queue of 1,000 waiters would pay on every wake.
 */
export class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}
