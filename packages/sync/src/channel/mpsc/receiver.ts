/**
 * {@link Receiver}: the receiving half of an mpsc channel, bounded or unbounded.
 *
 * Receiving is cancel-safe: a message leaves the queue only in the poll that returns it, so a dropped `recv()` or
 * `recvMany()` future loses nothing. The receive futures wait in the channel's `recvWaiters` (see `chan.ts`).
 *
 * @module
 */
import { expected, PENDING, pollProceed, type Cleanup, type Context, type Future, type Poll } from '@zokio/future';
import { WaiterFuture } from '../../util/waiter-list.js';
import { polledAfterCompletion, TryRecvError } from '../errors.js';
import type { Chan } from './chan.js';

class RecvFuture<T> extends WaiterFuture<T | undefined> {
  readonly #chan: Chan<T>;
  #done = false;

  constructor(chan: Chan<T>) {
    super();
    this.#chan = chan;
  }

  poll(cx: Context): Poll<T | undefined> {
    if (this.#done) throw polledAfterCompletion('recv() future');
    const chan = this.#chan;
    if (chan.queue.length > 0) {
      if (!pollProceed(cx)) return PENDING;
      this.#finish();
      return chan.take();
    }
    if (chan.isDrained()) {
      this.#finish();
      return undefined;
    }
    this.waker = cx.waker;
    if (!this.queued) chan.recvWaiters.push(this);
    return PENDING;
  }

  override cancel(): Cleanup {
    this.#finish();
    return undefined;
  }

  #finish(): void {
    this.#done = true;
    this.#chan.recvWaiters.remove(this);
  }
}

class RecvManyFuture<T> extends WaiterFuture<number> {
  readonly #chan: Chan<T>;
  readonly #buffer: T[];
  readonly #limit: number;
  #done = false;

  constructor(chan: Chan<T>, buffer: T[], limit: number) {
    super();
    this.#chan = chan;
    this.#buffer = buffer;
    this.#limit = limit;
  }

  poll(cx: Context): Poll<number> {
    if (this.#done) throw polledAfterCompletion('recvMany() future');
    const chan = this.#chan;
    if (this.#limit === 0) {
      this.#finish();
      return 0;
    }
    if (chan.queue.length > 0) {
      if (!pollProceed(cx)) return PENDING;
      this.#finish();
      const n = Math.min(this.#limit, chan.queue.length);
      for (let i = 0; i < n; i++) this.#buffer.push(chan.take());
      return n;
    }
    if (chan.isDrained()) {
      this.#finish();
      return 0;
    }
    this.waker = cx.waker;
    if (!this.queued) chan.recvWaiters.push(this);
    return PENDING;
  }

  override cancel(): Cleanup {
    this.#finish();
    return undefined;
  }

  #finish(): void {
    this.#done = true;
    this.#chan.recvWaiters.remove(this);
  }
}

/**
 * The receiving half of an `mpsc.channel` or `mpsc.unboundedChannel`. Messages arrive in the order they were
 * sent (per sender; senders' sends interleave in the order they completed).
 *
 * There is one receiver per channel. `close()` stops further sends but keeps what is queued receivable; `drop()`
 * (or `[Symbol.dispose]`, so `using rx = …` works) also discards it. After every sender is closed and the queue is
 * drained, `recv()` returns `undefined`.
 *
 * @example
 * ```ts
 * import { fn } from '@zokio/future';
 * import { mpsc } from '@zokio/sync';
 * const consume = fn(function* (rx: mpsc.Receiver<string>) {
 *   for (let msg = yield* rx.recv(); msg !== undefined; msg = yield* rx.recv()) console.log(msg);
 * });
 * ```
 * @category Channels
 */
export class Receiver<T> implements Disposable {
  readonly #chan: Chan<T>;

  /** @internal Created by `mpsc.channel` and `mpsc.unboundedChannel`. */
  constructor(chan: Chan<T>) {
    this.#chan = chan;
  }

