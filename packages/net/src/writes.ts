/**
 * The writes of a stream, each a {@link LineWrite} (see `write-line.ts`): they run one at a time, in the order
 * they were first polled.
 *
 * - {@link WriteFuture}: `write` (one send), `writeAll` (every byte of one buffer) and `writev` (every byte of
 *   several chunks, gathered 64 KiB per send). One send in flight at a time, so the bytes of one write go out in
 *   order; no generator and no closure per call.
 * - {@link ShutdownWriteFuture}: shutting down the sending side after the writes before it.
 *
 * @module
 */
import { PENDING, type Context, type Future, type Poll } from '@zokio/future';
import { MAX_BUFFER_BYTES } from '@zokio/memory';
import { detachedArgument, isDetached } from './errors.js';
import { GatherSendFuture, SendFuture } from './ops.js';
import { shutdownSocket } from './socket-ops.js';
import { LineWrite, type WriteLine } from './write-line.js';

/**
 * Sends `bytes`, or the bytes of `chunks`, 64 KiB per op; with `once`, one op only and its byte count as the value
 * (`T` = `number`), else `undefined` (`T` = `void`). @internal
 */
export class WriteFuture<T extends number | void> extends LineWrite<T> {
  readonly #fd: number;
  /** The bytes of a `write`/`writeAll`, or empty for a `writev`. */
  readonly #bytes: Uint8Array;
  /** The chunks of a `writev` (none empty), or `undefined`. */
  readonly #chunks: readonly Uint8Array[] | undefined;
  readonly #total: number;
  readonly #once: boolean;
  /** Bytes sent so far. */
  #done = 0;
  /** Where the next gathered send starts: chunk and byte in it. */
  #chunk = 0;
  #offset = 0;
  #send: SendFuture | GatherSendFuture | undefined = undefined;

  constructor(
    line: WriteLine,
    fd: number,
    bytes: Uint8Array,
    chunks: readonly Uint8Array[] | undefined,
    label: string,
    once: boolean,
  ) {
    super(line, 'send', label);
    this.#fd = fd;
    this.#bytes = bytes;
    this.#chunks = chunks;
    this.#once = once;
    let total = bytes.byteLength;
    if (chunks !== undefined) for (const chunk of chunks) total += chunk.byteLength;
    this.#total = total;
  }

  protected pollTurn(cx: Context): Poll<T> {
    for (;;) {
      let send = this.#send;
      if (send === undefined) {
        const done = this.#done;
        if (done >= this.#total) return (this.#once ? done : undefined) as T;
        // Before each send: the stream may have closed meanwhile (its fd number may already be someone else's).
        if (this.line.closed) throw this.closedError();
        send = this.#send = this.#next(done);
      }
      const n = send.poll(cx);
      if (n === PENDING) return PENDING;
      this.#send = undefined;
      this.#done += n;
      if (this.#once) return n as T;
      if (this.#chunks !== undefined) this.#advance(n);
    }
  }

  /** The send of the next (at most) 64 KiB. */
  #next(done: number): SendFuture | GatherSendFuture {
    const length = Math.min(MAX_BUFFER_BYTES, this.#total - done);
    const chunks = this.#chunks;
    // The caller's bytes are copied send by send: memory transferred away meanwhile is a typed error, not a crash.
    const gone = chunks === undefined ? (isDetached(this.#bytes) ? this.#bytes : undefined) : chunks.find(isDetached);
    if (gone !== undefined) throw detachedArgument('TcpStream.write', 'data', gone);
    if (chunks === undefined) {
      return new SendFuture(this.#fd, this.#bytes.subarray(done, done + length), this.label, this.line);
    }
    return new GatherSendFuture(this.#fd, chunks, this.#chunk, this.#offset, length, this.label, this.line);
  }

  /** Moves the gather position `n` bytes on. */
  #advance(n: number): void {
    const chunks = this.#chunks!;
    while (n > 0) {
      const rest = chunks[this.#chunk]!.byteLength - this.#offset;
      if (n < rest) {
        this.#offset += n;
        return;
      }
      n -= rest;
      this.#chunk++;
      this.#offset = 0;
    }
  }

  /** @internal The stream is closing: its send in flight completes with `ECANCELED` (or its own result). */
  override interruptTurn(): void {
    this.#send?.interrupt();
  }

  protected dropTurn(): boolean {
    const send = this.#send;
    this.#send = undefined;
    if (send === undefined) return false;
    send.cancel();
    // A send dropped in flight (or waiting for a buffer) ends in `orphaned`, which hands the line on (SendFuture).
    return send.orphanOwed;
  }
}

/** `shutdown(SHUT_WR | SHUT_RDWR)` once the writes before it are done. @internal */
export class ShutdownWriteFuture extends LineWrite<void> {
  readonly #fd: number;
  readonly #how: 1 | 2;
  #op: Future<void> | undefined = undefined;

  constructor(line: WriteLine, fd: number, how: 1 | 2, label: string) {
    super(line, 'shutdown', label);
    this.#fd = fd;
    this.#how = how;
  }

  protected pollTurn(cx: Context): Poll<void> {
    if (this.#op === undefined) {
      if (this.line.closed) throw this.closedError();
      this.#op = shutdownSocket(this.#fd, this.#how, this.label);
    }
    return this.#op.poll(cx);
  }

  protected dropTurn(): boolean {
    this.#op?.cancel();
    this.#op = undefined;
    return false;
  }
}
