/**
 * A bounded queue and a semaphore for the Promise baseline: Node has neither, so these are the minimal idiomatic
 * versions a Node program would write (or take from a small npm package such as `p-limit`), so that ratios against
 * `promise` stay meaningful in the channel and semaphore scenarios.
 *
 * Both wait with a promise per waiter and hand off directly: a `send` that finds a receiver waiting gives it the
 * value, a `release` that finds an acquirer waiting gives it the permit. Waiters are FIFO, as zokio's and Effect's.
 *
 * @module
 */
import { Fifo } from './fifo.js';

/**
 * A bounded multi-producer queue: `send` waits while `capacity` values are queued; `recv` waits while none is, and
 * returns `undefined` once the queue is closed and drained (as zokio's `mpsc.Receiver.recv`).
 *
 * Invariants: receivers wait only while no value is queued; senders wait only while the queue is full, each with
 * its value, which `recv` moves into the slot it frees (so a newcomer cannot take that slot first).
 */
export class AsyncQueue<T> {
  readonly #capacity: number;
  readonly #values = new Fifo<T>();
  readonly #receivers = new Fifo<(value: T | undefined) => void>();
  readonly #senders = new Fifo<{ readonly value: T; readonly resolve: () => void }>();
  #closed = false;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  send(value: T): Promise<void> {
    const receiver = this.#receivers.shift();
    if (receiver !== undefined) receiver(value);
    else if (this.#values.length < this.#capacity) this.#values.push(value);
    else return new Promise((resolve) => this.#senders.push({ value, resolve }));
    return Promise.resolve();
  }

  recv(): Promise<T | undefined> {
    if (this.#values.length > 0) {
      const value = this.#values.shift();
      const sender = this.#senders.shift();
      if (sender !== undefined) {
        this.#values.push(sender.value);
        sender.resolve();
      }
      return Promise.resolve(value);
    }
    if (this.#closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#receivers.push(resolve));
  }

  /** No more sends: waiting and later receivers get `undefined` once the queue is drained. */
  close(): void {
    this.#closed = true;
    for (let r = this.#receivers.shift(); r !== undefined; r = this.#receivers.shift()) r(undefined);
  }
}

/** A FIFO counting semaphore: `acquire` resolves once a permit is free; `release` hands it to the next waiter. */
export class AsyncSemaphore {
  #permits: number;
  readonly #waiters = new Fifo<() => void>();

  constructor(permits: number) {
    this.#permits = permits;
  }

  acquire(): Promise<void> {
    if (this.#permits > 0) {
      this.#permits--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next === undefined) this.#permits++;
    else next();
  }
}
