/**
 * A bounded queue and a semaphore for the Effection contender, written for the bench: Effection 4 has neither (its
 * `createQueue` and `createChannel` are unbounded, and it has no semaphore). Each is the `promise-sync.ts` one with
 * Effection's waiting primitive, an `action`, in place of a promise, so the two peers compare like for like.
 *
 * Minimal on purpose: a waiter whose task is halted stays queued (a halted sender's value is still delivered, a
 * halted acquirer still takes a permit). The bench never halts one; a production version would unlink it in the
 * action's teardown.
 *
 * @module
 */
import { action, type Operation } from 'effection';
import { Fifo } from './fifo.js';

const noTeardown = () => {};

/** As `AsyncQueue` in `promise-sync.ts`: `send` waits while the queue is full, `recv` while it is empty. */
export class BoundedQueue<T> {
  readonly #capacity: number;
  readonly #values = new Fifo<T>();
  readonly #receivers = new Fifo<(value: T) => void>();
  readonly #senders = new Fifo<{ readonly value: T; readonly resolve: () => void }>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  *send(value: T): Operation<void> {
    const receiver = this.#receivers.shift();
    if (receiver !== undefined) receiver(value);
    else if (this.#values.length < this.#capacity) this.#values.push(value);
    else {
      yield* action<void>((resolve) => {
        this.#senders.push({ value, resolve });
        return noTeardown;
      });
    }
  }

  *recv(): Operation<T> {
    if (this.#values.length > 0) {
      const value = this.#values.shift() as T;
      const sender = this.#senders.shift();
      if (sender !== undefined) {
        this.#values.push(sender.value);
        sender.resolve();
      }
      return value;
    }
    return yield* action<T>((resolve) => {
      this.#receivers.push(resolve);
      return noTeardown;
    });
  }
}

/** As `AsyncSemaphore` in `promise-sync.ts`: FIFO, and `release` hands the permit to the next waiter. */
export class Semaphore {
  #permits: number;
  readonly #waiters = new Fifo<() => void>();

  constructor(permits: number) {
    this.#permits = permits;
  }

  *acquire(): Operation<void> {
    if (this.#permits > 0) {
      this.#permits--;
      return;
    }
    yield* action<void>((resolve) => {
      this.#waiters.push(resolve);
      return noTeardown;
    });
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next === undefined) this.#permits++;
    else next();
  }
}
