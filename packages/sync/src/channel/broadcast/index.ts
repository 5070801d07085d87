/**
 * Broadcast channels, after `tokio::sync::broadcast`: many senders, many receivers, every receiver sees every message
 * sent after it subscribed — unless it falls more than `capacity` messages behind, in which case its next receive
 * fails with a {@link LaggedError} telling how many it missed and it continues from the oldest message retained.
 * See `shared.ts` for the ring and its invariants.
 *
 * | operation        | cancel-safe? | what a dropped future loses                                       |
 * | ---------------- | ------------ | ----------------------------------------------------------------- |
 * | `rx.recv()`      | yes          | nothing: the receiver's cursor moves only in the poll that returns |
 *
 * `tx.send`, `tx.subscribe` and `rx.tryRecv` are synchronous.
 *
 * @module
 */
import {
  expected,
  FutureBase,
  PENDING,
  pollProceed,
  type Cleanup,
  type Context,
  type Future,
  type Poll,
} from '@zokio/future';
import { closedHandle, polledAfterCompletion, RecvError, TryRecvError } from '../errors.js';
import { Cursor, EMPTY, ReceiveNode, Shared } from './shared.js';

class RecvFuture<T> extends FutureBase<T> {
  readonly #cursor: Cursor<T>;
  readonly #node: ReceiveNode;
  #done = false;

  constructor(cursor: Cursor<T>) {
    super();
    this.#cursor = cursor;
    this.#node = new ReceiveNode(cursor);
  }

  poll(cx: Context): Poll<T> {
    if (this.#done) throw polledAfterCompletion('broadcast recv() future');
    const cursor = this.#cursor;
    const shared = cursor.shared;
    if (!cursor.open) {
      // Its receiver was closed after this future was made (a closed receiver makes none): nothing more comes.
      this.#finish();
      throw new RecvError('Expected an open broadcast Receiver, got one closed while its recv() waited');
    }
    if (cursor.next !== shared.tail) {
      if (!pollProceed(cx)) return PENDING;
      this.#finish();
      return shared.take(cursor) as T; // not EMPTY: next !== tail
    }
    if (shared.senders === 0) {
      this.#finish();
      throw new RecvError();
    }
    this.#node.waker = cx.waker;
    if (!this.#node.queued) shared.waiters.push(this.#node);
    return PENDING;
  }

  override cancel(): Cleanup {
    this.#finish();
    return undefined;
  }

  #finish(): void {
    this.#done = true;
    this.#cursor.shared.waiters.remove(this.#node);
  }
}

/**
 * A sending half of a broadcast channel. Clone it for each producer; receivers see the channel closed when every
 * clone is closed (`close()` or `[Symbol.dispose]`) and they have read what is left.
 *
 * @example
 * ```ts
 * import { broadcast } from '@zokio/sync';
 * const [tx, rx1] = broadcast.channel<string>(16);
 * const rx2 = tx.subscribe();
 * tx.send('hi'); // 2
 * rx1.tryRecv(); // 'hi'
 * rx2.tryRecv(); // 'hi'
 * ```
 * @category Channels
 */
export class Sender<T> implements Disposable {
  readonly #shared: Shared<T>;
  #open = true;

  /** @internal Created by {@link channel} and {@link Sender.clone}. */
  constructor(shared: Shared<T>) {
    this.#shared = shared;
  }

  /**
   * Sends `value` to every current receiver and returns how many there are. Never waits: when the ring is full the
   * oldest message is overwritten, and receivers that had not read it will get a {@link LaggedError}. Throws a
   * {@link SendError} carrying `value` if there is no receiver (the value is not retained).
   *
   * Synchronous: nothing to cancel.
   *
   * @example
   * ```ts
   * import { broadcast, SendError } from '@zokio/sync';
   * const [tx, rx] = broadcast.channel<string>(16);
   * tx.send('deployed'); // 1
   * rx.close();
   * try { tx.send('again'); } catch (e) { e instanceof SendError; } // true: no receiver is left
   * ```
   */
  send(value: T): number {
    this.#check('Sender.send');
    return this.#shared.send(value);
  }

