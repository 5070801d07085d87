/**
 * {@link ReadWhole}: a read of up to 64 KiB that keeps `File.readAt`'s and `File.readInto`'s promise — fewer bytes
 * only at the end of the file.
 *
 * A `pread` may return less than asked for without reaching the end (a signal, a network or FUSE file system, a
 * fault injected in tests), so a short read is continued from where it stopped (`fill`, in `transfer.ts`); only a
 * read of nothing is the end. The common case costs what a bare read costs: one op and this small object; the
 * continuation, and for `readAt` the copy into one buffer, only happen after a short read.
 *
 * Cancel-safe as the read it wraps: dropping it cancels the op in flight, whose pool buffer goes back when it
 * completes; the caller's memory is not written afterwards.
 *
 * @module
 */
import { FutureBase, PENDING, type Cleanup, type Context, type Future, type Poll } from '@zokio/future';
import { CopyingReadFuture } from './ops.js';
import { fill } from './transfer.js';

/**
 * Reads `length` (≤ 64 KiB) bytes at `position` into a new Buffer, or into `target`. Positional only: at the fd's
 * offset the fd may be a stream (a pipe, a tty), where a short read means "what is there now", not a fault.
 */
export class ReadWhole<T extends number | Buffer> extends FutureBase<T> {
  readonly #path: string;
  readonly #fd: number;
  readonly #position: number;
  readonly #length: number;
  readonly #target: Uint8Array | undefined;
  readonly #offset: number;
  /** The first read, then the continuation of a short one. */
  #op: Future<unknown>;
  /** Bytes the first read got, once it came back short; −1 before. */
  #got = -1;
  #out: Buffer | undefined = undefined;

  constructor(path: string, fd: number, position: number, length: number, target?: Uint8Array, offset = 0) {
    super();
    this.#path = path;
    this.#fd = fd;
    this.#position = position;
    this.#length = length;
    this.#target = target;
    this.#offset = offset;
    this.#op = new CopyingReadFuture<T>(fd, position, length, path, target, offset);
  }

  poll(cx: Context): Poll<T> {
    const result = this.#op.poll(cx);
    if (result === PENDING) return PENDING;
    if (this.#got < 0) {
      const n = typeof result === 'number' ? result : (result as Buffer).length;
      if (n === 0 || n === this.#length) return result as T;
      this.#continue(n, result);
      return this.poll(cx);
    }
    const total = this.#got + (result as number);
    if (this.#target !== undefined) return total as T;
    return (total === this.#length ? this.#out! : this.#out!.subarray(0, total)) as T;
  }

  /** The first read got `n` bytes of `length`: read the rest, as the end has not been seen. */
  #continue(n: number, first: unknown): void {
    this.#got = n;
    const at = this.#position + n;
    let into: Uint8Array | undefined = this.#target;
    let offset = this.#offset + n;
    if (into === undefined) {
      this.#out = into = Buffer.allocUnsafe(this.#length);
      into.set(first as Buffer);
      offset = n;
    }
    this.#op = fill(this.#path, this.#fd, into, offset, this.#length - n, at);
  }

  override cancel(): Cleanup {
    return this.#op.cancel();
  }
}
