/**
 * {@link OpFuture}: one driver op as a lazy, cancel-safe future — the bridge the futures of `@zokio/fs` and
 * `@zokio/net` stand on.
 *
 * ## Protocol
 * 1. **First poll** finds the {@link IoDriver} of the executor polling it (the `IO` service, never a global), calls
 *    {@link OpFuture.submit} with itself as the op's completion handler (no closure per op), keeps the waker and
 *    returns `PENDING`. Nothing happens before the first poll: the future is lazy.
 * 2. **Completions**: an intermediate one (`COMPLETION_MORE`) goes to {@link OpFuture.more}; the final one is stored
 *    and the waker woken. The next poll returns {@link OpFuture.settle}`(res, aux)`: the value, or a thrown error.
 * 3. **Drop** while the op is in flight requests its cancellation and returns at once (no clean-up future to await):
 *    the future stays the op's handler, and when the final completion arrives — cancelled or not — it calls
 *    {@link OpFuture.orphaned}`(res, aux)` exactly once, so the subclass gives back what the op owned (a buffer to
 *    its pool) or keeps what it produced (bytes received for the next read). Dropped while waiting for a pool buffer
 *    (4.), `orphaned(-ECANCELED, 0)` runs at once. Dropped before its first poll, nothing was submitted and nothing
 *    is owed ({@link OpFuture.orphanOwed} tells which). The driver itself closes fds that open/socket/accept
 *    produce too late.
 *
 * 4. **Back-pressure**: a submit that finds the driver's buffer pool at its cap (`PoolExhaustedError`) submitted
 *    nothing; the future waits in the pool's line for a buffer of that size class (`BufferPool.waitForBuffer`) and
 *    submits again when one comes back — unless none of that class is out (none could come back: the error
 *    stands) or the subclass opts out ({@link OpFuture.waitsForBuffer}: a receive that has another way to get its
 *    bytes). The wait is bounded by the pool's `maxWaitMs`; past it the op fails with `PoolExhaustedError`.
 *    Dropped while waiting, it leaves the line (passing on a turn it was given).
 *
 * States: `IDLE` → `SUBMITTED` → `READY` (final completion stored) → `DONE` (settled); `SUBMITTED` → `DROPPED` on
 * cancel, then `DONE` at the final completion; `IDLE` → `WAITING` (for a pool buffer) → `SUBMITTED` when woken,
 * or `DONE` (its wait expired, or it was dropped). A poll after `DONE` throws.
 *
 * @module
 */
import {
  FutureBase,
  PENDING,
  polledAfterCompletion,
  ZokioError,
  type Cleanup,
  type Context,
  type Poll,
  type Waker,
} from '@zokio/future';
import { PoolExhaustedError, type BufferWait } from '@zokio/memory';
import { COMPLETION_MORE } from './contract.js';
import { checkBoundSource } from './bound-op.js';
import { IO, type CompletionHandler, type IoDriver } from './driver.js';

const IDLE = 0;
const SUBMITTED = 1;
const READY = 2;
const DROPPED = 3;
const DONE = 4;
const WAITING = 5;

const ECANCELED = 125;

/** The I/O driver of the executor polling with `cx`; throws `ERR_ZOKIO_IO_DISABLED` if it has none. @category Driver */
export function ioDriverOf(cx: Context): IoDriver {
  const driver = cx.executor.service(IO);
  if (driver === undefined) {
    throw new ZokioError(
      'ERR_ZOKIO_IO_DISABLED',
      'Expected a runtime with an I/O driver (Runtime.create({ io: "auto" })), got an I/O future polled by an executor without one',
    );
  }
  return driver;
}

/**
 * One driver op as a future. Subclasses say how to submit and what the result means. Cancel-safe: dropping it
 * requests cancellation, and whatever the op owned is handed to {@link orphaned} when it finally completes.
 * @category Driver
 */
export abstract class OpFuture<T> extends FutureBase<T> implements CompletionHandler {
  #state = IDLE;
  #waker: Waker | undefined = undefined;
  #driver: IoDriver | undefined = undefined;
  #token = 0;
  #res = 0;
  #aux = 0;
  #orphanOwed = false;
  /**
   * Its place in the pool's line while `WAITING`; kept once woken, so a wait again after losing the buffer to another
   * op keeps the first wait's deadline.
   */
  #wait: BufferWait | undefined = undefined;

  /**
   * Whether a submit that found the pool at its cap waits for a buffer (true) or throws `PoolExhaustedError` (false:
   * for a caller that has another way, such as a receive that can select a provided buffer instead).
   */
  protected get waitsForBuffer(): boolean {
    return true;
  }

  /** Submits the op to `driver` with `this` as its handler; returns the token. */
  protected abstract submit(driver: IoDriver): number;

  /** The future's output for the op's final result: a value, or a thrown error (an `IoError` for `res < 0`). */
  protected abstract settle(res: number, aux: number): T;

  /** The op's final completion after the future was dropped: give back what the op owned. Default: nothing. */
  protected orphaned(_res: number, _aux: number): void {}