  /**
   * A new receiver that will see every message sent from now on.
   *
   * @example
   * ```ts
   * import { broadcast } from '@zokio/sync';
   * const [tx] = broadcast.channel<number>(16);
   * tx.send(1);
   * const rx = tx.subscribe();
   * tx.send(2);
   * rx.tryRecv(); // 2: it sees only what is sent after it subscribed
   * ```
   */
  subscribe(): Receiver<T> {
    this.#check('Sender.subscribe');
    return new Receiver(this.#shared.subscribe());
  }

  /**
   * Another sender on the same channel.
   *
   * @example
   * ```ts
   * import { broadcast } from '@zokio/sync';
   * const [tx, rx] = broadcast.channel<string>(16);
   * const tx2 = tx.clone();
   * tx.close();
   * tx2.send('still open'); // 1
   * rx.tryRecv(); // 'still open'
   * ```
   */
  clone(): Sender<T> {
    this.#check('Sender.clone');
    this.#shared.senders++;
    return new Sender(this.#shared);
  }

  /**
   * Closes (drops) this sender. When the last one is closed, receivers get what is left, then {@link RecvError}.
   * Idempotent; using the sender afterwards throws a TypeError.
   *
   * @example
   * ```ts
   * import { broadcast } from '@zokio/sync';
   * const [tx, rx] = broadcast.channel<string>(16);
   * tx.send('last');
   * tx.close();
   * rx.tryRecv(); // 'last'
   * rx.isClosed(); // true: nothing more will come
   * ```
   */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#shared.dropSender();
  }

  /** Same as {@link close}, for `using tx = …`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * How many receivers are open.
   *
   * @example
   * ```ts
   * import { broadcast } from '@zokio/sync';
   * const [tx] = broadcast.channel<number>(16);
   * tx.receiverCount(); // 1 on a new channel
   * ```
   */
  receiverCount(): number {
    return this.#shared.receivers;
  }

  #check(where: string): void {
    if (!this.#open) throw closedHandle('broadcast Sender', where);
  }
}

/**
 * A receiving half of a broadcast channel: its own cursor over the messages sent since it subscribed. Drop it
 * (`close()` or `[Symbol.dispose]`) when done, or it keeps counting as a receiver that has not read the messages.
 *
 * @example
 * ```ts
 * import { fn } from '@zokio/future';
 * import { broadcast, LaggedError, RecvError } from '@zokio/sync';
 * const listen = fn(function* (rx: broadcast.Receiver<string>) {
 *   for (;;) {
 *     try {
 *       console.log(yield* rx.recv());
 *     } catch (e) {
 *       if (e instanceof LaggedError) continue; // missed e.missed messages
 *       if (e instanceof RecvError) return; // every sender is gone
 *       throw e;
 *     }
 *   }
 * });
 * ```
 * @category Channels
 */
export class Receiver<T> implements Disposable {
  readonly #cursor: Cursor<T>;

  /** @internal Created by {@link channel}, {@link Sender.subscribe} and {@link Receiver.resubscribe}. */
  constructor(cursor: Cursor<T>) {
    this.#cursor = cursor;
  }

