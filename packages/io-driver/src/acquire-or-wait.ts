/**
 * {@link acquireOrWait}: a pool buffer for callback-style code — the Node stream adapters of `@zokio/fs` and
 * `@zokio/net` — with the back-pressure every op future has: at the pool's cap it waits in the pool's line
 * (`BufferPool.waitForBuffer`, up to `maxWaitMs`) instead of failing.
 *
 * ## Protocol
 * - A free buffer: `use(buf)` runs at once, before `acquireOrWait` returns.
 * - At the cap, with a buffer of the class out: the caller waits. When one comes back, `use` runs **in a microtask**
 *   — never inside the `release` that freed it (a waker schedules; it does not do the next op's work, whose errors
 *   would otherwise come out of someone else's `release`). Another caller may have taken the buffer meanwhile: then
 *   it waits again, keeping its first deadline.
 * - `fail(error)` runs when none can be had: the `PoolExhaustedError` (none of the class out, or the wait expired), a
 *   `PoolClosedError`, or a bad size.
 * - It returns `undefined` when a callback already ran (nothing is pending), else the function that withdraws the
 *   wait (a stream destroyed meanwhile): neither callback runs afterwards, and a wake-up it was given passes to the
 *   next waiter. Idempotent; a no-op once a callback ran.
 *
 * @module
 */
import { BufferPool, PoolExhaustedError, type BufferWait, type IoBuf } from '@zokio/memory';

/**
 * Calls `use` with a buffer of `size` bytes from `pool` now, or once one comes back; `fail` if none can be had.
 * Returns the function that withdraws the wait, or `undefined` if a callback already ran.
 *
 * @example
 * ```ts
 * import { acquireOrWait } from '@zokio/io-driver';
 * import { BufferPool } from '@zokio/memory';
 * const pool = new BufferPool();
 * const withdraw = acquireOrWait(pool, 4096, (buf) => pool.release(buf), (error) => console.error(error));
 * console.log(withdraw); // undefined: a buffer was free, and `use` already ran
 * ```
 * @category Driver
 */
export function acquireOrWait(
  pool: BufferPool,
  size: number,
  use: (buf: IoBuf) => void,
  fail: (error: Error) => void,
): (() => void) | undefined {
  let wait: BufferWait | undefined;
  let left = false;
  const attempt = (deadline?: number): void => {
    let buf: IoBuf;
    try {
      buf = pool.acquire(size);
    } catch (error) {
      wait = error instanceof PoolExhaustedError ? pool.waitForBuffer(size, waker, deadline) : undefined;
      if (wait === undefined) fail(error as Error);
      return;
    }
    wait = undefined;
    use(buf);
  };
  const resume = (): void => {
    const woken = wait;
    if (left || woken === undefined) return;
    wait = undefined; // its turn is used by this attempt (or it expired)
    if (woken.expired) fail(new PoolExhaustedError(size, pool.maxBytes));
    else attempt(woken.deadline);
  };
  const waker = { wake: () => queueMicrotask(resume) };
  attempt();
  if (wait === undefined) return undefined; // `use` or `fail` ran: nothing to withdraw
  return () => {
    if (left) return;
    left = true;
    wait?.leave();
    wait = undefined;
  };
}
