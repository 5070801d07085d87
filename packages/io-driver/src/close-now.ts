/**
 * {@link closeNow}: closes an fd at once and returns a future of the result.
 *
 * Why not a lazy op future: `close()` methods mark their object closed when called, so the fd must be on its way
 * to closing then too — a close future that is never polled (dropped by a `select`, or not awaited) must not leave
 * the fd open. So the op is staged when `closeNow` is called (it reaches the kernel with the driver's next flush),
 * and the future only waits for its result. Dropping the future drops the result, never the close.
 *
 * @module
 */
import { closeSync } from 'node:fs';
import { expected, FutureBase, PENDING, ready, type Context, type Future, type Poll, type Waker } from '@zokio/future';
import { isVirtualFd } from './backends/js/sockets.js';
import type { CompletionHandler, IoDriver } from './driver.js';
import { IoError } from './errors.js';
import { IGNORE } from './lending-op-future.js';

const WAITING = 1;
const DONE = 2;

class CloseNow extends FutureBase<void> implements CompletionHandler {
  readonly #path: string | undefined;
  #state = WAITING;
  #res = 0;
  #waker: Waker | undefined = undefined;
  #settled = false;

  constructor(driver: IoDriver, fd: number, path: string | undefined) {
    super();
    this.#path = path;
    driver.close(fd, this);
  }

  /** @internal The close's completion. */
  complete(res: number): void {
    this.#res = res;
    this.#state = DONE;
    const waker = this.#waker;
    this.#waker = undefined;
    waker?.wake();
  }

  poll(cx: Context): Poll<void> {
    if (this.#state === WAITING) {
      this.#waker = cx.waker;
      return PENDING;
    }
    if (this.#settled) return;
    this.#settled = true;
    if (this.#res < 0) throw IoError.fromResult(this.#res, 'close', this.#path);
  }
}

/**
 * Stages `close(fd)` on `driver` now; the future resolves when it has completed (or throws its `IoError`).
 *
 * **Cancel-safe**: dropping the future does not stop the close.
 *
 * @example
 * ```ts
 * import { openSync } from 'node:fs';
 * import { toPromise } from '@zokio/future';
 * import { IoDriver, closeNow, createJsBackend } from '@zokio/io-driver';
 * const driver = new IoDriver(createJsBackend);
 * const fd = openSync('/tmp/file', 'w');
 * const closing = closeNow(driver, fd, '/tmp/file'); // staged now: the fd closes even if this is never polled
 * await toPromise(closing); // the close's result: an IoError if close(2) failed
 * await driver.shutdown();
 * ```
 * @category Driver
 */
export function closeNow(driver: IoDriver, fd: number, path?: string): Future<void> {
  if (typeof (driver as { close?: unknown } | null)?.close !== 'function') expected('an IoDriver', driver, 'closeNow');
  try {
    return new CloseNow(driver, fd, path);
  } catch (error) {
    closeAfterShutdown(error, fd);
    return ready(undefined);
  }
}

/**
 * `driver.close(fd, handler)` — or, when the driver was shut down, `close(2)` at once and `handler` completes with 0:
 * a resource may outlive the runtime it was opened on (a `File` closed after `rt.shutdown()`), and its fd must not
 * leak then either. @internal
 */
export function submitClose(driver: IoDriver, fd: number, handler: CompletionHandler = IGNORE): void {
  try {
    driver.close(fd, handler);
  } catch (error) {
    closeAfterShutdown(error, fd);
    handler.complete(0, 0, 0);
  }
}

/**
 * A shut-down driver refuses every op, a close too (`ERR_ZOKIO_DRIVER_CLOSED`): the fd is closed at once with
 * `close(2)` — unless it is one of the `js` backend's virtual socket fds, which its shutdown destroyed already.
 */
function closeAfterShutdown(error: unknown, fd: number): void {
  if ((error as { code?: unknown } | null)?.code !== 'ERR_ZOKIO_DRIVER_CLOSED') throw error;
  if (!isVirtualFd(fd)) closeSync(fd);
}