  /**
   * `submit` threw (a pool out of buffers, a closed driver, a bad argument): nothing was submitted, so give back
   * whatever it took before it threw. Default: nothing.
   */
  protected submitFailed(): void {}

  /** An intermediate completion of a multishot op. Default: ignored. */
  protected more(_res: number, _flags: number, _aux: number): void {}

  /**
   * True once dropped in a state whose drop ends in {@link OpFuture.orphaned} — in flight (at its final completion),
   * completed unobserved or waiting for a pool buffer (at once): the subclass's clean-up runs, now or later. False
   * for a future dropped before its first poll, or after it settled.
   */
  get orphanOwed(): boolean {
    return this.#orphanOwed;
  }

  /** The driver this future submitted to, once polled. */
  protected get driver(): IoDriver | undefined {
    return this.#driver;
  }

  poll(cx: Context): Poll<T> {
    switch (this.#state) {
      case WAITING:
        if (this.#wait!.expired) {
          // Waited `maxWaitMs` of the pool and none came back: the error it would have had without waiting.
          this.#state = DONE;
          throw new PoolExhaustedError(this.#wait!.size, this.#driver!.pool.maxBytes);
        }
        if (!this.#wait!.woken) {
          this.#wait!.waker = cx.waker;
          this.#waker = cx.waker; // `interrupt()` wakes this one
          return PENDING;
        }
        return this.#submit(cx); // a buffer of its class came back: submit again
      case IDLE:
        return this.#submit(cx);
      case SUBMITTED:
        this.#waker = cx.waker;
        return PENDING;
      case READY:
        this.#state = DONE;
        this.#waker = undefined;
        return this.settle(this.#res, this.#aux);
      default:
        throw polledAfterCompletion('I/O op future');
    }
  }

  /** Submits the op (first poll, or woken with a pool buffer back); waits in the pool's line if it is at its cap. */
  #submit(cx: Context): Poll<T> {
    const driver = ioDriverOf(cx);
    this.#driver = driver;
    this.#waker = cx.waker;
    this.#state = SUBMITTED;
    try {
      checkBoundSource(); // an op of a closed file or socket fails with EBADF: see `bound-op.ts`
      this.#token = this.submit(driver);
    } catch (error) {
      this.submitFailed();
      if (error instanceof PoolExhaustedError && this.waitsForBuffer) {
        const wait = driver.pool.waitForBuffer(error.requested, cx.waker, this.#wait?.deadline);
        if (wait !== undefined) {
          this.#wait = wait;
          this.#state = WAITING;
          return PENDING;
        }
      }
      this.#state = DONE;
      throw error;
    }
    return PENDING;
  }

  /** @internal The driver's completion callback. */
  complete(res: number, flags: number, aux: number): void {
    if ((flags & COMPLETION_MORE) !== 0) return this.more(res, flags, aux);
    if (this.#state === DROPPED) {
      this.#state = DONE;
      return this.orphaned(res, aux);
    }
    this.#res = res;
    this.#aux = aux;
    this.#state = READY;
    const waker = this.#waker;
    this.#waker = undefined;
    waker?.wake();
  }

  /**
   * Asks the driver to cancel the op while keeping this future waiting for it: the op completes with `-ECANCELED`
   * (or with its own result if it won the race) and the future settles with that. For owners closing a resource
   * under a pending op (a socket closed with a read in flight). Nothing happens unless the op is in flight.
   */
  interrupt(): void {
    if (this.#state === SUBMITTED) this.#driver!.cancel(this.#token);
    else if (this.#state === WAITING) {
      // Not submitted yet (waiting for a pool buffer): it completes with `ECANCELED` as a cancelled op would.
      this.#wait!.leave();
      this.#wait = undefined;
      this.#res = -ECANCELED;
      this.#aux = 0;
      this.#state = READY;
      const waker = this.#waker;
      this.#waker = undefined;
      waker?.wake();
    }
  }

  override cancel(): Cleanup {
    switch (this.#state) {
      case IDLE:
        this.#state = DONE;
        return undefined;
      case WAITING:
        // Nothing was submitted: leave the pool's line (a turn it was given goes to the next waiter), and end as a
        // dropped op does — `orphaned` with `ECANCELED`, now — so owners counting their dropped ops (a socket's
        // read gate, its write line) see this drop end too.
        this.#state = DONE;
        this.#wait!.leave();
        this.#wait = undefined;
        this.#orphanOwed = true;
        this.orphaned(-ECANCELED, 0);
        return undefined;
      case SUBMITTED:
        this.#state = DROPPED;
        this.#waker = undefined;
        this.#orphanOwed = true;
        this.#driver!.cancel(this.#token);
        return undefined;
      case READY:
        // Completed but never observed: the result is the caller's to lose, the resources are not.
        this.#state = DONE;
        this.#orphanOwed = true;
        this.orphaned(this.#res, this.#aux);
        return undefined;
      default:
        return undefined;
    }
  }
}
