/**
 * {@link Notify}: wakes one task or all waiting tasks, with no data (Tokio's `Notify`).
 *
 * ## State
 * - `#permit`: one stored notification, set by `notifyOne()` when nobody waits; at most one is ever stored.
 * - `#waiters`: FIFO of {@link Notified} futures that were polled and are waiting.
 * - `#epoch`: how many times `notifyWaiters()` ran. A `Notified` records it when created, so a `notifyWaiters()`
 *   that comes between `notified()` and its first poll still completes it (Tokio's guarantee, which makes
 *   "create the future, check the condition, then wait" free of lost wake-ups).
 *
 * ## Waiter protocol
 * ```
 *   first poll     ─► epoch moved? ready ─► permit stored? take it, ready ─► else queue the node; PENDING
 *   notifyOne()    ─► head queued? unlink it, mark it ONE, wake it once ─► else store the permit
 *   notifyWaiters()─► epoch++; unlink every queued node, mark it ALL, wake it once (no permit stored)
 *   cancel         ─► queued? unlink ─► marked ONE but not polled since? pass it on: notifyOne() again
 * ```
 * A notification from `notifyOne()` is never lost: it completes exactly one future, or stays stored, or is passed
 * on when the future chosen for it is dropped. One from `notifyWaiters()` is for the waiters of that moment only.
 *
 * @module
 */
import { FutureBase, PENDING, pollProceed, type Context, type Future, type Poll } from '@zokio/future';
import { WaiterList, WaiterNode } from '../util/waiter-list.js';
import { polledAfterCompletion } from './errors.js';

/** Why a waiter was unlinked: not yet, by `notifyOne`, or by `notifyWaiters`. */
const NONE = 0;
const ONE = 1;
const ALL = 2;

class NotifyWaiter extends WaiterNode {
  notification: typeof NONE | typeof ONE | typeof ALL = NONE;
}

interface Internals {
  /** First poll: true if a stored permit or a newer epoch completes it now, else the node is queued. */
  begin(notify: Notify, node: NotifyWaiter, epoch: number): boolean;
}
let internals!: Internals;

/**
 * A notification primitive: `notified()` waits until `notifyOne()` or `notifyWaiters()`.
 *
 * @example
 * ```ts
 * import { Notify } from '@zokio/sync';
 * import { fn } from '@zokio/future';
 * const ready = new Notify();
 * const consumer = fn(function* () {
 *   yield* ready.notified(); // completes after ready.notifyOne()
 * });
 * ```
 * @category Signals
 */
export class Notify {
  #permit = false;
  #epoch = 0;
  readonly #waiters = new WaiterList<NotifyWaiter>();

  /**
   * Wakes the longest-waiting `notified()` future; if none waits, stores one permit so the next `notified()`
   * completes at once. Several calls with nobody waiting still store only one.
   *
   * @example
   * ```ts
   * import { Notify } from '@zokio/sync';
   * import { toPromise } from '@zokio/future';
   * const n = new Notify();
   * n.notifyOne();
   * await toPromise(n.notified()); // completes at once: the permit was stored
   * ```
   */
  notifyOne(): void {
    const node = this.#waiters.shift();
    if (node === undefined) {
      this.#permit = true;
      return;
    }
    node.notification = ONE;
    node.wake();
  }

  /**
   * Wakes every `notified()` future waiting now, and those created but not yet polled. Stores no permit.
   *
   * @example
   * ```ts
   * import { Notify } from '@zokio/sync';
   * const n = new Notify();
   * const later = n.notified();
   * n.notifyWaiters(); // `later` will complete when polled
   * ```
   */
  notifyWaiters(): void {
    this.#epoch++;
    for (let node = this.#waiters.shift(); node !== undefined; node = this.#waiters.shift()) {
      node.notification = ALL;
      node.wake();
    }
  }

  /**
   * A future that completes on the next notification. It joins the queue on its first poll (FIFO order for
   * `notifyOne`), but sees `notifyWaiters()` calls made from the moment it is created.
   *
   * Cancel-safe: dropping it loses its place in the queue; a `notifyOne()` notification already given to it is
   * passed to the next waiter (or stored), so none is lost.
   *
   * @example
   * ```ts
   * import { Notify } from '@zokio/sync';
   * import { fn, join } from '@zokio/future';
   * const n = new Notify();
   * const waiter = fn(function* () { yield* n.notified(); return 'woken'; });
   * const notifier = fn(function* () { n.notifyOne(); });
   * // join(waiter(), notifier()) → ['woken', undefined]
   * ```
   */
  notified(): Future<void> {
    return new Notified(this, this.#epoch);
  }

  #begin(node: NotifyWaiter, epoch: number): boolean {
    if (epoch !== this.#epoch) return true;
    if (this.#permit) {
      this.#permit = false;
      return true;
    }
    this.#waiters.push(node);
    return false;
  }

  static {
    internals = { begin: (notify, node, epoch) => notify.#begin(node, epoch) };
  }
}

/** The future of {@link Notify.notified}; see the waiter protocol in the module doc. */
class Notified extends FutureBase<void> {
  /** `undefined` once completed or cancelled. */
  #notify: Notify | undefined;
  readonly #epoch: number;
  readonly #node = new NotifyWaiter();
  #started = false;

  constructor(notify: Notify, epoch: number) {
    super();
    this.#notify = notify;
    this.#epoch = epoch;
  }

  poll(cx: Context): Poll<void> {
    const notify = this.#notify;
    if (notify === undefined) throw polledAfterCompletion('Notify.notified() future');
    const node = this.#node;
    if (!this.#started) {
      // Ready at once when a permit is stored, so the first poll spends coop budget.
      if (!pollProceed(cx)) return PENDING;
      this.#started = true;
      node.waker = cx.waker;
      if (!internals.begin(notify, node, this.#epoch)) return PENDING;
    } else if (node.notification === NONE) {
      node.waker = cx.waker;
      return PENDING;
    }
    this.#notify = undefined;
    node.waker = undefined;
    return undefined;
  }

  override cancel(): undefined {
    const notify = this.#notify;
    this.#notify = undefined;
    if (notify === undefined || !this.#started) return undefined;
    const node = this.#node;
    node.waker = undefined;
    node.list?.remove(node);
    // Chosen by notifyOne but dropped before consuming it: forward, as Tokio does, so the wake-up is not lost.
    if (node.notification === ONE) notify.notifyOne();
    return undefined;
  }
}
