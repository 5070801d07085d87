/**
 * The state shared by an mpsc channel's senders, permits and receiver (Tokio's `chan::Chan` plus its bounded
 * semaphore), for both the bounded and the unbounded flavour (which is the bounded one with `capacity = Infinity`).
 *
 * ## Slots
 * A bounded channel has `capacity` slots. At every moment each slot is in exactly one place:
 * ```
 *   capacity = permits            free, takeable at once by send / reserve / trySend
 *            + held               granted to a Permit, or to a send/reserve future not yet polled since the grant
 *            + queue.length       holding a message not yet received
 * ```
 * A receive frees a slot; a dropped permit or cancelled granted future frees its slot; a freed slot goes to the
 * first waiting sender (FIFO, `sendWaiters`) if there is one — it becomes `held`, and that waiter is woken once —
 * else back to `permits`. So `permits > 0` implies nobody waits, and a new sender never overtakes a waiting one.
 *
 * ## Closing
 * - `rxClosed` (receiver `close()`): waiting senders fail at once and later sends fail, but slots already held may
 *   still send, and the receiver drains everything queued.
 * - `rxDropped` (receiver `drop()`): closed as above, and queued messages are discarded.
 * - The channel is *sealed* (no message can ever be added) when the receiver is dropped, or when nothing holds a
 *   slot and either the receiver closed or no sender handle is left with no send still queued. A pending send
 *   future keeps the channel open as a borrowed sender would in Rust. Sealed and empty is *drained*: `recv`
 *   returns `undefined`.
 *
 * ## Waker protocol
 * Every waiting future is (or owns) one {@link Waiter} and refreshes its waker on every poll. Senders queue in
 * `sendWaiters` (woken one at a time, when granted a slot or when the receiver closes), receive futures in
 * `recvWaiters` (all woken when a message arrives or the channel becomes drained; there is one receiver, so this is
 * normally one future), `closed()` futures in `closedWaiters` (all woken when the receiver closes). A woken node has
 * been unlinked before its wake, so no node is woken twice for one event, and cancelling unlinks it in O(1).
 *
 * @module
 */
import { pollProceed, PENDING, type Context, type Poll } from '@zokio/future';
import { wakeWaiter, WaiterFuture, WaiterList, type Waiter } from '../../util/waiter-list.js';
import { polledAfterCompletion } from '../errors.js';
import { Ring } from '../ring.js';

/** Not polled yet. */
export const IDLE = 0;
/** In `sendWaiters`. */
export const QUEUED = 1;
/** Granted a slot (counted in `held`) by the receiver or a dropped permit; not yet polled since. */
export const GRANTED = 2;
/** Failed: the receiver closed while it waited. */
export const CLOSED = 3;
/** Completed or cancelled. */
export const DONE = 4;

/** A send or reserve future: its own place in the queue of waiting senders. @internal */
export abstract class SlotWaiter<T> extends WaiterFuture<T> {
  state: typeof IDLE | typeof QUEUED | typeof GRANTED | typeof CLOSED | typeof DONE = IDLE;
}

/** @internal */
export class Chan<T> {
  readonly queue = new Ring<T>();
  readonly capacity: number;
  /** Free slots (see the module doc). */
  permits: number;
  /** Slots granted to permits or futures and not yet turned into messages or given back. */
  held = 0;
  /** Open sender handles. */
  senders = 1;
  rxClosed = false;
  rxDropped = false;
  readonly sendWaiters = new WaiterList<SlotWaiter<unknown>>();
  readonly recvWaiters = new WaiterList<Waiter>();
  readonly closedWaiters = new WaiterList<Waiter>();

  constructor(capacity: number) {
    this.capacity = capacity;
    this.permits = capacity;
  }

  /** No message can ever be added (see the module doc). */
  isSealed(): boolean {
    return (
      this.rxDropped || (this.held === 0 && (this.rxClosed || (this.senders === 0 && this.sendWaiters.length === 0)))
    );
  }

