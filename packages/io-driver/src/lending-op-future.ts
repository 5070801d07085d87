/**
 * {@link LendingOpFuture}: an {@link OpFuture} that lends pool buffers (encoded paths and addresses, output buffers,
 * staging buffers) to its op and turns a negative result into an {@link IoError} — the base of the futures of
 * `@zokio/fs` and `@zokio/net`.
 *
 * Ownership: everything lent with {@link LendingOpFuture.lend} belongs to the kernel from the submit to the final
 * completion, and goes back to the driver's pool exactly once: after `value()` has read it when the future settles,
 * or when the final completion of a dropped op arrives (`orphaned`). Never-submitted futures lent nothing.
 *
 * @module
 */
import type { IoBuf } from '@zokio/memory';
import type { CompletionHandler, IoDriver } from './driver.js';
import { IoError } from './errors.js';
import { OpFuture } from './op-future.js';

/** A completion handler that ignores its result: for a close nobody waits for. @category Driver */
export const IGNORE: CompletionHandler = { complete() {} };

/**
 * An op future that lends pool buffers to its op and gives them back when it settles or is orphaned; a negative
 * result throws an {@link IoError} naming `syscall` and `path`.
 * @category Driver
 */
export abstract class LendingOpFuture<T> extends OpFuture<T> {
  readonly #syscall: string;
  readonly #path: string | undefined;
  #lent: IoBuf | IoBuf[] | undefined = undefined;

  constructor(syscall: string, path: string | undefined) {
    super();
    this.#syscall = syscall;
    this.#path = path;
  }

  /** Encodes `path` for the op; it is given back with the rest. */
  protected encodePath(driver: IoDriver, path: string): IoBuf {
    return this.lend(driver.encodePath(path));
  }

  /** Records `buf` as lent to the op (one buffer needs no array). */
  protected lend(buf: IoBuf): IoBuf {
    const lent = this.#lent;
    if (lent === undefined) this.#lent = buf;
    else if (Array.isArray(lent)) lent.push(buf);
    else this.#lent = [lent, buf];
    return buf;
  }

  #giveBack(): void {
    const lent = this.#lent;
    if (lent === undefined) return;
    this.#lent = undefined;
    const pool = this.driver!.pool;
    if (Array.isArray(lent)) for (const buf of lent) pool.release(buf);
    else pool.release(lent);
  }

  /** The value for a successful result (`res >= 0`). Runs before the lent buffers are given back. */
  protected abstract value(res: number, aux: number): T;

  protected settle(res: number, aux: number): T {
    try {
      if (res < 0) throw IoError.fromResult(res, this.#syscall, this.#path);
      return this.value(res, aux);
    } finally {
      this.#giveBack();
    }
  }

  /** A submit that threw after lending a buffer (a path, then a pool out of room for the data) gives it back. */
  protected override submitFailed(): void {
    this.#giveBack();
  }

  protected override orphaned(res: number, aux: number): void {
    try {
      this.dropped(res, aux);
    } finally {
      this.#giveBack();
    }
  }

  /**
   * The final result of an op whose future was dropped: release what it produced (close an fd, keep received bytes).
   * Runs before the lent buffers are given back, so it may still read them. Default: nothing.
   */
  protected dropped(_res: number, _aux: number): void {}
}
