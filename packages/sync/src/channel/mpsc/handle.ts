/**
 * {@link SenderHandle}: what a sender handle and the futures it created share, so a future can tell whether its
 * sender was closed before its first poll.
 *
 * @module
 */
import type { Chan } from './chan.js';

/** @internal */
export class SenderHandle<T> {
  open = true;
  readonly chan: Chan<T>;

  constructor(chan: Chan<T>) {
    this.chan = chan;
  }

  /** Closes this handle once; returns whether it was open. */
  close(): boolean {
    if (!this.open) return false;
    this.open = false;
    this.chan.dropSender();
    return true;
  }

  /** A new open handle on the same channel. */
  clone(): SenderHandle<T> {
    this.chan.senders++;
    return new SenderHandle(this.chan);
  }
}
