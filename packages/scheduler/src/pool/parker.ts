/**
 * {@link Parker}: how a pool worker sleeps when it has nothing to run, and how another thread wakes it — through
 * `Atomics`, not `postMessage` (ARCHITECTURE.md §4: about 18× cheaper here).
 *
 * One `Int32` of shared memory per worker, in one of three states: `EMPTY`, `PARKED` (the worker sleeps or is about
 * to), `NOTIFIED` (a wake-up is pending). `unpark()` sets `NOTIFIED` and, if the worker was `PARKED`, wakes it.
 * `park()` consumes a pending `NOTIFIED` at once, else moves `EMPTY → PARKED` and waits until `NOTIFIED` — so a
 * wake-up that comes between the worker's last look at the queues and its sleep is never lost (Tokio's
 * `park`/`unpark` protocol).
 *
 * Two ways to wait, because a worker must never freeze its own event loop while it has I/O in flight (Piscina's
 * lesson): `park()` blocks the thread (`Atomics.wait`: nothing else to do), `parkAsync()` returns a promise
 * (`Atomics.waitAsync`: completions keep being delivered meanwhile). `Atomics.wait` is not allowed on the main
 * thread; `parkAsync` is.
 *
 * @module
 */
import { MAX_TIMER_MS } from '@zokio/future';

/** `Atomics.waitAsync` (ES2024; in Node since 16), typed here as TypeScript's ES2022 library lacks it. */
const waitAsync = (Atomics as unknown as AtomicsWithWaitAsync).waitAsync.bind(Atomics);

interface AtomicsWithWaitAsync {
  waitAsync(
    array: Int32Array,
    index: number,
    value: number,
    timeoutMs: number,
  ): { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
}

const EMPTY = 0;
const PARKED = 1;
const NOTIFIED = 2;

/** One worker's park/unpark state over shared memory. See the module doc. */
export class Parker {
  readonly #state: Int32Array;
  readonly #index: number;

  /** The parker at `index` of `states` (an `Int32Array` over a `SharedArrayBuffer`, one cell per worker). */
  constructor(states: Int32Array, index: number) {
    if (!(states.buffer instanceof SharedArrayBuffer))
      throw new TypeError('Parker: Expected an Int32Array over a SharedArrayBuffer, got one over an ArrayBuffer');
    if (!Number.isInteger(index) || index < 0 || index >= states.length)
      throw new RangeError(`Parker: Expected an index from 0 to ${states.length - 1}, got ${index}`);
    this.#state = states;
    this.#index = index;
  }

  /** Wakes the worker if it parks or is parked; remembered if it is running (its next `park` returns at once). */
  unpark(): void {
    if (Atomics.exchange(this.#state, this.#index, NOTIFIED) === PARKED) Atomics.notify(this.#state, this.#index, 1);
  }

  /** True while the thread is parked, or about to be (it said so and is taking its last look for work). */
  isParked(): boolean {
    return Atomics.load(this.#state, this.#index) === PARKED;
  }

  /**
   * Blocks this thread until unparked, or `timeoutMs` passes; returns whether it was unparked. Never on the main
   * thread.
   *
   * `recheck`, if given, is called once the state says `PARKED` and before sleeping: a thread that publishes work
   * and then wakes a parked thread (looking at {@link isParked}) either sees `PARKED`, or published before this
   * last look — so if `recheck` finds the work, the park ends at once, and no wake-up is lost either way.
   */
  park(timeoutMs = Infinity, recheck?: () => boolean): boolean {
    if (this.#consume()) return true;
    if (Atomics.compareExchange(this.#state, this.#index, EMPTY, PARKED) === EMPTY) {
      if (recheck?.()) {
        this.#settle();
        return true;
      }
      Atomics.wait(this.#state, this.#index, PARKED, timeoutMs);
    }
    return this.#settle();
  }

  /** As {@link park}, without blocking the thread: the event loop runs on while it waits. */
  async parkAsync(timeoutMs = Infinity, recheck?: () => boolean): Promise<boolean> {
    if (this.#consume()) return true;
    if (Atomics.compareExchange(this.#state, this.#index, EMPTY, PARKED) === EMPTY) {
      if (recheck?.()) {
        this.#settle();
        return true;
      }
      // The wait has no timeout of its own: a pending `waitAsync` does not keep Node's event loop alive, and neither
      // does the timer V8 arms for its timeout — with nothing else to do, the thread would exit mid-park (code 0,
      // or 13 at an unsettled top-level await). Our own timer both keeps the loop alive and ends the wait: it wakes
      // the waiter without a wake-up (the state stays PARKED), so the park reports a timeout.
      const wait = waitAsync(this.#state, this.#index, PARKED, Infinity);
      if (wait.async) {
        const timer = setTimeout(() => Atomics.notify(this.#state, this.#index), Math.min(timeoutMs, MAX_TIMER_MS));
        try {
          await wait.value;
        } finally {
          clearTimeout(timer);
        }
      }
    }
    return this.#settle();
  }

  /** A pending wake-up, consumed. */
  #consume(): boolean {
    return Atomics.compareExchange(this.#state, this.#index, NOTIFIED, EMPTY) === NOTIFIED;
  }

  /** After waiting: back to `EMPTY`; true if a wake-up came (not only the timeout). */
  #settle(): boolean {
    return Atomics.exchange(this.#state, this.#index, EMPTY) === NOTIFIED;
  }
}
