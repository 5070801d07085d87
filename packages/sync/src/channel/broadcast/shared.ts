/**
 * The state of a broadcast channel: a ring of `capacity` slots that every receiver reads with its own cursor.
 *
 * ```
 *   pos:   5     6     7     8          tail = 9 (the position the next send takes)
 *        [ e  |  f  |  g  |  h  ]       capacity 4: slot index = pos % capacity
 *   rx A: next = 7  → reads g, h, then waits
 *   rx B: next = 3  → positions 3 and 4 were overwritten: Lagged(2), then reads from 5 (= tail - capacity)
 * ```
 * Invariants: a slot holds position `pos` (or -1 if never written); a receiver's `next` is in `[?, tail]` and reads
 * slot `next % capacity` if its `pos` still equals `next`, else it lagged. `rem` counts the receivers that subscribed
 * before the slot was written and have not read it yet; at 0 the value is released for the GC, so a slow receiver
 * pins at most `capacity` values.
 *
 * Waker protocol: receive futures of every receiver wait in one `waiters` list, all woken (each once) by a send or
 * by the last sender closing; each future refreshes its waker on every poll and unlinks its node when cancelled.
 * A receiver closed while its own receive futures wait wakes those alone (each node names its cursor): they fail
 * with `RecvError` rather than wait for a send that no longer concerns them.
 *
 * @module
 */
import { WaiterList, WaiterNode } from '../../util/waiter-list.js';
import { LaggedError, SendError } from '../errors.js';

class Slot<T> {
  pos = -1;
  rem = 0;
  value: T | undefined = undefined;
}

/** `take` found nothing to read. @internal */
export const EMPTY: unique symbol = Symbol('empty');

/** @internal */
export class Shared<T> {
  readonly buffer: Slot<T>[];
  readonly capacity: number;
  /** The position the next message will take. */
  tail = 0;
  /** Open receivers. */
  receivers = 1;
  /** Open senders. */
  senders = 1;
  readonly waiters = new WaiterList<ReceiveNode>();

  constructor(capacity: number) {
    this.capacity = capacity;
    this.buffer = Array.from({ length: capacity }, () => new Slot<T>());
  }

  send(value: T): number {
    const receivers = this.receivers;
    if (receivers === 0)
      throw new SendError(value, 'Expected at least one receiver, got a broadcast channel with none');
    const slot = this.buffer[this.tail % this.capacity]!;
    slot.pos = this.tail++;
    slot.rem = receivers;
    slot.value = value;
    this.wakeAll();
    return receivers;
  }

  /** Reads the message at `cursor.next`, advancing it; `EMPTY` if none; throws {@link LaggedError} after skipping. */
  take(cursor: Cursor<T>): T | typeof EMPTY {
    const next = cursor.next;
    if (next === this.tail) return EMPTY;
    const slot = this.buffer[next % this.capacity]!;
    if (slot.pos !== next) {
      const oldest = this.tail - this.capacity;
      cursor.next = oldest;
      throw new LaggedError(oldest - next);
    }
    cursor.next = next + 1;
    const value = slot.value as T;
    if (--slot.rem === 0) slot.value = undefined;
    return value;
  }

  /** Unread messages still retained for `cursor`. */
  unread(cursor: Cursor<T>): number {
    return this.tail - Math.max(cursor.next, this.tail - this.capacity);
  }

  subscribe(): Cursor<T> {
    this.receivers++;
    return new Cursor(this, this.tail);
  }

  /** A receiver is dropped: release what it would have read, and wake its own waiting receive futures. */
  dropReceiver(cursor: Cursor<T>): void {
    this.receivers--;
    for (const node of [...this.waiters]) {
      if (node.cursor !== cursor) continue;
      this.waiters.remove(node);
      node.wake();
    }
    for (let pos = Math.max(cursor.next, this.tail - this.capacity); pos < this.tail; pos++) {
      const slot = this.buffer[pos % this.capacity]!;
      if (slot.pos === pos && --slot.rem === 0) slot.value = undefined;
    }
  }

  dropSender(): void {
    if (--this.senders === 0) this.wakeAll();
  }

  wakeAll(): void {
    for (let node = this.waiters.shift(); node !== undefined; node = this.waiters.shift()) node.wake();
  }
}

/** A receive future's place in `waiters`, naming the receiver it reads for. @internal */
export class ReceiveNode extends WaiterNode {
  constructor(readonly cursor: Cursor<unknown>) {
    super();
  }
}

/** One receiver's position, shared with its receive futures. @internal */
export class Cursor<T> {
  open = true;
  constructor(
    readonly shared: Shared<T>,
    public next: number,
  ) {}
}
