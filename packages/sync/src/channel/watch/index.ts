/**
 * Watch channels, after `tokio::sync::watch`: one sender publishes a value, many receivers read the latest one and
 * wait for it to change. Intermediate values may be skipped; the latest is never missed. See `shared.ts` for the
 * version protocol.
 *
 * | operation        | cancel-safe? | what a dropped future loses                                           |
 * | ---------------- | ------------ | --------------------------------------------------------------------- |
 * | `rx.changed()`   | yes          | nothing: the change is marked seen only by the poll that returns      |
 * | `tx.closed()`    | yes          | nothing                                                               |
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
import { WaiterNode } from '../../util/waiter-list.js';
import { closedHandle, polledAfterCompletion, RecvError, SendError } from '../errors.js';
import { ChangeNode, Seen, Shared } from './shared.js';

class ChangedFuture<T> extends FutureBase<void> {
  readonly #seen: Seen<T>;
  readonly #node: ChangeNode;
  #done = false;

  constructor(seen: Seen<T>) {
    super();
    this.#seen = seen;
    this.#node = new ChangeNode(seen);
  }

  poll(cx: Context): Poll<void> {
    if (this.#done) throw polledAfterCompletion('changed() future');
    const seen = this.#seen;
    const shared = seen.shared;
    if (!seen.open) {
      // Its receiver was closed after this future was made (a closed receiver makes none): nothing more comes.
      this.#finish();
      throw new RecvError('Expected an open watch Receiver, got one closed while its changed() waited');
    }
    if (seen.version !== shared.version) {
      if (!pollProceed(cx)) return PENDING;
      this.#finish();
      seen.version = shared.version;
      return;
    }
    if (shared.closed) {
      this.#finish();
      throw new RecvError('Expected a change or a live watch sender, got a sender closed with no unseen value');
    }
    this.#node.waker = cx.waker;
    if (!this.#node.queued) shared.changeWaiters.push(this.#node);
    return PENDING;
  }

  override cancel(): Cleanup {
    this.#finish();
    return undefined;
  }

  #finish(): void {
    this.#done = true;
    this.#seen.shared.changeWaiters.remove(this.#node);
  }
}

class ClosedFuture extends FutureBase<void> {
  readonly #shared: Shared<unknown>;
  readonly #node = new WaiterNode();
  #done = false;

  constructor(shared: Shared<unknown>) {
    super();
    this.#shared = shared;
  }

  poll(cx: Context): Poll<void> {
    if (this.#done) throw polledAfterCompletion('closed() future');
    if (this.#shared.receivers === 0) {
      this.#done = true;
      return;
    }
    this.#node.waker = cx.waker;
    if (!this.#node.queued) this.#shared.closedWaiters.push(this.#node);
    return PENDING;
  }

  override cancel(): Cleanup {
    this.#done = true;
    this.#shared.closedWaiters.remove(this.#node);
    return undefined;
  }
}

/**
 * The sending half of a watch channel (there is one). Closing it (`close()` or `[Symbol.dispose]`) makes waiting
 * `changed()` futures fail with {@link RecvError} once their receiver has seen the last value.
 *
 * @example
 * ```ts
 * import { watch } from '@zokio/sync';
 * const [tx, rx] = watch.channel({ mode: 'idle' });
 * tx.send({ mode: 'busy' });
 * rx.borrow(); // { mode: 'busy' }
 * ```
 * @category Channels
 */
export class Sender<T> implements Disposable {
  readonly #shared: Shared<T>;
  #open = true;

  /** @internal Created by {@link channel}. */
  constructor(shared: Shared<T>) {
    this.#shared = shared;
  }

  /**
   * Publishes `value` and wakes every receiver waiting in `changed()`. Throws {@link SendError} carrying `value` if
   * every receiver is closed (the value is not stored; use {@link sendReplace} to store it anyway).
   *
   * Synchronous: nothing to cancel.
   *
   * @example
   * ```ts
   * import { watch } from '@zokio/sync';
   * const [tx, rx] = watch.channel(0);
   * tx.send(42);
   * rx.borrow(); // 42
   * ```
   */
  send(value: T): void {
    this.#check('Sender.send');
    if (this.#shared.receivers === 0) {
      throw new SendError(value, 'Expected at least one receiver, got a watch channel with none');
    }
    this.#shared.store(value);
  }

  /**
   * Publishes `value` whether or not anyone listens, and returns the value it replaced.
   *
   * @example
   * ```ts
   * import { watch } from '@zokio/sync';
   * const [tx, rx] = watch.channel(1);
   * rx.close();
   * const previous = tx.sendReplace(2); // 1: stored although nobody listens
   * tx.borrow(); // 2
   * ```
   */
  sendReplace(value: T): T {
    this.#check('Sender.sendReplace');
    const previous = this.#shared.value;
    this.#shared.store(value);
    return previous;
  }

