/**
 * The bounded mpsc channel: {@link channel} and its {@link Sender}.
 *
 * A sender waits for a free slot (see `chan.ts` for the slot accounting). Waiting senders are served strictly in the
 * order they first waited, whether they `send` or `reserve`: a freed slot is granted to the first in line and that
 * waiter alone is woken. A waiter cancelled after it was granted a slot passes the slot to the next one, so a
 * cancelled send or reserve never strands capacity and never wakes anyone twice.
 *
 * @module
 */
import { expected, PENDING, type Cleanup, type Context, type Future, type Poll } from '@zokio/future';
import { closedHandle, SendError, TrySendError } from '../errors.js';
import { Chan, DONE, IDLE, SlotWaiter } from './chan.js';
import { ClosedFuture } from './closed.js';
import { SenderHandle } from './handle.js';
import { Permit } from './permit.js';
import { Receiver } from './receiver.js';

class SendFuture<T> extends SlotWaiter<void> {
  readonly #handle: SenderHandle<T>;
  #value: T | undefined;

  constructor(handle: SenderHandle<T>, value: T) {
    super();
    this.#handle = handle;
    this.#value = value;
  }

  poll(cx: Context): Poll<void> {
    const chan = this.#handle.chan;
    if (this.state === IDLE && !this.#handle.open) {
      this.state = DONE;
      throw closedHandle('Sender', 'Sender.send');
    }
    const got = chan.pollSlot(this, cx, 'send() future');
    if (got === PENDING) return PENDING;
    const value = this.#value as T;
    this.#value = undefined;
    if (!got || !chan.commit(value)) throw new SendError(value);
  }

  override cancel(): Cleanup {
    this.#handle.chan.cancelSlot(this);
    this.#value = undefined;
    return undefined;
  }
}

class ReserveFuture<T> extends SlotWaiter<Permit<T>> {
  readonly #handle: SenderHandle<T>;

  constructor(handle: SenderHandle<T>) {
    super();
    this.#handle = handle;
  }

  poll(cx: Context): Poll<Permit<T>> {
    const chan = this.#handle.chan;
    if (this.state === IDLE && !this.#handle.open) {
      this.state = DONE;
      throw closedHandle('Sender', 'Sender.reserve');
    }
    const got = chan.pollSlot(this, cx, 'reserve() future');
    if (got === PENDING) return PENDING;
    if (!got) throw new SendError<void>(undefined);
    return new Permit(chan);
  }

  override cancel(): Cleanup {
    this.#handle.chan.cancelSlot(this);
    return undefined;
  }
}

/**
 * A sending half of a bounded channel. Clone it for each producer; the channel closes for the receiver when every
 * clone is closed (`close()` or `[Symbol.dispose]`, so `using tx = …` works) and nothing is left to receive.
 *
 * @example
 * ```ts
 * import { fn } from '@zokio/future';
 * import { mpsc } from '@zokio/sync';
 * const produce = fn(function* (tx: mpsc.Sender<number>) {
 *   using _tx = tx; // closes this sender when the task ends
 *   for (let i = 0; i < 10; i++) yield* tx.send(i);
 * });
 * ```
 * @category Channels
 */
export class Sender<T> implements Disposable {
  readonly #handle: SenderHandle<T>;

  /** @internal Created by {@link channel} and {@link Sender.clone}. */
  constructor(handle: SenderHandle<T>) {
    this.#handle = handle;
  }