  /**
   * Receives the next message, waiting if there is none. Fails with {@link LaggedError} (`missed`) if messages were
   * overwritten before this receiver read them — the next receive continues from the oldest one retained — or with
   * {@link RecvError} once every sender is closed and everything retained has been read, or when this receiver is
   * closed while the future waits.
   *
   * **Cancel-safe**: the receiver's cursor moves only in the poll that returns; dropping the future loses nothing.
   *
   * @example
   * ```ts
   * import { main } from '@zokio/runtime';
   * import { broadcast } from '@zokio/sync';
   * await main(function* () {
   *   const [tx, rx] = broadcast.channel<string>(16);
   *   tx.send('hello');
   *   const msg = yield* rx.recv();
   *   console.log(msg); // hello
   * });
   * ```
   */
  recv(): Future<T> {
    this.#check('Receiver.recv');
    return new RecvFuture(this.#cursor);
  }

  /**
   * Receives the next message without waiting. Throws {@link LaggedError} like {@link recv}, or
   * {@link TryRecvError}: `isEmpty()` if nothing is unread yet, `isClosed()` if every sender is closed and nothing
   * is left.
   *
   * @example
   * ```ts
   * import { broadcast } from '@zokio/sync';
   * const [tx, rx] = broadcast.channel<number>(16);
   * tx.send(1);
   * rx.tryRecv(); // 1
   * ```
   */
  tryRecv(): T {
    this.#check('Receiver.tryRecv');
    const shared = this.#cursor.shared;
    const value = shared.take(this.#cursor);
    if (value !== EMPTY) return value;
    throw shared.senders === 0 ? TryRecvError.closed() : TryRecvError.empty();
  }

  /**
   * A new receiver on the same channel that starts at the next message sent (not at this one's position).
   *
   * @example
   * ```ts
   * import { broadcast } from '@zokio/sync';
   * const [tx, rx] = broadcast.channel<number>(16);
   * tx.send(1);
   * const rx2 = rx.resubscribe();
   * tx.send(2);
   * rx.tryRecv(); // 1
   * rx2.tryRecv(); // 2
   * ```
   */
  resubscribe(): Receiver<T> {
    this.#check('Receiver.resubscribe');
    return new Receiver(this.#cursor.shared.subscribe());
  }

  /**
   * How many messages are waiting to be read by this receiver (at most `capacity`).
   *
   * @example
   * ```ts
   * import { broadcast } from '@zokio/sync';
   * const [tx, rx] = broadcast.channel<number>(16);
   * rx.len(); // 0 on a new receiver
   * tx.send(1);
   * rx.len(); // 1
   * ```
   */
  len(): number {
    return this.#cursor.shared.unread(this.#cursor);
  }

  /**
   * True if nothing is waiting to be read.
   *
   * @example
   * ```ts
   * import { broadcast } from '@zokio/sync';
   * const [tx, rx] = broadcast.channel<number>(16);
   * rx.isEmpty(); // true on a new receiver
   * tx.send(1);
   * rx.isEmpty(); // false
   * ```
   */
  isEmpty(): boolean {
    return this.#cursor.next === this.#cursor.shared.tail;
  }

  /**
   * True once every sender is closed (messages may still be waiting: see {@link isEmpty}).
   *
   * @example
   * ```ts
   * import { broadcast } from '@zokio/sync';
   * const [tx, rx] = broadcast.channel<number>(16);
   * tx.close();
   * rx.isClosed(); // true
   * ```
   */
  isClosed(): boolean {
    return this.#cursor.shared.senders === 0;
  }

  /**
   * Drops this receiver: it stops counting towards `send`'s result and releases the messages it had not read.
   * Idempotent; using the receiver afterwards throws a TypeError.
   *
   * @example
   * ```ts
   * import { broadcast } from '@zokio/sync';
   * const [tx, rx] = broadcast.channel<number>(16);
   * rx.close();
   * tx.receiverCount(); // 0
   * ```
   */
  close(): void {
    const cursor = this.#cursor;
    if (!cursor.open) return;
    cursor.open = false;
    cursor.shared.dropReceiver(cursor);
  }

  /** Same as {@link close}, for `using rx = …`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #check(where: string): void {
    if (!this.#cursor.open) throw closedHandle('broadcast Receiver', where);
  }
}

/**
 * Creates a broadcast channel retaining the last `capacity` messages for slow receivers.
 *
 * @example
 * ```ts
 * import { broadcast, LaggedError } from '@zokio/sync';
 * const [tx, rx] = broadcast.channel<number>(2);
 * tx.send(1); tx.send(2); tx.send(3);
 * try { rx.tryRecv(); } catch (e) { e instanceof LaggedError; } // true: 1 was overwritten (missed 1)
 * rx.tryRecv(); // 2
 * ```
 * @category Channels
 */
export function channel<T>(capacity: number): [Sender<T>, Receiver<T>] {
  if (!(Number.isSafeInteger(capacity) && capacity > 0))
    expected('a positive integer capacity', capacity, 'broadcast.channel');
  const shared = new Shared<T>(capacity);
  return [new Sender(shared), new Receiver(new Cursor(shared, 0))];
}