  /**
   * Publishes `modify(current)` whether or not anyone listens: mutate the value in place and return it, or return a
   * new one. If `modify` throws, no new value is published and nobody is woken — but changes it made in place before
   * throwing stay in the shared value (receivers see them on their next `borrow()`), as with Tokio's `send_modify`.
   *
   * @example
   * ```ts
   * import { watch } from '@zokio/sync';
   * const [tx] = watch.channel({ retries: 0 });
   * tx.sendModify((config) => { config.retries++; return config; });
   * const [count] = watch.channel(0);
   * count.sendModify((n) => n + 1); // for immutable values
   * count.borrow(); // 1
   * ```
   */
  sendModify(modify: (value: T) => T): void {
    this.#check('Sender.sendModify');
    if (typeof modify !== 'function') expected('a function (value) => value', modify, 'Sender.sendModify');
    this.#shared.store(modify(this.#shared.value));
  }

  /**
   * The current value (not a copy: do not mutate it except through {@link sendModify}).
   *
   * @example
   * ```ts
   * import { watch } from '@zokio/sync';
   * const [tx] = watch.channel('idle');
   * tx.borrow(); // 'idle'
   * ```
   */
  borrow(): T {
    return this.#shared.value;
  }

  /**
   * A new receiver that has seen the current value: its `changed()` waits for the next send.
   *
   * @example
   * ```ts
   * import { watch } from '@zokio/sync';
   * const [tx] = watch.channel(1);
   * const rx = tx.subscribe();
   * rx.hasChanged(); // false: it has seen 1
   * tx.send(2);
   * rx.hasChanged(); // true
   * ```
   */
  subscribe(): Receiver<T> {
    this.#check('Sender.subscribe');
    this.#shared.receivers++;
    return new Receiver(new Seen(this.#shared, this.#shared.version));
  }

  /**
   * How many receivers are open.
   *
   * @example
   * ```ts
   * import { watch } from '@zokio/sync';
   * const [tx] = watch.channel(0);
   * tx.receiverCount(); // 1 on a new channel
   * ```
   */
  receiverCount(): number {
    return this.#shared.receivers;
  }

  /**
   * True once every receiver is closed: `send` would fail.
   *
   * @example
   * ```ts
   * import { watch } from '@zokio/sync';
   * const [tx, rx] = watch.channel(0);
   * rx.close();
   * tx.isClosed(); // true
   * ```
   */
  isClosed(): boolean {
    return this.#shared.receivers === 0;
  }

  /**
   * Finishes when every receiver is closed.
   *
   * **Cancel-safe**: it holds nothing.
   *
   * @example
   * ```ts
   * import { fn } from '@zokio/future';
   * import { main } from '@zokio/runtime';
   * import { spawn } from '@zokio/scheduler';
   * import { watch } from '@zokio/sync';
   * import { sleep } from '@zokio/time';
   * await main(function* () {
   *   const [tx, rx] = watch.channel(0);
   *   spawn(fn(function* () { yield* sleep(10); rx.close(); })());
   *   yield* tx.closed(); // finishes when the last receiver closes, 10 ms later
   *   console.log(tx.isClosed()); // true
   * });
   * ```
   */
  closed(): Future<void> {
    return new ClosedFuture(this.#shared);
  }

  /**
   * Closes (drops) the sender: receivers keep the last value, and `changed()` fails with {@link RecvError} once it
   * has been seen. Idempotent; sending afterwards throws a TypeError.
   *
   * @example
   * ```ts
   * import { watch } from '@zokio/sync';
   * const [tx, rx] = watch.channel('v1');
   * tx.close();
   * rx.borrow(); // 'v1': receivers keep the last value
   * ```
   */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#shared.closeSender();
  }

  /** Same as {@link close}, for `using tx = …`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #check(where: string): void {
    if (!this.#open) throw closedHandle('watch Sender', where);
  }
}

/**
 * A receiving half of a watch channel: reads the latest value and waits for it to change. Clone it for each
 * reader; close it (`close()` or `[Symbol.dispose]`) when done.
 *
 * @example
 * ```ts
 * import { fn } from '@zokio/future';
 * import { RecvError, watch } from '@zokio/sync';
 * const follow = fn(function* (rx: watch.Receiver<number>) {
 *   for (;;) {
 *     console.log(rx.borrowAndUpdate());
 *     try { yield* rx.changed(); } catch (e) { if (e instanceof RecvError) return; throw e; }
 *   }
 * });
 * ```
 * @category Channels
 */
export class Receiver<T> implements Disposable {
  readonly #seen: Seen<T>;

  /** @internal Created by {@link channel}, {@link Sender.subscribe} and {@link Receiver.clone}. */
  constructor(seen: Seen<T>) {
    this.#seen = seen;
  }

  /**
   * The latest value, without marking it seen.
   *
   * @example
   * ```ts
   * import { watch } from '@zokio/sync';
   * const [tx, rx] = watch.channel(1);
   * tx.send(2);
   * rx.borrow(); // 2
   * rx.hasChanged(); // true: borrow() does not mark it seen
   * ```
   */
  borrow(): T {
    return this.#seen.shared.value;
  }

  /**
   * The latest value, marking it seen: `changed()` then waits for the next send.
   *
   * @example
   * ```ts
   * import { watch } from '@zokio/sync';
   * const [tx, rx] = watch.channel(1);
   * tx.send(2);
   * const v = rx.borrowAndUpdate(); // 2
   * rx.hasChanged(); // false
   * ```
   */
  borrowAndUpdate(): T {
    this.#seen.version = this.#seen.shared.version;
    return this.#seen.shared.value;
  }

  /**
   * True if a value was sent since this receiver last marked one seen (even if the sender has closed since; check
   * {@link isClosed} for that — unlike Tokio's `has_changed`, this never throws).
   *
   * @example
   * ```ts
   * import { watch } from '@zokio/sync';
   * const [tx, rx] = watch.channel(0);
   * tx.send(1);
   * rx.hasChanged(); // true
   * ```
   */
  hasChanged(): boolean {
    return this.#seen.version !== this.#seen.shared.version;
  }

  /**
   * Finishes as soon as there is a value this receiver has not seen, and marks it seen (read it with `borrow()`).
   * Fails with {@link RecvError} if the sender is closed and the last value has been seen, or when this receiver is
   * closed while the future waits.
   *
   * **Cancel-safe**: the value is marked seen only by the poll that returns; dropping the future loses nothing.
   *
   * @example
   * ```ts
   * import { fn } from '@zokio/future';
   * import { main } from '@zokio/runtime';
   * import { spawn } from '@zokio/scheduler';
   * import { watch } from '@zokio/sync';
   * import { sleep } from '@zokio/time';
   * await main(function* () {
   *   const [tx, rx] = watch.channel('starting');
   *   spawn(fn(function* () { yield* sleep(10); tx.send('ready'); })());
   *   yield* rx.changed();
   *   console.log(rx.borrow()); // ready
   * });
   * ```
   */
  changed(): Future<void> {
    this.#check('Receiver.changed');
    return new ChangedFuture(this.#seen);
  }

  /**
   * Another receiver that has seen what this one has.
   *
   * @example
   * ```ts
   * import { watch } from '@zokio/sync';
   * const [tx, rx] = watch.channel(0);
   * const rx2 = rx.clone();
   * tx.receiverCount(); // 2
   * ```
   */
  clone(): Receiver<T> {
    this.#check('Receiver.clone');
    const shared = this.#seen.shared;
    shared.receivers++;
    return new Receiver(new Seen(shared, this.#seen.version));
  }

  /**
   * True once the sender is closed.
   *
   * @example
   * ```ts
   * import { watch } from '@zokio/sync';
   * const [tx, rx] = watch.channel(0);
   * tx.close();
   * rx.isClosed(); // true
   * ```
   */
  isClosed(): boolean {
    return this.#seen.shared.closed;
  }

  /**
   * Closes (drops) this receiver. When the last one closes, `send` fails and `tx.closed()` finishes. Idempotent.
   *
   * @example
   * ```ts
   * import { watch } from '@zokio/sync';
   * const [tx, rx] = watch.channel(0);
   * rx.close();
   * tx.isClosed(); // true: it was the only receiver
   * ```
   */
  close(): void {
    if (!this.#seen.open) return;
    this.#seen.open = false;
    this.#seen.shared.dropReceiver(this.#seen);
  }

  /** Same as {@link close}, for `using rx = …`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #check(where: string): void {
    if (!this.#seen.open) throw closedHandle('watch Receiver', where);
  }
}

/**
 * Creates a watch channel holding `initial`. The receiver starts having seen it.
 *
 * @example
 * ```ts
 * import { toPromise } from '@zokio/future';
 * import { watch } from '@zokio/sync';
 * const [tx, rx] = watch.channel('starting');
 * setTimeout(() => tx.send('ready'), 10);
 * await toPromise(rx.changed());
 * rx.borrow(); // 'ready'
 * ```
 * @category Channels
 */
export function channel<T>(initial: T): [Sender<T>, Receiver<T>] {
  const shared = new Shared(initial);
  return [new Sender(shared), new Receiver(new Seen(shared, 0))];
}
