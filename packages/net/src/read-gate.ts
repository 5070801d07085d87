/**
 * {@link ReadGate}: what makes a socket's reads cancel-safe — a dropped read loses no byte, and bytes come out in
 * the order they arrived.
 *
 * ## Protocol
 * - A read first takes what dropped reads left behind (`kept`), oldest first.
 * - A read dropped while its receive was in flight becomes an *orphan*: its receive still completes (the kernel may
 *   already have copied bytes into its buffer), and whatever it got is appended to `kept`.
 * - While an orphan is in flight, no new receive is submitted: a new one could complete first with later bytes and
 *   overtake the orphan's. Readers wait for the orphans to finish, then take from `kept`.
 * - A waiting read registers *itself* (it is the {@link Waker} in the gate's line, and wakes the task that last
 *   polled it), not its task's waker: two reads of one task (a `join`, a `select`) are two entries, so dropping one
 *   removes only its own and the other is still woken.
 *
 * One reader at a time is the contract (as Tokio's `&mut self`); several concurrent readers each get whole chunks
 * in no promised order.
 *
 * @module
 */
import { FutureBase, PENDING, type Cleanup, type Context, type Future, type Poll, type Waker } from '@zokio/future';
import type { MultishotReceiver } from './multishot.js';

/** An op that can be asked to stop while its future keeps waiting for it (`OpFuture.interrupt`). @internal */
export interface Interruptible {
  interrupt(): void;
}

/** The state a socket shares with its read futures. @internal */
export class ReadGate<T> {
  readonly kept: T[] = [];
  orphans = 0;
  /** The receive in flight for the current read, if any: closing the socket interrupts it. */
  current: Interruptible | undefined = undefined;
  /** The stream's multishot receive, where the driver has provided buffers (see `multishot.ts`). */
  receiver: MultishotReceiver | undefined = undefined;
  /**
   * Readers waiting for the gate to be quiet, one entry per waiting read (the read future itself, never its task's
   * waker: see the module doc); made when the first one waits (an idle stream holds none).
   */
  #waiters: Waker[] | undefined = undefined;

  /**
   * Takes the oldest kept value. When that empties `kept`, its backing store is let go (`length = 0`): V8 keeps an
   * array's capacity after `shift`, which on an idle connection — a chunk kept once, then read — was ~130 bytes of
   * the ~1.2 KiB a connection holds.
   */
  shiftKept(): T | undefined {
    const kept = this.kept;
    const first = kept.shift();
    if (kept.length === 0) kept.length = 0;
    return first;
  }

  /** A dropped read's final result arrived: keep it (unless `undefined`) and let waiting readers go on. */
  settleOrphan(value: T | undefined): void {
    this.orphans--;
    if (value !== undefined) this.kept.push(value);
    this.settled();
  }

  /** True while no receive of this gate is in flight: no orphan, no multishot receive. */
  get quiet(): boolean {
    return this.orphans === 0 && this.receiver?.busy !== true;
  }

  /** A receive of this gate ended: if none is left in flight, waiting readers go on. */
  settled(): void {
    if (!this.quiet) return;
    const waiters = this.#waiters;
    if (waiters === undefined || waiters.length === 0) return;
    this.#waiters = undefined;
    for (const waker of waiters) waker.wake();
  }

  /** Registers `waiter` (one waiting read, or `toDuplex`'s pull) until the gate is quiet; once per waiter. */
  wait(waiter: Waker): void {
    const waiters = (this.#waiters ??= []);
    if (!waiters.includes(waiter)) waiters.push(waiter);
  }

  /** Removes `waiter`'s entry (a read dropped or done): other waiters, even of the same task, stay. */
  forget(waiter: Waker): void {
    const i = this.#waiters?.indexOf(waiter) ?? -1;
    if (i >= 0) this.#waiters!.splice(i, 1);
  }
}

/** Where a gated read's values come from: the socket itself (no closure per read). @internal */
export interface ReadSource<T> {
  /**
   * The receive of one read: up to `max` bytes from the socket's fd *now* — a read made before `close()` and
   * started after it fails with `EBADF`, never reaching a socket that reused the fd number.
   */
  startReceive(max: number): Future<T>;
  /** Takes a value of up to `max` bytes from the front of the gate's kept values (there is one). */
  takeKept(max: number): T;
}

/**
 * A read through a {@link ReadGate}: takes a kept value, or waits for orphans, or runs the source's receive.
 *
 * While it waits for orphans it is its own entry in the gate's line ({@link GatedRead.wake}). @internal
 */
export class GatedRead<T> extends FutureBase<T> implements Waker {
  readonly #gate: ReadGate<T>;
  readonly #source: ReadSource<T>;
  readonly #max: number;
  #inner: Future<T> | undefined = undefined;
  /** The waker of the task that last polled it while it waited for orphans; `undefined` while not waiting. */
  #waker: Waker | undefined = undefined;
  #done = false;

  constructor(gate: ReadGate<T>, source: ReadSource<T>, max: number) {
    super();
    this.#gate = gate;
    this.#source = source;
    this.#max = max;
  }

  /** @internal Its entry in the gate's line: wakes the task that last polled it. */
  wake(): void {
    this.#waker?.wake();
  }

  poll(cx: Context): Poll<T> {
    const gate = this.#gate;
    if (this.#inner === undefined) {
      if (gate.orphans > 0) {
        this.#waker = cx.waker;
        gate.wait(this);
        return PENDING;
      }
      if (this.#waker !== undefined) {
        this.#waker = undefined;
        gate.forget(this);
      }
      if (gate.kept.length > 0) return this.#source.takeKept(this.#max);
      try {
        this.#inner = this.#source.startReceive(this.#max);
      } catch (error) {
        this.#done = true; // closed meanwhile: EBADF
        throw error;
      }
      gate.current = this.#inner as unknown as Interruptible;
    }
    try {
      const value = this.#inner.poll(cx);
      if (value !== PENDING) this.#finish();
      return value;
    } catch (error) {
      this.#finish();
      throw error;
    }
  }

  #finish(): void {
    this.#done = true;
    if (this.#gate.current === (this.#inner as unknown)) this.#gate.current = undefined;
  }

  /** Dropped with its receive in flight (or completed unobserved): it becomes an orphan of the gate. */
  override cancel(): Cleanup {
    if (this.#waker !== undefined) {
      this.#waker = undefined;
      this.#gate.forget(this);
    }
    const inner = this.#inner;
    this.#inner = undefined;
    if (inner === undefined || this.#done) return undefined;
    this.#done = true;
    if (this.#gate.current === (inner as unknown)) this.#gate.current = undefined;
    this.#gate.orphans++;
    return inner.cancel();
  }
}
