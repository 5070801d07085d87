/**
 * The future of `Sender.closed()` / `UnboundedSender.closed()`: finishes when the receiver is closed or dropped.
 *
 * Waker protocol: the future's node waits in the channel's `closedWaiters`; `closeRx` unlinks and wakes every node.
 *
 * @module
 */
import { FutureBase, PENDING, type Cleanup, type Context, type Poll } from '@zokio/future';
import { WaiterNode } from '../../util/waiter-list.js';
import { polledAfterCompletion } from '../errors.js';
import type { Chan } from './chan.js';

/** @internal */
export class ClosedFuture extends FutureBase<void> {
  readonly #chan: Chan<unknown>;
  readonly #node = new WaiterNode();
  #done = false;

  constructor(chan: Chan<unknown>) {
    super();
    this.#chan = chan;
  }

  poll(cx: Context): Poll<void> {
    if (this.#done) throw polledAfterCompletion('closed() future');
    const chan = this.#chan;
    if (chan.rxClosed) {
      this.#done = true;
      return;
    }
    this.#node.waker = cx.waker;
    if (!this.#node.queued) chan.closedWaiters.push(this.#node);
    return PENDING;
  }

  override cancel(): Cleanup {
    this.#done = true;
    this.#chan.closedWaiters.remove(this.#node);
    return undefined;
  }
}
