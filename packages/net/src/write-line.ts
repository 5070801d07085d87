/**
 * {@link WriteLine}: the order of a stream's writes — what lets several tasks write to one socket without their
 * bytes interleaving.
 *
 * ```
 *   holder ──▶ W1 (its sends go out, one at a time)
 *   head ──▶ W2 ⇄ W3 ⇄ W4 ◀── tail        waiting, oldest first, linked through the writes' own fields
 * ```
 *
 * ## Protocol
 * - A write takes its place at its **first poll** (futures are lazy: one never polled never queued). If the line is
 *   free it becomes the holder at once — the fast path: two field writes, no allocation, no list. Otherwise it links
 *   itself at the tail and waits.
 * - The holder sends all its bytes, then hands the line **directly** to the head and wakes it: a write polled later
 *   cannot overtake one that waits. A free line therefore has nobody waiting (`holder === undefined` ⇒ empty list).
 * - A waiting write that is dropped unlinks itself: **nothing of it was sent**. One dropped after the line was
 *   handed to it, before it used it, hands it on.
 * - A holder dropped with a send in flight keeps the line until that send's final completion arrives (the kernel may
 *   still send those bytes; nothing may go out before them); the send hands the line on. A dropped holder may have
 *   sent any prefix of its bytes: writes are not cancel-safe once they hold the line.
 * - Closing the stream closes the line: the holder's send in flight is interrupted and fails with `ECANCELED` (if
 *   it completed first, the holder fails with `EBADF` before its next send; the `js` driver cannot cancel a send:
 *   Node's socket flushes it, as the kernel would), waiting writes wake and fail with `EBADF`, and a write first
 *   polled afterwards fails at once (never sending on an fd number that may be reused). Without the interrupt, a
 *   send waiting for room would wait for a peer that may never read — on the epoll backend for good, as the closed
 *   fd leaves the epoll set.
 *
 * The line is per stream and made at the stream's first write, so an idle connection pays nothing for it.
 *
 * @module
 */
import {
  FutureBase,
  PENDING,
  polledAfterCompletion,
  type Cleanup,
  type Context,
  type Poll,
  type Waker,
} from '@zokio/future';
import { closedSocket } from './errors.js';

/** The holder and the waiting writes of one stream. @internal */
export class WriteLine {
  /** The write whose bytes are going out; `undefined` when the line is free. */
  holder: LineWrite<unknown> | undefined = undefined;
  /** True once the stream is closed. */
  closed = false;
  #head: LineWrite<unknown> | undefined = undefined;
  #tail: LineWrite<unknown> | undefined = undefined;

  /** Links `write` at the tail. */
  enqueue(write: LineWrite<unknown>): void {
    write.linePrev = this.#tail;
    write.lineNext = undefined;
    if (this.#tail === undefined) this.#head = write;
    else this.#tail.lineNext = write;
    this.#tail = write;
  }

  /** Unlinks a waiting `write` (O(1)). */
  leave(write: LineWrite<unknown>): void {
    const { linePrev: prev, lineNext: next } = write;
    if (prev === undefined) {
      if (this.#head !== write) return; // not linked
      this.#head = next;
    } else prev.lineNext = next;
    if (next === undefined) this.#tail = prev;
    else next.linePrev = prev;
    write.linePrev = write.lineNext = undefined;
  }

  /** The holder is done: hands the line to the oldest waiting write and wakes it, or frees the line. */
  pass(): void {
    const next = this.#head;
    this.holder = next;
    if (next === undefined) return;
    this.leave(next);
    next.wakeTurn();
  }

  /** The stream closed: the holder's op in flight is interrupted; waiting writes wake, see it, and fail. */
  close(): void {
    this.closed = true;
    this.holder?.interruptTurn();
    for (let write = this.#head; write !== undefined; write = write.lineNext) write.wakeTurn();
  }
}

const IDLE = 0;
const WAITING = 1;
const HOLDING = 2;
const DONE = 3;

/**
 * A write that runs only while it holds its stream's {@link WriteLine}. Subclasses say what to do with the turn
 * ({@link pollTurn}) and how to stop ({@link dropTurn}). @internal
 */
export abstract class LineWrite<T> extends FutureBase<T> {
  protected readonly line: WriteLine;
  protected readonly label: string;
  readonly #syscall: string;
  /** Neighbours while waiting (see {@link WriteLine}). */
  linePrev: LineWrite<unknown> | undefined = undefined;
  lineNext: LineWrite<unknown> | undefined = undefined;
  #state = IDLE;
  #waker: Waker | undefined = undefined;

  constructor(line: WriteLine, syscall: string, label: string) {
    super();
    this.line = line;
    this.#syscall = syscall;
    this.label = label;
  }

  /** Does the write, holding the line: a value when done, `PENDING` while an op is in flight. */
  protected abstract pollTurn(cx: Context): Poll<T>;

  /**
   * Dropped while holding the line: cancel the op in flight. True if that op's final completion will hand the line
   * on (see `SendFuture`); false to hand it on now.
   */
  protected abstract dropTurn(): boolean;

  /** @internal The stream is closing: interrupt the op in flight (see `OpFuture.interrupt`). Default: nothing. */
  interruptTurn(): void {}

  /** `EBADF` for an op on the closed stream. */
  protected closedError(): Error {
    return closedSocket(this.#syscall, this.label);
  }

  poll(cx: Context): Poll<T> {
    const line = this.line;
    switch (this.#state) {
      case IDLE:
        if (line.closed) {
          this.#state = DONE;
          throw this.closedError();
        }
        if (line.holder === undefined) {
          line.holder = this;
          this.#state = HOLDING;
          return this.#run(cx);
        }
        this.#state = WAITING;
        this.#waker = cx.waker;
        line.enqueue(this);
        return PENDING;
      case WAITING:
        if (line.holder === this) {
          this.#state = HOLDING;
          this.#waker = undefined;
          return this.#run(cx);
        }
        if (line.closed) {
          this.#state = DONE;
          this.#waker = undefined;
          line.leave(this);
          throw this.closedError();
        }
        this.#waker = cx.waker;
        return PENDING;
      case HOLDING:
        return this.#run(cx);
      default:
        throw polledAfterCompletion(`${this.#syscall} on a stream`);
    }
  }

  #run(cx: Context): Poll<T> {
    let value: Poll<T>;
    try {
      value = this.pollTurn(cx);
    } catch (error) {
      this.#end();
      throw error;
    }
    if (value !== PENDING) this.#end();
    return value;
  }

  #end(): void {
    this.#state = DONE;
    this.line.pass();
  }

  /** @internal The line was handed to this write, or the stream closed: poll again. */
  wakeTurn(): void {
    const waker = this.#waker;
    this.#waker = undefined;
    waker?.wake();
  }

  override cancel(): Cleanup {
    const state = this.#state;
    this.#state = DONE;
    this.#waker = undefined;
    if (state === WAITING) {
      if (this.line.holder === this)
        this.line.pass(); // handed the line, never used it
      else this.line.leave(this);
    } else if (state === HOLDING) {
      if (!this.dropTurn()) this.line.pass();
    }
    return undefined;
  }
}