  /**
   * Sends `value`, waiting for a free slot (in FIFO order with every other waiting sender). Fails with a
   * {@link SendError} carrying `value` if the receiver is closed or dropped before the value is queued.
   *
   * **Not cancel-safe**: if the future is dropped before it completes, `value` is not sent (the channel keeps no
   * reference to it) and the future's place in line is lost; a slot already granted to it passes to the next waiting
   * sender. Once the future has completed, the value is in the channel. In a `select` loop use {@link reserve} and
   * then `permit.send(value)` instead.
   *
   * @example
   * ```ts
   * import { main } from '@zokio/runtime';
   * import { mpsc } from '@zokio/sync';
   * await main(function* () {
   *   const [tx, rx] = mpsc.channel<string>(1);
   *   yield* tx.send('hello');
   *   console.log(yield* rx.recv()); // hello
   * });
   * ```
   */
  send(value: T): Future<void> {
    this.#check('Sender.send');
    return new SendFuture(this.#handle, value);
  }

  /**
   * Waits for a free slot and reserves it: the returned {@link Permit} sends synchronously. Fails with a
   * {@link SendError} (`value` undefined) if the receiver is closed or dropped first.
   *
   * **Cancel-safe** in that no message can be lost (it holds none); dropping the future gives up its place in line,
   * and a slot already granted to it passes to the next waiting sender.
   *
   * @example
   * ```ts
   * import { main } from '@zokio/runtime';
   * import { mpsc } from '@zokio/sync';
   * await main(function* () {
   *   const [tx, rx] = mpsc.channel<number>(1);
   *   using permit = yield* tx.reserve(); // released at scope end if not sent
   *   permit.send(6 * 7); // computed only once the slot is ours
   *   console.log(yield* rx.recv()); // 42
   * });
   * ```
   */
  reserve(): Future<Permit<T>> {
    this.#check('Sender.reserve');
    return new ReserveFuture(this.#handle);
  }

  /**
   * Sends `value` now if a slot is free and nobody waits for one. Throws {@link TrySendError} carrying `value`:
   * `isFull()` if there is no free slot, `isClosed()` if the receiver is closed or dropped.
   *
   * Synchronous: nothing to cancel.
   *
   * @example
   * ```ts
   * import { mpsc, TrySendError } from '@zokio/sync';
   * const [tx, rx] = mpsc.channel<number>(1);
   * tx.trySend(1);
   * try { tx.trySend(2); } catch (e) { if (!(e instanceof TrySendError && e.isFull())) throw e; } // full: 2 not sent
   * rx.len(); // 1
   * ```
   */
  trySend(value: T): void {
    this.#check('Sender.trySend');
    const chan = this.#handle.chan;
    if (chan.rxClosed) throw TrySendError.closed(value);
    if (!chan.tryTakeSlot()) throw TrySendError.full(value);
    chan.commit(value);
  }

  /**
   * Reserves a slot now if one is free and nobody waits for one. Throws {@link TrySendError} (`value` undefined):
   * `isFull()` or `isClosed()`.
   *
   * @example
   * ```ts
   * import { mpsc } from '@zokio/sync';
   * const [tx, rx] = mpsc.channel<number>(1);
   * const permit = tx.tryReserve();
   * permit.send(1); // true
   * rx.tryRecv(); // 1
   * ```
   */
  tryReserve(): Permit<T> {
    this.#check('Sender.tryReserve');
    const chan = this.#handle.chan;
    if (chan.rxClosed) throw TrySendError.closed<void>(undefined);
    if (!chan.tryTakeSlot()) throw TrySendError.full<void>(undefined);
    return new Permit(chan);
  }

  /**
   * Another sender on the same channel; the channel stays open for the receiver until every clone is closed.
   *
   * @example
   * ```ts
   * import { mpsc } from '@zokio/sync';
   * const [tx, rx] = mpsc.channel<number>(8);
   * const tx2 = tx.clone();
   * tx.close();
   * rx.isClosed(); // false: tx2 is still open
   * tx2.close();
   * rx.isClosed(); // true
   * ```
   */
  clone(): Sender<T> {
    this.#check('Sender.clone');
    return new Sender(this.#handle.clone());
  }

  /**
   * Closes (drops) this sender. When the last one is closed, the receiver gets what is queued, then `undefined`.
   * Sends already waiting still complete. Idempotent; using the sender afterwards throws a TypeError.
   *
   * @example
   * ```ts
   * import { toPromise } from '@zokio/future';
   * import { mpsc } from '@zokio/sync';
   * const [tx, rx] = mpsc.channel<number>(8);
   * tx.trySend(1);
   * tx.close();
   * await toPromise(rx.recv()); // 1
   * await toPromise(rx.recv()); // undefined
   * ```
   */
  close(): void {
    this.#handle.close();
  }

  /** Same as {@link close}, for `using tx = …`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * True once the receiver is closed or dropped: sends will fail.
   *
   * @example
   * ```ts
   * import { mpsc } from '@zokio/sync';
   * const [tx, rx] = mpsc.channel<number>(8);
   * rx.close();
   * tx.isClosed(); // true
   * ```
   */
  isClosed(): boolean {
    return this.#handle.chan.rxClosed;
  }

  /**
   * Finishes when the receiver is closed or dropped: for producers that should stop when nobody listens.
   *
   * **Cancel-safe**: it holds nothing.
   *
   * @example
   * ```ts
   * import { fn } from '@zokio/future';
   * import { main } from '@zokio/runtime';
   * import { spawn } from '@zokio/scheduler';
   * import { mpsc } from '@zokio/sync';
   * import { sleep } from '@zokio/time';
   * await main(function* () {
   *   const [tx, rx] = mpsc.channel<number>(8);
   *   spawn(fn(function* () { yield* sleep(10); rx.drop(); })());
   *   yield* tx.closed(); // finishes when the receiver is dropped, 10 ms later
   *   console.log(tx.isClosed()); // true
   * });
   * ```
   */
  closed(): Future<void> {
    return new ClosedFuture(this.#handle.chan);
  }

  /**
   * Free slots now: `maxCapacity()` minus queued messages and reserved slots.
   *
   * @example
   * ```ts
   * import { mpsc } from '@zokio/sync';
   * const [tx] = mpsc.channel<number>(8);
   * tx.capacity(); // 8
   * tx.trySend(1);
   * tx.capacity(); // 7
   * ```
   */
  capacity(): number {
    return this.#handle.chan.permits;
  }

  /**
   * The capacity the channel was created with.
   *
   * @example
   * ```ts
   * import { mpsc } from '@zokio/sync';
   * const [tx] = mpsc.channel<number>(8);
   * tx.trySend(1);
   * tx.maxCapacity(); // 8
   * ```
   */
  maxCapacity(): number {
    return this.#handle.chan.capacity;
  }

  #check(where: string): void {
    if (!this.#handle.open) throw closedHandle('Sender', where);
  }
}

/**
 * Creates a bounded multi-producer, single-consumer channel holding at most `capacity` messages (queued or reserved).
 * Senders wait, in FIFO order, while it is full.
 *
 * @example
 * ```ts
 * import { fn, toPromise } from '@zokio/future';
 * import { mpsc } from '@zokio/sync';
 * const [tx, rx] = mpsc.channel<number>(16);
 * const sum = fn(function* () {
 *   yield* tx.send(1);
 *   yield* tx.send(2);
 *   tx.close();
 *   let total = 0;
 *   for (let n = yield* rx.recv(); n !== undefined; n = yield* rx.recv()) total += n;
 *   return total;
 * });
 * await toPromise(sum()); // 3
 * ```
 * @category Channels
 */
export function channel<T>(capacity: number): [Sender<T>, Receiver<T>] {
  if (!(Number.isSafeInteger(capacity) && capacity > 0))
    expected('a positive integer capacity', capacity, 'mpsc.channel');
  const chan = new Chan<T>(capacity);
  return [new Sender(new SenderHandle(chan)), new Receiver(chan)];
}
