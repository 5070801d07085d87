/**
 * {@link WaiterList}: the FIFO queue of waiting futures every primitive in this package is built on (Tokio's
 * intrusive `LinkedList` of waiters).
 *
 * ```
 *   head ─► [node] ⇄ [node] ⇄ [node] ◄─ tail        each node: { prevWaiter, nextWaiter, list, waker }
 * ```
 * A waiting future owns one {@link Waiter} (a {@link WaiterNode}, or itself: {@link WaiterFuture}) for its whole life, so queueing allocates nothing after
 * the first poll, and cancellation unlinks the node in O(1): a cancelled waiter leaves no trace in the queue.
 *
 * Invariants: a node is in at most one list, and `node.list` says which (or `undefined`); `length` counts the nodes
 * linked. Only the primitive that owns the list links and unlinks its nodes, synchronously (one isolate, no locks).
 *
 * @module
 */
import { FutureBase, type Waker } from '@zokio/future';

/** One waiting future's place in a queue: the links a {@link WaiterList} threads through it, and who to wake. */
export interface Waiter {
  prevWaiter: Waiter | undefined;
  nextWaiter: Waiter | undefined;
  /** The list this node is linked in, if any. */
  list: WaiterList<Waiter> | undefined;
  /** The waker of the task polling the waiting future, refreshed on every poll. */
  waker: Waker | undefined;
}

/** Wakes `node`'s waiter once, if it registered a waker. */
export function wakeWaiter(node: Waiter): void {
  const waker = node.waker;
  node.waker = undefined;
  waker?.wake();
}

/** A standalone {@link Waiter}, owned by a future. Subclass it to carry what the waiter needs (permits wanted). */
export class WaiterNode implements Waiter {
  prevWaiter: Waiter | undefined = undefined;
  nextWaiter: Waiter | undefined = undefined;
  list: WaiterList<Waiter> | undefined = undefined;
  waker: Waker | undefined = undefined;

  /** True while the node is queued. */
  get queued(): boolean {
    return this.list !== undefined;
  }

  /** Wakes the waiter, if it registered a waker. */
  wake(): void {
    wakeWaiter(this);
  }
}

/**
 * A future that is its own {@link Waiter}: for the futures on hot paths (channel sends and receives), where a
 * separate node would be one more object per operation.
 */
export abstract class WaiterFuture<T> extends FutureBase<T> implements Waiter {
  prevWaiter: Waiter | undefined = undefined;
  nextWaiter: Waiter | undefined = undefined;
  list: WaiterList<Waiter> | undefined = undefined;
  waker: Waker | undefined = undefined;

  /** True while the future is queued. */
  get queued(): boolean {
    return this.list !== undefined;
  }

  /** Wakes the waiter, if it registered a waker. */
  wake(): void {
    wakeWaiter(this);
  }
}

/** A FIFO of waiter nodes with O(1) push, shift and removal from anywhere. */
export class WaiterList<N extends Waiter> {
  #head: N | undefined = undefined;
  #tail: N | undefined = undefined;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  isEmpty(): boolean {
    return this.#length === 0;
  }

  /** The first node, without removing it. */
  peek(): N | undefined {
    return this.#head;
  }

  /** Appends `node`; it must not be in a list. */
  push(node: N): void {
    if (node.list !== undefined) throw new Error('WaiterList: node is already queued');
    node.list = this;
    node.prevWaiter = this.#tail;
    node.nextWaiter = undefined;
    if (this.#tail !== undefined) this.#tail.nextWaiter = node;
    else this.#head = node;
    this.#tail = node;
    this.#length++;
  }

  /** Removes and returns the first node. */
  shift(): N | undefined {
    const node = this.#head;
    if (node !== undefined) this.remove(node);
    return node;
  }

  /** Unlinks `node` if it is in this list; returns whether it was. */
  remove(node: N): boolean {
    if (node.list !== (this as WaiterList<Waiter>)) return false;
    const { prevWaiter: prev, nextWaiter: next } = node;
    if (prev !== undefined) prev.nextWaiter = next;
    else this.#head = next as N | undefined;
    if (next !== undefined) next.prevWaiter = prev;
    else this.#tail = prev as N | undefined;
    node.prevWaiter = node.nextWaiter = undefined;
    node.list = undefined;
    this.#length--;
    return true;
  }

  /** Removes every node, returning them in order. */
  drain(): N[] {
    const nodes: N[] = [];
    for (let node = this.shift(); node !== undefined; node = this.shift()) nodes.push(node);
    return nodes;
  }

  *[Symbol.iterator](): IterableIterator<N> {
    for (let node = this.#head; node !== undefined; node = node.nextWaiter as N | undefined) yield node;
  }
}
