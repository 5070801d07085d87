/**
 * One-shot channels, after `tokio::sync::oneshot`: a single value from one {@link OneshotSender} to one
 * {@link OneshotReceiver}.
 *
 * ## States
 * ```
 *   open ──send(v)──► full ──(received)──► taken
 *     │                  │
 *     ├─ sender closed without sending ─► receiver fails with RecvError
 *     └─ receiver dropped/closed ───────► send(v) returns false; tx.closed() finishes
 * ```
 * A value sent before the receiver closed (not dropped) is still received.
 *
 * ## Waker protocol
 * Receive futures (the receiver itself, and its `recv()` views) wait in `rxWaiters`, woken all at once when the
 * value arrives or the sender is closed; `tx.closed()` futures wait in `txWaiters`, woken when the receiver is
 * closed or dropped. Each waiting future owns one node, refreshes its waker on every poll and unlinks it when
 * cancelled or finished.
 *
 * | operation                   | cancel-safe? | what a dropped future loses                                            |
 * | --------------------------- | ------------ | ---------------------------------------------------------------------- |
 * | the receiver (`yield* rx`)  | no           | dropping it **is** dropping the receiver: a value sent is discarded    |
 * | `rx.recv()`                 | yes          | nothing: the receiver stays open, the value stays for the next receive |
 * | `tx.closed()`               | yes          | nothing                                                                |
 *
 * @module
 */
import { FutureBase, PENDING, type Cleanup, type Context, type Future, type Poll } from '@zokio/future';
import { WaiterNode } from '../../util/waiter-list.js';
import { closedHandle, polledAfterCompletion, TryRecvError } from '../errors.js';
import { Inner } from './inner.js';

/**
 * The sending half of a oneshot channel: send once, or close without sending.
 *
 * @example
 * ```ts
 * import { oneshot } from '@zokio/sync';
 * const [tx, rx] = oneshot.channel<string>();
 * tx.send('done'); // true
 * rx.tryRecv(); // 'done'
 * ```
 * @category Channels
 */
export class OneshotSender<T> implements Disposable {
  readonly #inner: Inner<T>;
  #used = false;

  /** @internal Created by {@link channel}. */
  constructor(inner: Inner<T>) {
    this.#inner = inner;
  }

