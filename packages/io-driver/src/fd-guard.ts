/**
 * {@link FdGuard}: who closes an fd that a multi-step future (open then read, socket then connect) got from an op.
 *
 * Protocol: the fd-producing op's result passes through {@link FdGuard.keep} the moment it is observed; from then on
 * the guard owns it. On success the caller takes it ({@link FdGuard.take}: closing it or handing it to a `File` or
 * a stream); in `finally`, {@link FdGuard.release} submits a close for an fd still owned. The close is submitted,
 * not awaited: a future dropped without awaiting its clean-up (`drop()`) never runs a `yield*` in `finally`, and the
 * fd must not leak then either. Before `keep`, the op itself owns the fd (a dropped open closes what it produced).
 *
 * @module
 */
import type { Future } from '@zokio/future';
import { closeNow, submitClose } from './close-now.js';
import type { IoDriver } from './driver.js';

/** Owns one fd between the op that produced it and whoever takes it. @category Driver */
export class FdGuard {
  #fd = -1;
  #driver: IoDriver | undefined = undefined;

  /** Records `fd` (from `driver`) as owned by the guard; returns it. Pass as an op's result mapper. */
  readonly keep = (fd: number, driver: IoDriver): number => {
    this.#fd = fd;
    this.#driver = driver;
    return fd;
  };

  /** The driver the fd came from (known once `keep` ran). */
  get driver(): IoDriver {
    return this.#driver!;
  }

  /** The fd owned, or −1. */
  get fd(): number {
    return this.#fd;
  }

  /** Hands the fd over: the guard no longer closes it. */
  take(): number {
    const fd = this.#fd;
    this.#fd = -1;
    return fd;
  }

  /** Closes the fd now (see `closeNow`) and hands back a future of the result; the guard no longer owns it. */
  close(path?: string): Future<void> {
    return closeNow(this.#driver!, this.take(), path);
  }

  /** Submits a close of the fd if the guard still owns it (for `finally`). */
  release(): void {
    const fd = this.take();
    if (fd >= 0) submitClose(this.#driver!, fd); // after a shutdown too: then with close(2)
  }
}
