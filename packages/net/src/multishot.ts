/**
 * {@link MultishotReceiver}: one receive op per stream that keeps receiving, instead of one receive op per read.
 *
 * Where the driver has provided buffers, a stream's first read arms a *multishot* receive that selects a provided
 * buffer each time data arrives (io_uring's `IORING_RECV_MULTISHOT`; emulated by the epoll and js backends). Every
 * completion's bytes are copied out, the buffer goes straight back to the group, and the bytes join the gate's
 * `kept` chunks; reads only take from `kept`. Per message that saves the receive's submission — its record, its
 * kernel issue and poll arming, and three future objects — which was a measured share of an echo or an HTTP
 * request's cost.
 *
 * ## Protocol
 * - Reads take `kept` chunks in order; with none, they (re-)arm the receive and wait for its next completion.
 * - A waiting read registers *itself* with the receiver (and with the gate, while it waits for an orphan), not its
 *   task's waker: two reads of one task are two entries, so dropping one leaves the other's, and it is still woken.
 * - **Backpressure**: with {@link HIGH_WATER} chunks kept and unread, the receive is cancelled; the next read that
 *   takes a chunk arms it again. The kernel's socket buffer, and then TCP's window, hold the rest.
 * - **`ENOBUFS`** (every provided buffer in use at once: a burst) ends the receive; the next read then makes one
 *   receive of its own through {@link ReceiveFuture} (a pool buffer of its own), and arms the multishot receive
 *   again after it.
 * - **Orders**: the multishot receive is never armed while an orphaned single receive is in flight (its bytes come
 *   first), and never while it is still in flight itself (one per stream).
 * - **End**: a zero-byte completion is the peer's end of stream: every later read returns an empty buffer. An error
 *   is kept and thrown by every later read. Closing the stream cancels the receive and fails a waiting read with
 *   `ECANCELED`, as a single receive would.
 *
 * Cancel-safety is free here: a dropped read never owned the bytes; they stay in `kept` for the next read.
 *
 * @module
 */
import { FutureBase, PENDING, type Cleanup, type Context, type Poll, type Waker } from '@zokio/future';
import { COMPLETION_MORE, IoError, type BufferGroup, type CompletionHandler, type IoDriver } from '@zokio/io-driver';
import { GatedRead, type ReadGate, type ReadSource } from './read-gate.js';

/** Unread chunks (≤ 16 KiB each) kept before the receive pauses. */
export const HIGH_WATER = 64;
const ENOBUFS = 105;
const ECANCELED = 125;
const EMPTY = Buffer.alloc(0);

/** A stream's multishot receive; lives in its {@link ReadGate} (shared by a stream's halves). @internal */
export class MultishotReceiver implements CompletionHandler {
  readonly #driver: IoDriver;
  readonly #group: BufferGroup;
  readonly #gate: ReadGate<Buffer>;
  readonly #fd: number;
  readonly #label: string;
  #token = -1;
  /** A cancel of the op in flight was requested (at most one per op: a token is reused after its final completion). */
  #cancelling = false;
  /**
   * The read waiting for data (the read future itself: one entry per read, not per task); `#others` only when
   * several read at once (the contract is one reader at a time).
   */
  #waiter: Waker | undefined = undefined;
  #others: Waker[] | undefined = undefined;
  /** The peer ended its side. */
  ended = false;
  /** The receive failed (or the stream closed): every later read throws it. */
  error: IoError | undefined = undefined;
  /** The last receive ended with `ENOBUFS`: the next read receives on its own once. */
  starved = false;

  constructor(driver: IoDriver, group: BufferGroup, gate: ReadGate<Buffer>, fd: number, label: string) {
    this.#driver = driver;
    this.#group = group;
    this.#gate = gate;
    this.#fd = fd;
    this.#label = label;
  }

  /** True while the receive op is in flight (until its final completion). */
  get busy(): boolean {
    return this.#token >= 0;
  }

