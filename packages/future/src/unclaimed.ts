/**
 * Unclaimed values: what a combinator obtained but will never hand to anyone. A `select`'s winner when the select is
 * cancelled while its losers clean up, or when that clean-up fails; a join's values when it fails or is cancelled.
 *
 * A value that is `Disposable` (a `MutexGuard`, a semaphore `Permit`, an open `File`) would otherwise keep what it
 * holds for good, with nobody left to release it: it is disposed, the JavaScript counterpart of Rust dropping the
 * value with the future that held it. Other values are left to the garbage collector.
 *
 * @module
 */
import { combineErrors } from './errors.js';

/** Disposes each `Disposable` among `values`; returns what disposing threw (errors combined), or `undefined`. */
export function disposeUnclaimed(values: Iterable<unknown>): unknown {
  let error: unknown;
  for (const value of values) {
    const dispose = (value as Partial<Disposable> | null | undefined)?.[Symbol.dispose];
    if (typeof dispose !== 'function') continue;
    try {
      dispose.call(value);
    } catch (thrown) {
      error = combineErrors(error, thrown);
    }
  }
  return error;
}
