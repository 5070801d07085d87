/**
 * `toPromise`: run a future outside any runtime and get a Promise.
 *
 * A small driver: it polls the future with a coop budget of 128 per poll, re-polls on a microtask when woken from
 * outside, and on a macrotask (`setImmediate`) when the future woke itself during its own poll (a yield), so a
 * future that keeps yielding cannot starve libuv. It provides no services: futures that need a runtime (timers,
 * I/O) must run on one (`rt.blockOn`).
 *
 * @module
 */
import { Context, type Executor, type ServiceKey } from '../context.js';
import { expected } from '../errors.js';
import { drop, isFuture, type Future } from '../future.js';
import { PENDING } from '../poll.js';
import type { Waker } from '../waker.js';

/** Options of {@link toPromise}. @category Interop */
export interface ToPromiseOptions {
  /** Aborting it cancels the future (its clean-up runs), then the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
}

const BUDGET = 128;

class PromiseDriver<T> implements Waker, Executor {
  budget = BUDGET;
  #future: Future<unknown>;
  #cancelling = false;
  #scheduled = false;
  #polling = false;
  /** The signal was aborted during a poll (from inside the future): cancel once that poll returns. */
  #abortAfterPoll = false;
  #finished = false;
  readonly #cx: Context;
  readonly #resolve: (value: T) => void;
  readonly #reject: (error: unknown) => void;
  readonly #signal: AbortSignal | undefined;
  readonly #run = () => this.#poll();
  readonly #onAbort = () => this.#abort();

  constructor(future: Future<T>, resolve: (v: T) => void, reject: (e: unknown) => void, signal?: AbortSignal) {
    this.#future = future;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#signal = signal;
    this.#cx = new Context(this, this);
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.wake();
  }

  budgetExhausted(): void {}

  service<S>(_key: ServiceKey<S>): S | undefined {
    return undefined;
  }

  wake(): void {
    if (this.#scheduled || this.#finished) return;
    this.#scheduled = true;
    if (this.#polling) setImmediate(this.#run);
    else queueMicrotask(this.#run);
  }

  #poll(): void {
    this.#scheduled = false;
    if (this.#finished) return;
    this.#polling = true;
    this.budget = BUDGET;
    let value: unknown;
    try {
      value = this.#future.poll(this.#cx);
    } catch (error) {
      this.#polling = false;
      return this.#settle(false, this.#cancelling ? this.#signal!.reason : error);
    }
    this.#polling = false;
    if (value === PENDING) {
      if (this.#abortAfterPoll) this.#abort();
      return;
    }
    // A future that finished in the poll during which the signal was aborted keeps its outcome: nothing is left to
    // cancel, as when the signal is aborted after the promise settled.
    if (this.#cancelling) this.#settle(false, this.#signal!.reason);
    else this.#settle(true, value);
  }

  #abort(): void {
    if (this.#finished || this.#cancelling) return;
    if (this.#polling) {
      // Aborted from inside the future's own poll: a generator cannot be cancelled while it runs (its `return()`
      // would throw and its `finally` blocks would never run), so the cancel waits for the poll to return.
      this.#abortAfterPoll = true;
      return;
    }
    this.#cancelling = true;
    try {
      const cleanup = this.#future.cancel();
      if (cleanup !== undefined) {
        this.#future = cleanup;
        return this.wake();
      }
    } catch {
      // A clean-up error after an abort is reported as the abort: the caller asked to stop.
    }
    this.#settle(false, this.#signal!.reason);
  }

  #settle(ok: boolean, value: unknown): void {
    this.#finished = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    if (ok) this.#resolve(value as T);
    else this.#reject(value);
  }
}

/**
 * Runs `future` to completion outside a runtime and returns a Promise of its value. Aborting `options.signal`
 * cancels the future and rejects with the signal's reason once its clean-up is done.
 *
 * @example
 * ```ts
 * import { toPromise, ready } from '@zokio/future';
 * const value = await toPromise(ready(5), { signal: AbortSignal.timeout(1000) }); // 5
 * ```
 * @category Interop
 */
export function toPromise<T>(future: Future<T>, options: ToPromiseOptions = {}): Promise<T> {
  if (!isFuture(future)) expected('a Future', future, 'toPromise');
  if (typeof options !== 'object' || options === null) expected('options to be an object', options, 'toPromise');
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) expected('an AbortSignal', signal, 'toPromise');
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      // Never polled here, but it may have been elsewhere: its `finally` blocks run; asynchronous clean-up is dropped,
      // as nothing is left to drive it, and what clean-up throws is not the answer: the caller asked to stop.
      try {
        drop(future);
      } catch {
        // reported as the abort
      }
      return reject(signal.reason);
    }
    new PromiseDriver(future, resolve, reject, signal);
  });
}
