/**
 * The two synchronisation primitives the bench needs, written as leaf futures, since zokio has no `sync` module yet.
 * They double as the smallest examples of how a user writes a leaf future:
 *
 * 1. `poll(cx)` first spends one unit of coop budget (`pollProceed`): a leaf that can be ready at once must, or a
 *    task looping over it would never give others a turn.
 * 2. If the value is there, return it.
 * 3. Otherwise store `cx.waker` and return `PENDING`. Whoever makes the value available later calls `wake()` on
 *    what was stored. A waker may be woken late or twice: tasks de-duplicate wakes, and a wake of a finished task
 *    does nothing, so a primitive never needs to know whether its waiter is still there.
 *
 * @module
 */
import { FutureBase, PENDING, pollProceed, type Cleanup, type Context, type Poll, type Waker } from '@zokio/future';

/**
 * Opens once, for everyone: every task that `yield* gate`s before `open()` resumes when it opens, every one after
 * resumes at once.
 *
 * The gate is itself the future all its waiters `yield*`: futures are stateless iterators, so one can be awaited
 * by many tasks at once, and a waiter costs the gate one array slot and nothing else.
 *
 * Minimal on purpose: a waiter that is dropped (its task cancelled) leaves its waker in the array until the gate
 * opens, and a waiter polled again before then (woken by something else) adds its waker a second time. Both only
 * cost a spurious wake, which tasks ignore, but a gate that never opens keeps them. A production gate gives each
 * waiter a node it can unlink, as Tokio's `Notify` does.
 */
export class Gate extends FutureBase<void> {
  #open = false;
  /** Wakers of the tasks waiting, in the order they came. */
  #waiters: Waker[] = [];

  get isOpen(): boolean {
    return this.#open;
  }

  poll(cx: Context): Poll<void> {
    if (!pollProceed(cx)) return PENDING;
    if (this.#open) return;
    this.#waiters.push(cx.waker);
    return PENDING;
  }

  /** Opens the gate and wakes every waiter. Opening an open gate does nothing. */
  open(): void {
    if (this.#open) return;
    this.#open = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waker of waiters) waker.wake();
  }
}

/**
 * A one-shot channel: one `send(value)`, awaited by one task with `yield* oneshot`.
 *
 * Sender and receiver are one object here, which is all the bench needs. A real `sync.oneshot` would split them, so
 * that dropping the sender wakes the receiver with an error and dropping the receiver makes `send` fail.
 */
export class Oneshot<T> extends FutureBase<T> {
  #sent = false;
  #value: T | undefined = undefined;
  #waker: Waker | undefined = undefined;

  /** Stores `value` and wakes the receiver. Throws if a value was already sent. */
  send(value: T): void {
    if (this.#sent) throw new Error('Expected one send on a Oneshot, got a second');
    this.#sent = true;
    this.#value = value;
    const waker = this.#waker;
    this.#waker = undefined;
    waker?.wake();
  }

  poll(cx: Context): Poll<T> {
    if (!pollProceed(cx)) return PENDING;
    if (this.#sent) return this.#value as T;
    this.#waker = cx.waker;
    return PENDING;
  }

  override cancel(): Cleanup {
    this.#waker = undefined;
    return undefined;
  }
}
