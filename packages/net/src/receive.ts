/**
 * {@link ReceiveFuture}: one receive of a stream's read, and where its buffer comes from.
 *
 * ## Buffers
 * 1. The driver's **provided buffers** (256 × 16 KiB per driver, an io_uring provided-buffer ring; emulated on
 *    epoll and `js`): the backend picks one when data arrives, so a connection waiting in `read()` holds no buffer.
 *    The bytes are copied out and the buffer goes straight back to the group.
 * 2. All in use (`ENOBUFS`) — which happens only in a burst, since each goes back as soon as its completion is
 *    read, and which means data is waiting — the receive brings a **pool buffer of its own** (up to `max` bytes)…
 * 3. …unless {@link MAX_FALLBACKS} such receives are already in flight on the driver, or the pool cannot lend the
 *    buffer: then it **selects again**; by the time that receive is submitted, the burst's buffers are back.
 *
 * Why the cap: 10,000 connections whose data (or end) arrives in the same instant got 9,744 `ENOBUFS`, and as many
 * 64 KiB fallbacks submitted in one tick took the whole pool (64 MiB), so that unrelated sends then failed with
 * `PoolExhaustedError` (`test/load.test.ts`, on io_uring). 64 × 64 KiB is 4 MiB, a sixteenth of the default pool;
 * the number is picked, not measured, and can be tuned with data.
 *
 * A driver without provided buffers receives into a pool buffer of its own every time.
 *
 * @module
 */
import { FutureBase, PENDING, type Cleanup, type Context, type Poll } from '@zokio/future';
import { constants } from 'node:os';
import { IoError, type BufferGroup, type IoDriver } from '@zokio/io-driver';
import { PoolExhaustedError } from '@zokio/memory';
import { RecvFuture, SelectRecvFuture } from './ops.js';
import type { TcpStream } from './tcp-stream.js';

const ECANCELED = constants.errno.ECANCELED;
const GROUP_BUFFERS = 256;
const GROUP_BUFFER_BYTES = 16384;
/** Receives with a pool buffer of their own in flight at once per driver, when it has provided buffers. */
const MAX_FALLBACKS = 64;

/** Per driver: its provided buffers (`null`: it has none), and the fallback receives in flight. */
interface Receiving {
  readonly group: BufferGroup | null;
  fallbacks: number;
}

const receiving = new WeakMap<IoDriver, Receiving>();

/** The driver's provided buffers for stream receives, or `null` where it has none. @internal */
export function groupOf(driver: IoDriver): BufferGroup | null {
  return receivingOf(driver).group;
}

function receivingOf(driver: IoDriver): Receiving {
  let state = receiving.get(driver);
  if (state === undefined) {
    let group: BufferGroup | null;
    try {
      group = driver.createBufferGroup(GROUP_BUFFERS, GROUP_BUFFER_BYTES);
    } catch {
      group = null; // no provided buffers here: each receive brings its own
    }
    state = { group, fallbacks: 0 };
    receiving.set(driver, state);
  }
  return state;
}

/**
 * One receive of up to `max` bytes from `stream`'s socket (see the module doc for its buffer). Bytes beyond `max`
 * go to the front of the gate's kept bytes. A dropped receive is an orphan of the gate, whichever buffer it used.
 * @internal
 */
export class ReceiveFuture extends FutureBase<Buffer> {
  readonly #stream: TcpStream;
  readonly #fd: number;
  readonly #max: number;
  #inner: RecvFuture | SelectRecvFuture;
  /** The socket is closing: no new receive may start (its fd may be another socket's by the next poll). */
  #interrupted = false;

  constructor(stream: TcpStream, fd: number, max: number) {
    super();
    this.#stream = stream;
    this.#fd = fd;
    this.#max = max;
    const group = receivingOf(stream.driver).group;
    this.#inner =
      group === null
        ? new RecvFuture(fd, max, stream.label, stream.gate)
        : new SelectRecvFuture(fd, group, stream.label, stream.gate);
  }

  poll(cx: Context): Poll<Buffer> {
    const stream = this.#stream;
    for (;;) {
      let bytes: Poll<Buffer | undefined>;
      try {
        bytes = this.#inner.poll(cx);
      } catch (error) {
        const state = this.#settleFallback();
        // A fallback's submit found the pool full (it submitted nothing): select again.
        if (state === undefined || !(error instanceof PoolExhaustedError)) throw error;
        this.#retryOrCancelled();
        this.#select(state.group!);
        continue;
      }
      if (bytes === PENDING) return PENDING;
      this.#settleFallback();
      if (bytes === undefined) {
        this.#retryOrCancelled();
        // `ENOBUFS`: the provided buffers are all taken for the moment.
        const state = receivingOf(stream.driver);
        if (state.fallbacks >= MAX_FALLBACKS) {
          this.#select(state.group!);
        } else {
          state.fallbacks++;
          this.#inner = new RecvFuture(this.#fd, this.#max, stream.label, stream.gate, false);
        }
        continue;
      }
      if (bytes.length <= this.#max) return bytes;
      stream.gate.kept.unshift(bytes.subarray(this.#max));
      return bytes.subarray(0, this.#max);
    }
  }

  /**
   * Before a second receive of this read starts: a read interrupted by `close()` after its first receive completed
   * (`ENOBUFS`, unseen) fails as a read in flight does, rather than receive on an fd that may by now be another
   * socket's.
   */
  #retryOrCancelled(): void {
    if (this.#interrupted) throw IoError.fromResult(-ECANCELED, 'recv', this.#stream.label);
  }

  #select(group: BufferGroup): void {
    this.#inner = new SelectRecvFuture(this.#fd, group, this.#stream.label, this.#stream.gate);
  }

  /** The receive in `#inner` is over: if it was a fallback, it no longer counts. Returns the driver's state then. */
  #settleFallback(): Receiving | undefined {
    if (!(this.#inner instanceof RecvFuture)) return undefined;
    const state = receivingOf(this.#stream.driver);
    if (state.group === null) return undefined; // not a fallback: the only way this driver receives
    state.fallbacks--;
    return state;
  }

  override cancel(): Cleanup {
    // A dropped fallback stops counting now, though its buffer stays lent until its final completion.
    this.#settleFallback();
    return this.#inner.cancel();
  }

  /** The socket is closing: its receive completes with `ECANCELED` (see `OpFuture.interrupt`). */
  interrupt(): void {
    this.#interrupted = true;
    this.#inner.interrupt();
  }
}
