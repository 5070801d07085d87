/**
 * The unbounded mpsc channel: {@link unboundedChannel} and its {@link UnboundedSender}. It is the bounded channel
 * with infinite capacity (see `chan.ts`): sending never waits, so it is synchronous, and nothing can be lost to a
 * cancelled send. Nothing pushes back on a fast producer: memory grows with the queue.
 *
 * @module
 */
import { type Future } from '@zokio/future';
import { closedHandle, SendError } from '../errors.js';
import { Chan } from './chan.js';
import { ClosedFuture } from './closed.js';
import { SenderHandle } from './handle.js';
import { Receiver } from './receiver.js';

/**
 * A sending half of an unbounded channel. Clone it for each producer; the channel closes for the receiver when every
 * clone is closed (`close()` or `[Symbol.dispose]`) and the queue is drained.
 *
 * @example
 * ```ts
 * import { mpsc } from '@zokio/sync';
 * const [tx, rx] = mpsc.unboundedChannel<string>();
 * tx.send('a');
 * rx.tryRecv(); // 'a'
 * ```
 * @category Channels
 */
export class UnboundedSender<T> implements Disposable {
  readonly #handle: SenderHandle<T>;

  /** @internal Created by {@link unboundedChannel} and {@link UnboundedSender.clone}. */
  constructor(handle: SenderHandle<T>) {
    this.#handle = handle;
  }

  /**
   * Queues `value` now. Throws {@link SendError} carrying `value` if the receiver is closed or dropped.
   *
   * Synchronous: nothing to cancel, nothing lost.
   *
   * @example
   * ```ts
   * import { mpsc } from '@zokio/sync';
   * const [tx, rx] = mpsc.unboundedChannel<number>();
   * tx.send(42);
   * rx.tryRecv(); // 42
   * ```
   */
  send(value: T): void {
    this.#check('UnboundedSender.send');
    const chan = this.#handle.chan;
    if (chan.rxClosed) throw new SendError(value);
    chan.push(value);
  }

  /**
   * Another sender on the same channel.
   *
   * @example
   * ```ts
   * import { mpsc } from '@zokio/sync';
   * const [tx, rx] = mpsc.unboundedChannel<string>();
   * const tx2 = tx.clone();
   * tx.close();
   * tx2.send('still open');
   * rx.tryRecv(); // 'still open'
   * ```
   */
  clone(): UnboundedSender<T> {
    this.#check('UnboundedSender.clone');
    return new UnboundedSender(this.#handle.clone());
  }

  /**
   * Closes (drops) this sender. When the last one is closed, the receiver gets what is queued, then `undefined`.
   * Idempotent; using the sender afterwards throws a TypeError.
   *
   * @example
   * ```ts
   * import { mpsc } from '@zokio/sync';
   * const [tx, rx] = mpsc.unboundedChannel<number>();
   * tx.send(1);
   * tx.close();
   * rx.tryRecv(); // 1
   * rx.isClosed(); // true
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
   * const [tx, rx] = mpsc.unboundedChannel<number>();
   * rx.drop();
   * tx.isClosed(); // true
   * ```
   */
  isClosed(): boolean {
    return this.#handle.chan.rxClosed;
  }

  /**
   * Finishes when the receiver is closed or dropped.
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
   *   const [tx, rx] = mpsc.unboundedChannel<number>();
   *   spawn(fn(function* () { yield* sleep(10); rx.drop(); })());
   *   yield* tx.closed(); // finishes when the receiver is dropped, 10 ms later
   *   console.log(tx.isClosed()); // true
   * });
   * ```
   */
  closed(): Future<void> {
    return new ClosedFuture(this.#handle.chan);
  }

  #check(where: string): void {
    if (!this.#handle.open) throw closedHandle('UnboundedSender', where);
  }
}

/**
 * Creates an unbounded multi-producer, single-consumer channel: `send` never waits.
 *
 * @example
 * ```ts
 * import { fn, toPromise } from '@zokio/future';
 * import { mpsc } from '@zokio/sync';
 * const [tx, rx] = mpsc.unboundedChannel<number>();
 * tx.send(1);
 * tx.close();
 * await toPromise(rx.recv()); // 1
 * await toPromise(rx.recv()); // undefined
 * ```
 * @category Channels
 */
export function unboundedChannel<T>(): [UnboundedSender<T>, Receiver<T>] {
  const chan = new Chan<T>(Infinity);
  return [new UnboundedSender(new SenderHandle(chan)), new Receiver(chan)];
}
