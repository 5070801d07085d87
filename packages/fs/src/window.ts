/**
 * {@link SpanWindow}: a positional transfer split into 64 KiB spans, with up to `depth` span ops in flight at every
 * moment (a rolling window: a span completing starts the next at once, so the kernel never idles waiting for the
 * slowest of a batch).
 *
 * Protocol: every poll starts spans until `depth` are in flight, then polls each in-flight op with the task's context
 * (an op not yet complete just refreshes its waker). A span op that comes back short is not the end of the file: a
 * `pread` may return less for reasons of its own (a signal, a network or FUSE file system, an injected fault), so the
 * rest of the span is asked for again. Only a span that transfers nothing marks the end: no span past it is started,
 * and the result is its offset. A span that fails cancels the others and the window throws its error. Dropping the
 * window drops every op in flight: each gives its pool buffer back when it completes (see `ops.ts`), and the
 * caller's memory is not written afterwards — except memory lent to the driver (`LentReadFuture`), which a dropped op
 * may still fill until its completion: only a private result is read that way.
 *
 * @module
 */
import { FutureBase, PENDING, type Cleanup, type Context, type Future, type Poll } from '@zokio/future';
import { MAX_BUFFER_BYTES } from '@zokio/memory';

/** Starts the op of the span at `offset` (relative to the transfer) of `length` bytes. */
export type SpanOp = (offset: number, length: number) => Future<number>;

interface InFlight {
  readonly offset: number;
  readonly length: number;
  readonly op: Future<number>;
}

/** Resolves to the bytes transferred: `length`, or less if a read reached the end of the file. @internal */
export class SpanWindow extends FutureBase<number> {
  readonly #start: SpanOp;
  readonly #length: number;
  readonly #depth: number;
  #next = 0;
  /** Where the file ended (the lowest offset a span found nothing at), or `length`. */
  #end: number;
  readonly #inFlight: InFlight[] = [];

  constructor(length: number, depth: number, start: SpanOp) {
    super();
    this.#length = length;
    this.#end = length;
    this.#depth = depth;
    this.#start = start;
  }

  poll(cx: Context): Poll<number> {
    for (;;) {
      while (this.#inFlight.length < this.#depth && this.#next < this.#end) {
        const offset = this.#next;
        const length = Math.min(MAX_BUFFER_BYTES, this.#length - offset);
        this.#next += length;
        this.#inFlight.push({ offset, length, op: this.#start(offset, length) });
      }
      // Poll every span in flight, keeping the pending ones in place (no array per poll).
      const inFlight = this.#inFlight;
      let progressed = false;
      let kept = 0;
      for (let i = 0; i < inFlight.length; i++) {
        const span = inFlight[i]!;
        let n: Poll<number>;
        try {
          n = span.op.poll(cx);
        } catch (error) {
          inFlight.splice(kept, i + 1 - kept); // left: the pending ones before it and those after; cancel them
          this.cancel();
          throw error;
        }
        if (n === PENDING) {
          inFlight[kept++] = span;
          continue;
        }
        progressed = true;
        if (n === 0) this.#end = Math.min(this.#end, span.offset);
        else if (n < span.length && span.offset + n < this.#end) {
          const offset = span.offset + n; // short, not the end: the rest of the span, as one more op
          const length = span.length - n;
          inFlight[kept++] = { offset, length, op: this.#start(offset, length) };
        }
      }
      inFlight.length = kept;
      if (kept === 0 && this.#next >= this.#end) return this.#end;
      if (!progressed) return PENDING;
    }
  }

  override cancel(): Cleanup {
    const ops = this.#inFlight.splice(0);
    this.#next = this.#end = 0;
    let error: unknown;
    for (const span of ops) {
      try {
        span.op.cancel();
      } catch (thrown) {
        error ??= thrown;
      }
    }
    if (error !== undefined) throw error;
    return undefined;
  }
}
