/**
 * The state of a watch channel: one value and a version that every send increments. Each receiver remembers the
 * version it last saw; it has a change to see while its `seen` differs from `version`. Values are not queued:
 * a receiver that looks late sees only the latest.
 *
 * Waker protocol: `changed()` futures wait in `changeWaiters`, all woken (each once) by a send or by the sender
 * closing; `tx.closed()` futures wait in `closedWaiters`, woken when the last receiver closes. Every waiting future
 * refreshes its waker on every poll and unlinks its node when cancelled. A receiver closed while its own `changed()`
 * futures wait wakes those alone (each node names its receiver's `Seen`): they fail with `RecvError`.
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
  readonly changeWaiters = new WaiterList<ChangeNode>();
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

  /** A receiver is closed: wake its own `changed()` futures, and `tx.closed()` futures if it was the last. */
  dropReceiver(seen: Seen<T>): void {
    for (const node of [...this.changeWaiters]) {
      if (node.seen !== seen) continue;
      this.changeWaiters.remove(node);
      node.wake();
    }
    if (--this.receivers === 0) wakeAll(this.closedWaiters);
  }
}

/** A `changed()` future's place in `changeWaiters`, naming the receiver it waits for. @internal */
export class ChangeNode extends WaiterNode {
  constructor(readonly seen: Seen<unknown>) {
    super();
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

function wakeAll<N extends WaiterNode>(list: WaiterList<N>): void {
  for (let node = list.shift(); node !== undefined; node = list.shift()) node.wake();
}