  /** Sealed and empty: `recv` returns `undefined`. */
  isDrained(): boolean {
    return this.queue.length === 0 && this.isSealed();
  }

  /**
   * Polls a send/reserve future for a slot: `true` once it holds one (counted in `held`), `false` if the receiving
   * side is gone, `PENDING` while it waits in line.
   */
  pollSlot(node: SlotWaiter<unknown>, cx: Context, what: string): Poll<boolean> {
    switch (node.state) {
      case QUEUED:
        node.waker = cx.waker;
        return PENDING;
      case GRANTED:
        if (this.rxDropped) {
          node.state = DONE;
          this.held--;
          return false;
        }
        if (!pollProceed(cx)) return PENDING; // keeps the grant
        node.state = DONE;
        return true;
      case CLOSED:
        node.state = DONE;
        return false;
      case DONE:
        throw polledAfterCompletion(what);
    }
    if (this.rxClosed) {
      node.state = DONE;
      return false;
    }
    if (!pollProceed(cx)) return PENDING;
    if (this.permits > 0) {
      this.permits--;
      this.held++;
      node.state = DONE;
      return true;
    }
    node.waker = cx.waker;
    node.state = QUEUED;
    this.sendWaiters.push(node);
    return PENDING;
  }

  /** Drops a send/reserve future: leaves the line, or passes on a slot granted but not yet taken. */
  cancelSlot(node: SlotWaiter<unknown>): void {
    const state = node.state;
    node.state = DONE;
    if (state === QUEUED) {
      this.sendWaiters.remove(node);
      this.#wakeReceiversIfDrained();
    } else if (state === GRANTED) {
      this.releaseHeld();
    }
  }

  /** Takes a free slot without waiting, for `trySend`/`tryReserve`; false if none is free. */
  tryTakeSlot(): boolean {
    if (this.permits <= 0) return false;
    this.permits--;
    this.held++;
    return true;
  }

  /** Gives back a held slot that will not carry a message. */
  releaseHeld(): void {
    this.held--;
    this.#freeSlot();
    this.#wakeReceiversIfDrained();
  }

  /** Turns a held slot into a queued message; false (value discarded) if the receiver was dropped. */
  commit(value: T): boolean {
    this.held--;
    if (this.rxDropped) return false;
    this.push(value);
    return true;
  }

  /** Queues a message and wakes the receiver. */
  push(value: T): void {
    this.queue.push(value);
    this.#wakeReceivers();
  }

  /** Dequeues the first message (the caller checks there is one) and frees its slot. */
  take(): T {
    const value = this.queue.shift();
    this.#freeSlot();
    return value;
  }

  /** A sender handle was closed. */
  dropSender(): void {
    this.senders--;
    this.#wakeReceiversIfDrained();
  }

  /** The receiver closed: waiting senders fail, `closed()` futures finish; queued messages stay receivable. */
  closeRx(): void {
    if (this.rxClosed) return;
    this.rxClosed = true;
    for (let node = this.sendWaiters.shift(); node !== undefined; node = this.sendWaiters.shift()) {
      node.state = CLOSED;
      node.wake();
    }
    for (let node = this.closedWaiters.shift(); node !== undefined; node = this.closedWaiters.shift()) wakeWaiter(node);
    this.#wakeReceiversIfDrained();
  }

  /** The receiver was dropped: closed, and queued messages are discarded. */
  dropRx(): void {
    this.closeRx();
    this.rxDropped = true;
    this.queue.clear();
    this.#wakeReceivers();
  }

  #freeSlot(): void {
    if (!this.rxClosed) {
      const next = this.sendWaiters.shift();
      if (next !== undefined) {
        next.state = GRANTED;
        this.held++;
        next.wake();
        return;
      }
    }
    this.permits++;
  }

  #wakeReceivers(): void {
    for (let node = this.recvWaiters.shift(); node !== undefined; node = this.recvWaiters.shift()) wakeWaiter(node);
  }

  #wakeReceiversIfDrained(): void {
    if (this.recvWaiters.length > 0 && this.isDrained()) this.#wakeReceivers();
  }
}
