/**
 * {@link BufferWait}: a place in the line for a buffer of one size class — the pool's back-pressure. An op that
 * finds its class empty at the pool's `maxBytes` waits for a buffer of that class to come back instead of failing.
 *
 * ## Protocol
 * - `BufferPool.waitForBuffer(size, waker)` after `acquire` threw `PoolExhaustedError` puts a `BufferWait` at the
 *   tail of its class's line — only if a buffer of that class is out: a pool at its cap never re-carves a page for
 *   another class, so with none out, none can come back and the wait would never end (the error stands).
 * - Each `release` of a buffer of the class takes the **oldest** waiter out of the line, marks it `woken` and wakes
 *   its waker; it then calls `acquire` again. The buffer is not held for it: a caller that never waited may take it
 *   first (then the woken one waits again, at the tail). Holding it was tried and measured worse: under 10,000
 *   connections a woken task waits its turn in a long run queue while the buffer held for it sits idle (the soak's
 *   throughput fell from ~13,000 to ~3,000 requests/s, and waits ran into `maxWaitMs`).
 * - A waiter that no longer wants a buffer calls `leave()`: out of the line, or — if it was woken and had not
 *   acquired yet — the wake-up passes to the next waiter, so a dropped waiter never swallows the one another
 *   needs.
 * - `close()` of the pool wakes every waiter: its next `acquire` throws `PoolClosedError`.
 * - A wait is bounded (`maxWaitMs` of the pool): past its deadline the waiter leaves the line `expired` and is woken,
 *   and the op fails with the `PoolExhaustedError` it would have had without waiting. Buffers held for long (a
 *   provided-buffer group's, owned buffers a caller keeps) may never come back to a line: the bound makes that an
 *   error, not a hang.
 *
 * Waiting is the rare path: a pool below its cap grows instead, and `release` pays one integer test while nobody
 * waits.
 *
 * @module
 */
import type { Waker } from '@zokio/future';

/** What a {@link BufferWait} needs of its pool. @internal */
export interface BufferLine {
  /** Takes `wait` out of its class's line; false if it was not in it. */
  remove(wait: BufferWait): boolean;
  /** A woken waiter left before acquiring: wake the next waiter of `sizeClass`. */
  passOn(sizeClass: number): void;
}

/**
 * A waiter for a buffer of one size class (see the module doc). Made by {@link BufferPool.waitForBuffer}.
 * @category Memory
 */
export class BufferWait {
  /** The buffer size waited for, and its size class. */
  readonly size: number;
  readonly sizeClass: number;
  /** When the wait ends unserved (`performance.now()` milliseconds). */
  readonly deadline: number;
  /** Woken when a buffer of the class came back; update it if the waiting task's waker changes. */
  waker: Waker;
  #woken = false;
  #expired = false;
  readonly #line: BufferLine;

  /** @internal */
  constructor(line: BufferLine, size: number, sizeClass: number, waker: Waker, deadline: number) {
    this.#line = line;
    this.size = size;
    this.sizeClass = sizeClass;
    this.waker = waker;
    this.deadline = deadline;
  }

  /** True once the wait passed its deadline unserved: it is out of the line; give up (`PoolExhaustedError`). */
  get expired(): boolean {
    return this.#expired;
  }

  /** @internal Called by the pool as it takes this waiter out of the line at its deadline. */
  expire(): void {
    this.#expired = true;
    this.waker.wake();
  }

  /** True once a buffer of the class came back for this waiter: `acquire` again. */
  get woken(): boolean {
    return this.#woken;
  }

  /** @internal Called by the pool as it takes this waiter out of the line. */
  wake(): void {
    this.#woken = true;
    this.waker.wake();
  }

  /**
   * Gives up the wait: leaves the line, or passes a wake-up it did not use to the next waiter. Call it when dropped
   * before acquiring again; not after (the turn was used). Idempotent.
   */
  leave(): void {
    if (this.#line.remove(this)) return;
    if (!this.#woken) return;
    this.#woken = false;
    this.#line.passOn(this.sizeClass);
  }
}
