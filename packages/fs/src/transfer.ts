/**
 * Long and vectored transfers through the driver's pool buffers: what `File` and the whole-file helpers share.
 *
 * A pool buffer holds at most 64 KiB (`MAX_BUFFER_BYTES`), so a longer transfer is split into 64 KiB spans. At a
 * position (`pread`/`pwrite`), up to {@link MAX_IN_FLIGHT} spans are in flight at every moment (`window.ts`); a short
 * `pread` is continued, and only one that reads nothing marks the end of the file. At the fd's offset, spans go one
 * at a time, in order.
 *
 * A result the transfer allocates itself (`readLong`, `readExact`, `readFile`'s) is nobody else's until it is
 * returned, so it is lent to the driver and read into straight ({@link fillPrivate}): no pool buffer and no copy,
 * in the same 64 KiB spans, 16 in flight. Longer spans measured slower on a fresh result (a 1 GiB `readFile`,
 * 2-core VM: 1.1–1.6 GB/s with 1 MiB or 256 KiB spans against 1.97 GB/s with 64 KiB ones). Memory the caller hands
 * in is never lent: a dropped read could still write it.
 *
 * Every future here is cancel-safe in the sense of `ops.ts`: dropping it cancels its ops, and every pool buffer goes
 * back when its op completes; the caller's memory is written only by a completed read.
 *
 * @module
 */
import { fn, ready, type Future } from '@zokio/future';
import { lend } from '@zokio/io-driver';
import { MAX_BUFFER_BYTES } from '@zokio/memory';
import { UnexpectedEofError } from './errors.js';
import { CopyingReadFuture, CopyingVectoredFuture, CopyingWriteFuture, LentReadFuture } from './ops.js';
import { SpanWindow } from './window.js';

/** Ops a long transfer keeps in flight at once. */
export const MAX_IN_FLIGHT = 16;

/** Writes all of `chunk` at `position`: one op, and more only if it comes back short. Resolves to its length. */
const finishWrite = fn(function* (path: string, fd: number, chunk: Uint8Array, position: number) {
  for (let done = 0; done < chunk.byteLength;) {
    done += yield* new CopyingWriteFuture(fd, position + done, chunk.subarray(done), path);
  }
  return chunk.byteLength;
});

/** Empty buffers are left out of a vectored op: nothing to stage. Resolves to 0 when nothing is left. */
export function vectored(
  write: boolean,
  fd: number,
  buffers: readonly Uint8Array[],
  position: number,
  path: string,
): Future<number> {
  const nonEmpty = buffers.filter((b) => b.byteLength > 0);
  if (nonEmpty.length === 0) return ready(0);
  return new CopyingVectoredFuture(write, fd, nonEmpty, position, path);
}

/**
 * Fills `target[offset … offset+length]` from `position` (−1: the fd's offset, one op at a time), up to
 * {@link MAX_IN_FLIGHT} ops in flight at once; stops early at the end of the file. Returns the bytes read.
 */
export const fill = fn(function* (
  path: string,
  fd: number,
  target: Uint8Array,
  offset: number,
  length: number,
  position: number,
) {
  if (position < 0) {
    let done = 0;
    while (done < length) {
      const want = Math.min(MAX_BUFFER_BYTES, length - done);
      const n = yield* new CopyingReadFuture<number>(fd, -1, want, path, target, offset + done);
      done += n;
      if (n === 0) break;
    }
    return done;
  }
  return yield* new SpanWindow(
    length,
    MAX_IN_FLIGHT,
    (at, n) => new CopyingReadFuture<number>(fd, position + at, n, path, target, offset + at),
  );
});

/**
 * {@link fill} into `target` that nobody else can see until this completes (a result not yet returned). Past one
 * pool buffer, at a position, `target` is lent to the driver and read into straight, 64 KiB spans at a time;
 * otherwise (or when the driver has no loan left) through pool buffers, as `fill`. Dropped, its ops may still
 * write `target` until they complete (the driver keeps the loan until then).
 */
export const fillPrivate = fn(function* (
  path: string,
  fd: number,
  target: Uint8Array,
  offset: number,
  length: number,
  position: number,
) {
  const loan = position >= 0 && length > MAX_BUFFER_BYTES ? yield* lend(target) : undefined;
  if (loan === undefined) return yield* fill(path, fd, target, offset, length, position);
  try {
    return yield* new SpanWindow(
      length,
      MAX_IN_FLIGHT,
      (at, n) => new LentReadFuture(fd, position + at, loan.span(offset + at, n), path),
    );
  } finally {
    loan.giveBack();
  }
});

export const readLong = fn(function* (path: string, fd: number, position: number, length: number) {
  const out = Buffer.allocUnsafe(length);
  const n = yield* fillPrivate(path, fd, out, 0, length, position);
  return n === length ? out : out.subarray(0, n);
});

export const readExact = fn(function* (path: string, fd: number, length: number, position: number) {
  const out = Buffer.allocUnsafe(length);
  const n = length === 0 ? 0 : yield* fillPrivate(path, fd, out, 0, length, position);
  if (n < length) throw new UnexpectedEofError(path, length, n);
  return out;
});

/**
 * Writes all of `bytes`: one op at a time at the fd's offset, or spans in a rolling window at a position — one span at a
 * time, in order, with `inOrder` (a file opened to append).
 */
export const writeAll = fn(function* (path: string, fd: number, bytes: Uint8Array, position: number, inOrder = false) {
  if (inOrder && position >= 0) {
    // One span at a time, in order: on a file opened to append, Linux puts every `pwrite` at the end whatever its
    // position (and leaves the fd's offset alone, as Node's `fs.write` does), so spans in flight at once would land
    // in completion order.
    for (let at = 0; at < bytes.byteLength; at += MAX_BUFFER_BYTES) {
      yield* finishWrite(path, fd, bytes.subarray(at, at + MAX_BUFFER_BYTES), position + at);
    }
    return;
  }
  if (position < 0) {
    for (let done = 0; done < bytes.byteLength;) {
      done += yield* new CopyingWriteFuture(fd, -1, bytes.subarray(done, done + MAX_BUFFER_BYTES), path);
    }
    return;
  }
  // pwrite to a regular file writes fully unless the disk fills up: a short span is finished one op at a time.
  yield* new SpanWindow(bytes.byteLength, MAX_IN_FLIGHT, (at, n) =>
    finishWrite(path, fd, bytes.subarray(at, at + n), position + at),
  );
});
