/**
 * `isThenable`: whether a job's export returned something to wait for. Jobs may return any promise-like value (a
 * native Promise, a Bluebird one, a `{ then }` object), so this checks the shape, not the class.
 *
 * @module
 */

/** True for a value with a callable `then` (a promise, or any thenable). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
