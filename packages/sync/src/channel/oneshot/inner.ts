/**
 * The state a oneshot channel's two halves share, and the receive step both receive futures use.
 *
 * @module
 */
import { PENDING, pollProceed, type Context, type Poll } from '@zokio/future';
import { WaiterList, WaiterNode } from '../../util/waiter-list.js';
import { RecvError } from '../errors.js';

/** The state both halves share. @internal */
export class Inner<T> {
  value: T | undefined = undefined;
  /** A value was sent and not yet taken. */
  full = false;
  /** The value was taken by the receiver. */
  taken = false;
  /** The sender sent or was closed: nothing more will come. */
  txDone = false;
  /** The receiver was closed or dropped. */
  rxClosed = false;
  readonly rxWaiters = new WaiterList<WaiterNode>();
  readonly txWaiters = new WaiterList<WaiterNode>();

  /** Polls for the value: the value, `PENDING` (node registered), or throws {@link RecvError}. */
  pollValue(node: WaiterNode, cx: Context): Poll<T> {
    if (this.full) {
      if (!pollProceed(cx)) return PENDING;
      this.rxWaiters.remove(node);
      return this.take();
    }
    if (this.txDone || this.rxClosed) {
      this.rxWaiters.remove(node);
      throw new RecvError(
        this.taken
          ? 'Expected a value in the oneshot channel, got one whose value was already received'
          : this.txDone
            ? 'Expected a value from the oneshot sender, got a sender closed without sending'
            : 'Expected a value from the oneshot sender, got a receiver closed before one was sent',
      );
    }
    node.waker = cx.waker;
    if (!node.queued) this.rxWaiters.push(node);
    return PENDING;
  }

  take(): T {
    const value = this.value as T;
    this.value = undefined;
    this.full = false;
    this.taken = true;
    return value;
  }

  closeRx(): void {
    if (this.rxClosed) return;
    this.rxClosed = true;
    for (let node = this.txWaiters.shift(); node !== undefined; node = this.txWaiters.shift()) node.wake();
  }

  wakeReceivers(): void {
    for (let node = this.rxWaiters.shift(); node !== undefined; node = this.rxWaiters.shift()) node.wake();
  }
}