  /** Arms the receive unless it runs, ended, failed, is paused by backpressure, or an orphan is in flight. */
  arm(): void {
    if (this.#token >= 0 || this.ended || this.error !== undefined || this.starved) return;
    const gate = this.#gate;
    if (gate.orphans > 0 || gate.kept.length >= HIGH_WATER) return;
    this.#token = this.#driver.recvSelect(this.#fd, this.#group, this, { multishot: true });
    this.#cancelling = false;
  }

  #cancel(): void {
    if (this.#token < 0 || this.#cancelling) return;
    this.#cancelling = true;
    this.#driver.cancel(this.#token);
  }

  /** Registers a read waiting for data (`waiter` is the read itself); once per read. */
  waitWith(waiter: Waker): void {
    if (this.#waiter === undefined || this.#waiter === waiter) this.#waiter = waiter;
    else if (!(this.#others ??= []).includes(waiter)) this.#others.push(waiter);
  }

  /** Removes `waiter`'s entry (a read dropped or done): other reads, even of the same task, stay registered. */
  forget(waiter: Waker): void {
    if (this.#waiter === waiter) this.#waiter = undefined;
    else if (this.#others !== undefined) {
      const i = this.#others.indexOf(waiter);
      if (i >= 0) this.#others.splice(i, 1);
    }
  }

  /** Wakes every waiting read: each polls again, and those that find nothing wait again. */
  #wakeAll(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.wake();
    const others = this.#others;
    if (others !== undefined && others.length > 0) {
      this.#others = undefined;
      for (const other of others) other.wake();
    }
  }

  complete(res: number, flags: number, aux: number): void {
    const more = (flags & COMPLETION_MORE) !== 0;
    if (!more) {
      this.#token = -1;
      this.#cancelling = false;
    }
    if (res > 0) {
      const group = this.#group;
      this.#gate.kept.push(Buffer.from(group.buffer(aux).bytes.subarray(0, res)));
      group.recycle(aux);
      if (more && this.#gate.kept.length >= HIGH_WATER) this.#cancel(); // backpressure
    } else if (res === 0) this.ended = true;
    else if (res === -ENOBUFS) this.starved = true;
    else if (res !== -ECANCELED) this.error = IoError.fromResult(res, 'recv', this.#label); // ECANCELED: ours
    this.#wakeAll();
    if (!more) this.#gate.settled(); // readers waiting for the gate to be quiet (toDuplex)
  }

  /** The stream is closing: stop receiving; a waiting read fails with `ECANCELED`. */
  interrupt(): void {
    this.error ??= IoError.fromResult(-ECANCELED, 'recv', this.#label);
    this.#cancel();
    this.#wakeAll();
  }
}

/** Takes up to `max` bytes from the front of the kept chunks (there is one). */
export function takeKept(gate: ReadGate<Buffer>, max: number): Buffer {
  const first = gate.kept[0]!;
  if (first.length <= max) {
    gate.shiftKept();
    return first;
  }
  gate.kept[0] = first.subarray(max);
  return first.subarray(0, max);
}

/**
 * One read through a stream's {@link MultishotReceiver}. See the module doc. While it waits, it is its own entry in
 * the receiver's (or the gate's) line ({@link MultishotRead.wake}). @internal
 */
export class MultishotRead extends FutureBase<Buffer> implements Waker {
  readonly #receiver: MultishotReceiver;
  readonly #gate: ReadGate<Buffer>;
  readonly #source: ReadSource<Buffer>;
  readonly #max: number;
  /** The waker of the task that last polled it while it waited; `undefined` while not waiting. */
  #waker: Waker | undefined = undefined;
  /** A read of its own after `ENOBUFS`. */
  #single: GatedRead<Buffer> | undefined = undefined;

  constructor(receiver: MultishotReceiver, gate: ReadGate<Buffer>, source: ReadSource<Buffer>, max: number) {
    super();
    this.#receiver = receiver;
    this.#gate = gate;
    this.#source = source;
    this.#max = max;
  }

  /** @internal Its entry in the receiver's or the gate's line: wakes the task that last polled it. */
  wake(): void {
    this.#waker?.wake();
  }

  poll(cx: Context): Poll<Buffer> {
    if (this.#single !== undefined) return this.#single.poll(cx);
    const gate = this.#gate;
    const receiver = this.#receiver;
    if (gate.kept.length > 0 && gate.orphans === 0) {
      if (this.#waker !== undefined) this.#leave();
      const bytes = takeKept(gate, this.#max);
      receiver.arm(); // resumes after backpressure
      return bytes;
    }
    if (receiver.error !== undefined) {
      if (this.#waker !== undefined) this.#leave();
      throw receiver.error;
    }
    if (gate.orphans > 0) {
      this.#waker = cx.waker;
      gate.wait(this);
      return PENDING;
    }
    if (this.#waker !== undefined) this.#leave(); // it waited: it leaves the lines, to wait again or to be done
    if (receiver.ended) return EMPTY;
    if (receiver.starved && !receiver.busy) {
      receiver.starved = false;
      this.#single = new GatedRead(gate, this.#source, this.#max);
      return this.#single.poll(cx);
    }
    receiver.arm();
    this.#waker = cx.waker;
    receiver.waitWith(this);
    return PENDING;
  }

  /** Removes its entries from the receiver's and the gate's lines. */
  #leave(): void {
    this.#waker = undefined;
    this.#receiver.forget(this);
    this.#gate.forget(this);
  }

  override cancel(): Cleanup {
    if (this.#waker !== undefined) this.#leave();
    return this.#single?.cancel();
  }
}
