/**
 * The two views the `js` backend has of one op: {@link OpRecord}, a reader over its 64-byte record in the staging
 * buffer (valid only during `flush`), and {@link PendingOp}, the op from submission to its final completion.
 *
 * Protocol of a {@link PendingOp}: whoever handles the op calls {@link PendingOp.more} for each non-final completion
 * and {@link PendingOp.complete} exactly once at the end (later calls are ignored, so a race between, say, a socket
 * event and a cancel can never produce a second final completion). An op that is waiting and can stop waiting sets
 * {@link PendingOp.cancel}: a function that withdraws it from whatever queue holds it *without* completing it; the
 * backend then completes it with `-ECANCELED`. An op without `cancel` cannot be stopped (`OP_CANCEL` → `-EALREADY`).
 *
 * @module
 */
import { COMPLETION_MORE, OpField } from '../../contract.js';

/** Where a pending op's completions go: the backend's batched completion queue. */
export interface CompletionSink {
  /** Queues a completion record; `final` retires the token. */
  post(token: number, res: number, flags: number, aux: number, final: boolean): void;
}

/** An op between submission and its final completion. */
export class PendingOp {
  readonly token: number;
  /** Withdraws the op from what it waits on, without completing it; undefined when it cannot be stopped. */
  cancel: (() => void) | undefined = undefined;
  readonly #sink: CompletionSink;
  #done = false;

  constructor(token: number, sink: CompletionSink) {
    this.token = token;
    this.#sink = sink;
  }

  /** Whether the final completion was posted. */
  get done(): boolean {
    return this.#done;
  }

  /** Posts the final completion; ignored after the first. */
  complete(res: number, flags = 0, aux = 0): void {
    if (this.#done) return;
    this.#done = true;
    this.cancel = undefined;
    this.#sink.post(this.token, res, flags, aux, true);
  }

  /** Posts a non-final completion (a multishot op's; {@link COMPLETION_MORE} is added). */
  more(res: number, flags = 0, aux = 0): void {
    if (this.#done) return;
    this.#sink.post(this.token, res, flags | COMPLETION_MORE, aux, false);
  }
}

/** Reads the fields of the op record at {@link OpRecord.at} (little-endian, see `contract.ts`). */
export class OpRecord {
  /** Byte offset of the current record in the staging buffer. */
  at = 0;
  readonly #v: DataView;

  constructor(staging: ArrayBuffer) {
    this.#v = new DataView(staging);
  }

  #u32(field: number): number {
    return this.#v.getUint32(this.at + field, true);
  }

  get opcode(): number {
    return this.#v.getUint8(this.at + OpField.opcode);
  }
  get token(): number {
    return this.#u32(OpField.token);
  }
  get fd(): number {
    return this.#v.getInt32(this.at + OpField.fd, true);
  }
  get arg(): number {
    return this.#u32(OpField.arg);
  }
  get offset(): number {
    return this.#v.getFloat64(this.at + OpField.offset, true);
  }
  get bufArena(): number {
    return this.#u32(OpField.bufArena);
  }
  get bufOffset(): number {
    return this.#u32(OpField.bufOffset);
  }
  get bufLength(): number {
    return this.#u32(OpField.bufLength);
  }
  get mode(): number {
    return this.#u32(OpField.mode);
  }
  get pathArena(): number {
    return this.#u32(OpField.pathArena);
  }
  get pathOffset(): number {
    return this.#u32(OpField.pathOffset);
  }
  get path2Arena(): number {
    return this.#u32(OpField.path2Arena);
  }
  get path2Offset(): number {
    return this.#u32(OpField.path2Offset);
  }
  get fd2(): number {
    return this.#v.getInt32(this.at + OpField.fd2, true);
  }
  get addrArena(): number {
    return this.#u32(OpField.addrArena);
  }
  get addrOffset(): number {
    return this.#u32(OpField.addrOffset);
  }
  get addrLength(): number {
    return this.#u32(OpField.addrLength);
  }
}
