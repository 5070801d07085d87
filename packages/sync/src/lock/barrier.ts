/**
 * {@link Barrier}: lets `n` tasks wait until all `n` have arrived, then releases them together; it then resets for
 * the next round (Tokio's `Barrier`).
 *
 * ## Waiter protocol
 * ```
 *   first poll ─► arrived++ ─► arrived = n? trip: arrived = 0, unlink and wake every queued node once; this
 *                                           future is the round's leader and completes at once
 *                           └► else queue the node; PENDING
 *   cancel     ─► queued (round not tripped)? unlink it and arrived--, as if it never came
 *                 tripped already? nothing: the round happened, only this future's result is lost
 * ```
 * Invariant: `arrived` equals the number of queued nodes, always below `n`.
 *
 * @module
 */
import { expected, FutureBase, PENDING, pollProceed, type Context, type Future, type Poll } from '@zokio/future';
import { WaiterList, WaiterNode } from '../util/waiter-list.js';
import { polledAfterCompletion } from './errors.js';

/**
 * What {@link Barrier.wait} returns: exactly one waiter per round is the leader.
 * @category Signals
 */
export interface BarrierWaitResult {
  /** True for the one waiter whose arrival tripped the barrier. */
  readonly isLeader: boolean;
}

const LEADER: BarrierWaitResult = Object.freeze({ isLeader: true });
const FOLLOWER: BarrierWaitResult = Object.freeze({ isLeader: false });

interface Internals {
  /** First poll: true if this arrival trips the barrier, else the node is queued. */
  arrive(barrier: Barrier, node: WaiterNode): boolean;
  /** A queued waiter leaves before the barrier trips. */
  leave(barrier: Barrier, node: WaiterNode): void;
}
let internals!: Internals;

/**
 * A reusable barrier for `n` tasks.
 *
 * @example
 * ```ts
 * import { Barrier } from '@zokio/sync';
 * import { fn } from '@zokio/future';
 * const barrier = new Barrier(3);
 * const worker = fn(function* () {
 *   // … phase 1 …
 *   const { isLeader } = yield* barrier.wait();
 *   if (isLeader) console.log('everyone finished phase 1');
 * });
 * ```
 * @category Signals
 */
export class Barrier {
  readonly #n: number;
  #arrived = 0;
  readonly #waiters = new WaiterList<WaiterNode>();

  /** @param n - how many waiters trip the barrier; 0 behaves as 1, as in Tokio. */
  constructor(n: number) {
    if (!Number.isInteger(n) || n < 0) expected('a whole number of tasks (0 or more)', n, 'new Barrier');
    this.#n = Math.max(n, 1);
  }

  /**
   * Waits until `n` waiters (this one included) have arrived in this round.
   *
   * Cancel-safe: dropping the future before the barrier trips withdraws its arrival (the round then needs one
   * more waiter); dropping it after the trip loses only its result (and so possibly its leader flag).
   *
   * @example
   * ```ts
   * import { Barrier } from '@zokio/sync';
   * import { toPromise } from '@zokio/future';
   * await toPromise(new Barrier(1).wait()); // { isLeader: true }
   * ```
   */
  wait(): Future<BarrierWaitResult> {
    return new BarrierWait(this);
  }

  #arrive(node: WaiterNode): boolean {
    if (++this.#arrived < this.#n) {
      this.#waiters.push(node);
      return false;
    }
    this.#arrived = 0;
    for (let waiter = this.#waiters.shift(); waiter !== undefined; waiter = this.#waiters.shift()) waiter.wake();
    return true;
  }

  #leave(node: WaiterNode): void {
    if (this.#waiters.remove(node)) this.#arrived--;
  }

  static {
    internals = {
      arrive: (barrier, node) => barrier.#arrive(node),
      leave: (barrier, node) => barrier.#leave(node),
    };
  }
}

/** The future of {@link Barrier.wait}. */
class BarrierWait extends FutureBase<BarrierWaitResult> {
  #barrier: Barrier | undefined;
  readonly #node = new WaiterNode();
  #started = false;

  constructor(barrier: Barrier) {
    super();
    this.#barrier = barrier;
  }

  poll(cx: Context): Poll<BarrierWaitResult> {
    const barrier = this.#barrier;
    if (barrier === undefined) throw polledAfterCompletion('Barrier.wait() future');
    const node = this.#node;
    if (!this.#started) {
      // The tripping arrival is ready at once, so the first poll spends coop budget.
      if (!pollProceed(cx)) return PENDING;
      this.#started = true;
      node.waker = cx.waker;
      if (internals.arrive(barrier, node)) {
        this.#barrier = undefined;
        node.waker = undefined;
        return LEADER;
      }
      return PENDING;
    }
    if (node.queued) {
      node.waker = cx.waker;
      return PENDING;
    }
    this.#barrier = undefined;
    return FOLLOWER;
  }

  override cancel(): undefined {
    const barrier = this.#barrier;
    this.#barrier = undefined;
    this.#node.waker = undefined;
    if (barrier !== undefined) internals.leave(barrier, this.#node);
    return undefined;
  }
}