  /**
   * Receives the next message, waiting for one if the queue is empty; `undefined` once the channel is closed and
   * drained (every sender closed, or the receiver closed, and nothing left queued). A message that is itself
   * `undefined` is indistinguishable from the end: use {@link tryRecv} or {@link isClosed} on such channels.
   *
   * **Cancel-safe**: a message is taken from the queue only by the poll that returns it; dropping the future loses
   * nothing.
   *
   * @example
   * ```ts
   * import { main } from '@zokio/runtime';
   * import { mpsc } from '@zokio/sync';
   * await main(function* () {
   *   const [tx, rx] = mpsc.unboundedChannel<string>();
   *   tx.send('hi');
   *   tx.close();
   *   console.log(yield* rx.recv()); // hi
   *   console.log(yield* rx.recv()); // undefined: every sender is gone and the queue is empty
   * });
   * ```
   */
  recv(): Future<T | undefined> {
    return new RecvFuture(this.#chan);
  }

  /**
   * Waits for at least one message, then moves up to `limit` queued messages to the end of `buffer` and returns how
   * many it moved: 0 only when `limit` is 0 or the channel is closed and drained.
   *
   * **Cancel-safe**: messages move only in the poll that returns; dropping the future loses nothing.
   *
   * @example
   * ```ts
   * import { main } from '@zokio/runtime';
   * import { mpsc } from '@zokio/sync';
   * await main(function* () {
   *   const [tx, rx] = mpsc.unboundedChannel<string>();
   *   for (const msg of ['a', 'b', 'c']) tx.send(msg);
   *   const batch: string[] = [];
   *   const n = yield* rx.recvMany(batch, 2); // 1..2 messages appended, or 0 at the end
   *   console.log(n, batch); // 2 [ 'a', 'b' ]
   * });
   * ```
   */
  recvMany(buffer: T[], limit: number): Future<number> {
    if (!Array.isArray(buffer)) expected('an array to receive into', buffer, 'Receiver.recvMany');
    if (!(Number.isSafeInteger(limit) && limit >= 0))
      expected('a non-negative integer limit', limit, 'Receiver.recvMany');
    return new RecvManyFuture(this.#chan, buffer, limit);
  }

  /**
   * Receives a queued message without waiting. Throws {@link TryRecvError}: `isEmpty()` if nothing is queued yet,
   * `isClosed()` if the channel is closed and drained. Check {@link isEmpty} first to avoid the throw in hot loops.
   *
   * Synchronous: nothing to cancel.
   *
   * @example
   * ```ts
   * import { mpsc } from '@zokio/sync';
   * const [tx, rx] = mpsc.unboundedChannel<string>();
   * tx.send('job');
   * if (!rx.isEmpty()) console.log(rx.tryRecv()); // job
   * ```
   */
  tryRecv(): T {
    const chan = this.#chan;
    if (chan.queue.length > 0) return chan.take();
    throw chan.isDrained() ? TryRecvError.closed() : TryRecvError.empty();
  }

  /**
   * Closes the channel for sending, keeping queued messages receivable: waiting and later sends fail with a
   * `SendError`; permits already reserved may still send. Idempotent.
   *
   * @example
   * ```ts
   * import { main } from '@zokio/runtime';
   * import { mpsc } from '@zokio/sync';
   * await main(function* () {
   *   const [tx, rx] = mpsc.unboundedChannel<number>();
   *   tx.send(1);
   *   rx.close();
   *   console.log(tx.isClosed()); // true: sending now throws a SendError
   *   while ((yield* rx.recv()) !== undefined); // drain what was sent before
   * });
   * ```
   */
  close(): void {
    this.#chan.closeRx();
  }

  /**
   * Drops the receiver: closes the channel and discards every queued message. Senders see `isClosed()`; their sends
   * fail with a `SendError` carrying the value back. Idempotent.
   *
   * @example
   * ```ts
   * import { mpsc } from '@zokio/sync';
   * const [tx, rx] = mpsc.channel<number>(8);
   * tx.trySend(1);
   * rx.drop(); // 1 is discarded
   * tx.isClosed(); // true
   * ```
   */
  drop(): void {
    this.#chan.dropRx();
  }

  /** Same as {@link drop}, for `using rx = …`. */
  [Symbol.dispose](): void {
    this.drop();
  }

  /**
   * True when no message can ever be added: the receiver closed or every sender is closed, and no permit or pending
   * send still holds the right to add one. Messages may still be queued: see {@link isEmpty}.
   *
   * @example
   * ```ts
   * import { mpsc } from '@zokio/sync';
   * const [tx, rx] = mpsc.channel<number>(8);
   * tx.close();
   * rx.isClosed(); // true: tx was the last sender
   * ```
   */
  isClosed(): boolean {
    return this.#chan.isSealed();
  }

  /**
   * True if no message is queued.
   *
   * @example
   * ```ts
   * import { mpsc } from '@zokio/sync';
   * const [tx, rx] = mpsc.channel<number>(8);
   * rx.isEmpty(); // true on a new channel
   * tx.trySend(1);
   * rx.isEmpty(); // false
   * ```
   */
  isEmpty(): boolean {
    return this.#chan.queue.length === 0;
  }

  /**
   * How many messages are queued.
   *
   * @example
   * ```ts
   * import { mpsc } from '@zokio/sync';
   * const [tx, rx] = mpsc.channel<number>(8);
   * tx.trySend(1);
   * rx.len(); // 1
   * ```
   */
  len(): number {
    return this.#chan.queue.length;
  }
}
