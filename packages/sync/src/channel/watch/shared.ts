/**
 * The state of a watch channel: one value and a version that every send increments. Each receiver remembers the
 * version it last saw; it has a change to see while its `seen` differs from `version`. Values are not queued:
 * a receiver that looks late sees only the latest.
 *
 * Waker protocol: `changed()` futures wait in `changeWaiters`, all woken (each once) by a send or by the sender
 * closing; `tx.closed()` futures wait in `closedWaiters`, woken when the last receiver closes. Every waiting future
 * refreshes its waker on every poll and unlinks its node when cancelled.
 *
 * @module
 */
import { WaiterList, WaiterNode } from '../../util/waiter-list.js';

/** @internal */
export class Shared<T> {
  value: T;
  version = 0;
  /** The sender was closed: no value will change any more. */
  closed = false;
  /** Open receivers. */
  receivers = 1;
  readonly changeWaiters = new WaiterList<WaiterNode>();
  readonly closedWaiters = new WaiterList<WaiterNode>();

  constructor(value: T) {
    this.value = value;
  }

  /** Stores a new value and wakes every `changed()` future. */
  store(value: T): void {
    this.value = value;
    this.version++;
    wakeAll(this.changeWaiters);
  }

  closeSender(): void {
    this.closed = true;
    wakeAll(this.changeWaiters);
  }

  dropReceiver(): void {
    if (--this.receivers === 0) wakeAll(this.closedWaiters);
  }
}

/** One receiver's view: the version it last saw. @internal */
export class Seen<T> {
  open = true;
  constructor(
    readonly shared: Shared<T>,
    public version: number,
  ) {}
}

function wakeAll(list: WaiterList<WaiterNode>): void {
  for (let node = list.shift(); node !== undefined; node = list.shift()) node.wake();
}
