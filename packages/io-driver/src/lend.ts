/**
 * {@link lend}: {@link IoDriver.lend} as a future, for code that reaches the driver only through the context of the
 * task polling it (a generator function).
 *
 * @module
 */
import { FutureBase, polledAfterCompletion, type Context, type Poll } from '@zokio/future';
import type { LentBuffer } from './lent-buffer.js';
import { ioDriverOf } from './op-future.js';

class Lend extends FutureBase<LentBuffer | undefined> {
  readonly #bytes: Uint8Array;
  #done = false;

  constructor(bytes: Uint8Array) {
    super();
    this.#bytes = bytes;
  }

  poll(cx: Context): Poll<LentBuffer | undefined> {
    if (this.#done) throw polledAfterCompletion('lend');
    this.#done = true;
    return ioDriverOf(cx).lend(this.#bytes);
  }
}

/**
 * Lends `bytes` to the I/O driver of the task polling it: ready at the first poll with the loan, or `undefined` when
 * the driver has {@link MAX_LOANS} out already (copy through pool buffers then). End the loan with
 * `loan.giveBack()` — in a `finally`, so that a dropped caller ends it too.
 *
 * **Cancel-safe**: it completes at its first poll; dropped before, nothing was lent.
 *
 * @example
 * ```ts
 * import { fn } from '@zokio/future';
 * import { lend } from '@zokio/io-driver';
 * const readInto = fn(function* (result: Buffer) {
 *   const loan = yield* lend(result);
 *   try {
 *     // ops naming loan.span(offset, length) read straight into `result`
 *   } finally {
 *     loan?.giveBack();
 *   }
 * });
 * ```
 * @category Driver
 */
export function lend(bytes: Uint8Array): Lend {
  return new Lend(bytes);
}

export type { Lend };
