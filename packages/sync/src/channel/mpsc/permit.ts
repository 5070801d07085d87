/**
 * {@link Permit}: one reserved slot of a bounded mpsc channel.
 *
 * A permit is counted in the channel's `held` slots (see `chan.ts`) from the moment `reserve()` returns it until it
 * sends or is released; either ends it, once.
 *
 * @module
 */
import { closedHandle } from '../errors.js';
import type { Chan } from './chan.js';

/**
 * A slot reserved in a bounded channel by `Sender.reserve()` or `Sender.tryReserve()`: `send(value)` is synchronous
 * and cannot fail for lack of capacity. Reserve-then-send is the cancel-safe way to send from a `select`: if the
 * reserve loses, no value was handed over.
 *
 * A permit that is neither sent nor released keeps its slot for ever (JavaScript has no destructors): declare it with
 * `using`, or call {@link release}. A released permit gives its slot to the first waiting sender.
 *
 * @example
 * ```ts
 * import { fn } from '@zokio/future';
 * import { mpsc } from '@zokio/sync';
 * const produce = fn(function* (tx: mpsc.Sender<number[]>, n: number) {
 *   using permit = yield* tx.reserve(); // released at scope end if not sent
 *   permit.send(Array.from({ length: n }, (_, i) => i * i)); // built only once a slot is ours
 * });
 * ```
 * @category Channels
 */
export class Permit<T> implements Disposable {
  #chan: Chan<T> | undefined;

  /** @internal Created by `Sender.reserve()` and `Sender.tryReserve()`. */
  constructor(chan: Chan<T>) {
    this.#chan = chan;
  }

  /**
   * Sends `value` in the reserved slot. Returns `true` if it was queued, `false` if the receiver was dropped in the
   * meantime (the value is discarded; a receiver that only closed still receives it). Throws a TypeError if the
   * permit was already sent or released.
   *
   * @example
   * ```ts
   * import { main } from '@zokio/runtime';
   * import { mpsc } from '@zokio/sync';
   * await main(function* () {
   *   const [tx, rx] = mpsc.channel<string>(1);
   *   const permit = yield* tx.reserve();
   *   console.log(permit.send('hello')); // true
   *   console.log(rx.tryRecv()); // hello
   * });
   * ```
   */
  send(value: T): boolean {
    const chan = this.#chan;
    if (chan === undefined) throw closedHandle('permit', 'Permit.send');
    this.#chan = undefined;
    return chan.commit(value);
  }

  /**
   * Gives the slot back without sending: the first waiting sender gets it. Does nothing if already sent or released.
   *
   * @example
   * ```ts
   * import { main } from '@zokio/runtime';
   * import { mpsc } from '@zokio/sync';
   * await main(function* () {
   *   const [tx] = mpsc.channel<string>(1);
   *   const permit = yield* tx.reserve();
   *   console.log(tx.capacity()); // 0
   *   permit.release();
   *   console.log(tx.capacity()); // 1
   * });
   * ```
   */
  release(): void {
    const chan = this.#chan;
    if (chan === undefined) return;
    this.#chan = undefined;
    chan.releaseHeld();
  }

  /** Same as {@link release}, for `using permit = …`. */
  [Symbol.dispose](): void {
    this.release();
  }
}
