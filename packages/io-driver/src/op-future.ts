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
 *    its pool) or keeps what it produced (bytes received for the next read). Dropped before its first poll, nothing
 *    was submitted and nothing is owed. The driver itself closes fds that open/socket/accept produce too late.
 *
 * States: `IDLE` → `SUBMITTED` → `READY` (final completion stored) → `DONE` (settled); `SUBMITTED` → `DROPPED` on
 * cancel, then `DONE` at the final completion. A poll after `DONE` throws.
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
import { COMPLETION_MORE } from './contract.js';
import { IO, type CompletionHandler, type IoDriver } from './driver.js';

const IDLE = 0;
const SUBMITTED = 1;
const READY = 2;
const DROPPED = 3;
const DONE = 4;

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

  /** The driver this future submitted to, once polled. */
  protected get driver(): IoDriver | undefined {
    return this.#driver;
  }

  poll(cx: Context): Poll<T> {
    switch (this.#state) {
      case IDLE: {
        const driver = ioDriverOf(cx);
        this.#driver = driver;
        this.#waker = cx.waker;
        this.#state = SUBMITTED;
        try {
          this.#token = this.submit(driver);
        } catch (error) {
          this.#state = DONE;
          this.submitFailed();
          throw error;
        }
        return PENDING;
      }
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
  }

  override cancel(): Cleanup {
    switch (this.#state) {
      case IDLE:
        this.#state = DONE;
        return undefined;
      case SUBMITTED:
        this.#state = DROPPED;
        this.#waker = undefined;
        this.#driver!.cancel(this.#token);
        return undefined;
      case READY:
        // Completed but never observed: the result is the caller's to lose, the resources are not.
        this.#state = DONE;
        this.orphaned(this.#res, this.#aux);
        return undefined;
      default:
        return undefined;
    }
  }
}