  /**
   * Sends `value` and consumes the sender. Returns `true` if it was delivered to the channel, `false` if the
   * receiver was already closed or dropped (the value is discarded). Throws a TypeError if the sender was already
   * used (sent or closed).
   *
   * Synchronous: nothing to cancel.
   *
   * @example
   * ```ts
   * import { oneshot } from '@zokio/sync';
   * const [tx, rx] = oneshot.channel<number>();
   * rx.close(); // the asker gave up
   * if (!tx.send(42)) console.log('nobody is waiting any more'); // printed
   * ```
   */
  send(value: T): boolean {
    if (this.#used) throw closedHandle('OneshotSender', 'OneshotSender.send');
    this.#used = true;
    const inner = this.#inner;
    inner.txDone = true;
    if (inner.rxClosed) {
      inner.wakeReceivers();
      return false;
    }
    inner.value = value;
    inner.full = true;
    inner.wakeReceivers();
    return true;
  }

  /**
   * Closes (drops) the sender without sending: the receiver fails with {@link RecvError}. Does nothing after `send`
   * or a previous `close`.
   *
   * @example
   * ```ts
   * import { toPromise } from '@zokio/future';
   * import { oneshot, RecvError } from '@zokio/sync';
   * const [tx, rx] = oneshot.channel<number>();
   * tx.close();
   * await toPromise(rx).catch((e) => e instanceof RecvError); // true
   * ```
   */
  close(): void {
    if (this.#used) return;
    this.#used = true;
    this.#inner.txDone = true;
    this.#inner.wakeReceivers();
  }

  /** Same as {@link close}, for `using tx = …`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * True once the receiver is closed or dropped: a send would return `false`.
   *
   * @example
   * ```ts
   * import { drop } from '@zokio/future';
   * import { oneshot } from '@zokio/sync';
   * const [tx, rx] = oneshot.channel<number>();
   * drop(rx);
   * tx.isClosed(); // true
   * ```
   */
  isClosed(): boolean {
    return this.#inner.rxClosed;
  }

  /**
   * Finishes when the receiver is closed or dropped, so the sender can stop computing a value nobody will read.
   *
   * **Cancel-safe**: it holds nothing.
   *
   * @example
   * ```ts
   * import { fn, select } from '@zokio/future';
   * import { main } from '@zokio/runtime';
   * import { oneshot } from '@zokio/sync';
   * import { sleep } from '@zokio/time';
   * const compute = fn(function* () {
   *   yield* sleep(1000);
   *   return 42;
   * });
   * await main(function* () {
   *   const [tx, rx] = oneshot.channel<number>();
   *   rx.close(); // the asker gave up
   *   const r = yield* select([tx.closed(), compute()]);
   *   if (r.index === 1) tx.send(r.value);
   *   console.log(r.index); // 0: compute() was cancelled at once
   * });
   * ```
   */
  closed(): Future<void> {
    return new ClosedFuture(this.#inner);
  }
}

class ClosedFuture extends FutureBase<void> {
  readonly #inner: Inner<unknown>;
  readonly #node = new WaiterNode();
  #done = false;

  constructor(inner: Inner<unknown>) {
    super();
    this.#inner = inner;
  }

  poll(cx: Context): Poll<void> {
    if (this.#done) throw polledAfterCompletion('closed() future');
    if (this.#inner.rxClosed) {
      this.#done = true;
      return;
    }
    this.#node.waker = cx.waker;
    if (!this.#node.queued) this.#inner.txWaiters.push(this.#node);
    return PENDING;
  }

  override cancel(): Cleanup {
    this.#done = true;
    this.#inner.txWaiters.remove(this.#node);
    return undefined;
  }
}

/** `rx.recv()`: receives like the receiver, but dropping it leaves the receiver open. */
class RecvFuture<T> extends FutureBase<T> {
  readonly #inner: Inner<T>;
  readonly #node = new WaiterNode();
  #done = false;

  constructor(inner: Inner<T>) {
    super();
    this.#inner = inner;
  }

  poll(cx: Context): Poll<T> {
    if (this.#done) throw polledAfterCompletion('oneshot recv() future');
    try {
      const value = this.#inner.pollValue(this.#node, cx);
      if (value !== PENDING) this.#done = true;
      return value;
    } catch (error) {
      this.#done = true;
      throw error;
    }
  }

  override cancel(): Cleanup {
    this.#done = true;
    this.#inner.rxWaiters.remove(this.#node);
    return undefined;
  }
}

/**
 * The receiving half of a oneshot channel, and a future of the value: `yield* rx` (or `await toPromise(rx)`)
 * resolves to the value, or fails with {@link RecvError} if the sender was closed without sending.
 *
 * **Not cancel-safe**: cancelling this future drops the receiver (the sender sees `isClosed()`, a value already sent
 * is discarded), as dropping a Tokio receiver does. To wait in a `select` loop without dropping it, use
 * {@link recv}. `[Symbol.dispose]` drops it too, so `using rx = …` works.
 *
 * @example
 * ```ts
 * import { fn, toPromise } from '@zokio/future';
 * import { oneshot } from '@zokio/sync';
 * const [tx, rx] = oneshot.channel<number>();
 * const waiter = toPromise(fn(function* () { return yield* rx; })());
 * tx.send(7);
 * await waiter; // 7
 * ```
 * @category Channels
 */
export class OneshotReceiver<T> extends FutureBase<T> {
  readonly #inner: Inner<T>;
  readonly #node = new WaiterNode();
  #done = false;

  /** @internal Created by {@link channel}. */
  constructor(inner: Inner<T>) {
    super();
    this.#inner = inner;
  }

  /** Polls for the value (the future protocol). Throws {@link RecvError} if the sender closed without sending. */
  poll(cx: Context): Poll<T> {
    if (this.#done) throw polledAfterCompletion('oneshot receiver');
    try {
      const value = this.#inner.pollValue(this.#node, cx);
      if (value !== PENDING) this.#done = true;
      return value;
    } catch (error) {
      this.#done = true;
      throw error;
    }
  }

  /**
   * Drops the receiver: the channel closes, a value already sent is discarded, `tx.closed()` finishes. Does nothing
   * once the receiver has produced its value or error.
   */
  override cancel(): Cleanup {
    if (this.#done) return undefined;
    this.#done = true;
    const inner = this.#inner;
    inner.rxWaiters.remove(this.#node);
    inner.value = undefined;
    inner.full = false;
    inner.closeRx();
    inner.wakeReceivers(); // recv() views fail instead of waiting for ever
    return undefined;
  }

  /**
   * A future of the value that, unlike the receiver itself, can be dropped without dropping the receiver: use it
   * in `select` loops. Fails with {@link RecvError} like the receiver.
   *
   * **Cancel-safe**: the value is taken only by the poll that returns it; dropping the future loses nothing.
   *
   * @example
   * ```ts
   * import { fn, select } from '@zokio/future';
   * import { main } from '@zokio/runtime';
   * import { spawn } from '@zokio/scheduler';
   * import { oneshot } from '@zokio/sync';
   * import { interval, sleep } from '@zokio/time';
   * const answer = await main(function* () {
   *   const [tx, rx] = oneshot.channel<string>();
   *   spawn(fn(function* () { yield* sleep(250); tx.send('done'); })());
   *   const ticks = interval(100);
   *   for (;;) {
   *     const r = yield* select([rx.recv(), ticks.tick()]);
   *     if (r.index === 0) return r.value;
   *     console.log('still waiting'); // rx stays open: the value is not lost
   *   }
   * });
   * console.log(answer); // done
   * ```
   */
  recv(): Future<T> {
    return new RecvFuture(this.#inner);
  }

  /**
   * Takes the value without waiting. Throws {@link TryRecvError}: `isEmpty()` if nothing was sent yet, `isClosed()`
   * if the sender closed without sending, the receiver was closed with nothing sent, or the value was already taken.
   *
   * @example
   * ```ts
   * import { oneshot } from '@zokio/sync';
   * const [tx, rx] = oneshot.channel<number>();
   * tx.send(1);
   * rx.tryRecv(); // 1
   * ```
   */
  tryRecv(): T {
    const inner = this.#inner;
    if (inner.full) return inner.take();
    if (inner.txDone || inner.rxClosed) throw TryRecvError.closed();
    throw TryRecvError.empty();
  }

  /**
   * Closes the channel without dropping the receiver: the sender's `send` now returns `false` and `tx.closed()`
   * finishes, but a value sent before this is still received.
   *
   * @example
   * ```ts
   * import { oneshot } from '@zokio/sync';
   * const [tx, rx] = oneshot.channel<number>();
   * rx.close();
   * tx.send(1); // false
   * ```
   */
  close(): void {
    const inner = this.#inner;
    inner.closeRx();
    if (!inner.full) inner.wakeReceivers();
  }

  /**
   * True if the sender can no longer send: it sent (the value may still be waiting), or was closed, or this
   * receiver was closed.
   *
   * @example
   * ```ts
   * import { oneshot } from '@zokio/sync';
   * const [tx, rx] = oneshot.channel<number>();
   * tx.close();
   * rx.isTerminated(); // true
   * ```
   */
  isTerminated(): boolean {
    return this.#inner.txDone || this.#inner.rxClosed;
  }
}

/**
 * Creates a oneshot channel: one value, once, from the sender to the receiver.
 *
 * @example
 * ```ts
 * import { toPromise } from '@zokio/future';
 * import { oneshot } from '@zokio/sync';
 * const [tx, rx] = oneshot.channel<string>();
 * setTimeout(() => tx.send('pong'), 10);
 * await toPromise(rx); // 'pong'
 * ```
 * @category Channels
 */
export function channel<T>(): [OneshotSender<T>, OneshotReceiver<T>] {
  const inner = new Inner<T>();
  return [new OneshotSender(inner), new OneshotReceiver(inner)];
}
