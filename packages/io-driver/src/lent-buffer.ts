/**
 * {@link LentBuffer}: memory outside the driver's pool, lent to the backend for a few ops — a large whole-file read
 * goes straight into its result instead of through 64 KiB pool buffers and a copy.
 *
 * ## Protocol
 * 1. `IoDriver.lend(bytes)` registers the `ArrayBuffer` under `bytes` with the backend as a **lent arena**, under an id
 *    of its own past the pool's (`lendArena`: not pinned as an io_uring fixed buffer, not marked untransferable), and
 *    returns the loan; `undefined` when {@link MAX_LOANS} are out already (the caller copies through the pool).
 * 2. `loan.span(offset, length)` names `length` bytes at `offset` of `bytes` for one op: the driver's `read` and
 *    `write` take a span where they take a pool buffer. Every op naming the loan is counted until its final
 *    completion.
 * 3. `IoDriver.giveBack(loan)` (or `loan.giveBack()`) ends the loan: the backend lets go of the memory at the final completion of the last
 *    op naming it — at once if none is in flight — and the id is free again. A dropped read's op may still write
 *    the memory until then, so only memory nobody else can see is lent: a result not yet handed out.
 *
 * ## Invariants
 * - The backend holds a reference to the `ArrayBuffer` from `lend` until the release (contract rule 2): it cannot
 *   be collected under the kernel's feet, even when its only JS holder has dropped it.
 * - The memory is never transferred or detached while lent: whoever lends it keeps it private until `giveBack`.
 *
 * @module
 */
import { expected } from '@zokio/future';

/** Loans out at once at most, per driver. */
export const MAX_LOANS = 64;

/** What an op names: `length` bytes at `offset` of arena `arenaId` (`capacity` bounds `length`). @category Driver */
export interface BufferRef {
  readonly arenaId: number;
  readonly offset: number;
  readonly capacity: number;
  readonly length: number;
}

/** Who lent the memory: the driver. @internal */
export interface Lender {
  giveBack(loan: LentBuffer): void;
}

/** Memory lent to the backend ({@link IoDriver.lend}). @category Driver */
export class LentBuffer {
  readonly #lender: Lender;
  /** The arena id the backend knows the memory by, while lent. */
  readonly arenaId: number;
  /** The memory lent. */
  readonly bytes: Uint8Array;
  /** @internal Ops naming the loan not yet finally completed. */
  inFlight = 0;
  /** @internal Set by `giveBack`: released at the last final completion. */
  returned = false;

  /** @internal Use {@link IoDriver.lend}. */
  constructor(lender: Lender, arenaId: number, bytes: Uint8Array) {
    this.#lender = lender;
    this.arenaId = arenaId;
    this.bytes = bytes;
  }

  /** Ends the loan ({@link IoDriver.giveBack}). Idempotent. */
  giveBack(): void {
    this.#lender.giveBack(this);
  }

  /** Names `length` bytes at `offset` of {@link LentBuffer.bytes} for one op. */
  span(offset: number, length: number): LentSpan {
    const size = this.bytes.byteLength;
    if (!Number.isInteger(offset) || offset < 0 || offset > size) {
      expected(`an offset from 0 to ${size}`, offset, 'LentBuffer.span');
    }
    if (!Number.isInteger(length) || length < 0 || length > size - offset) {
      expected(`a length from 0 to ${size - offset} (the room after the offset)`, length, 'LentBuffer.span');
    }
    return new LentSpan(this, this.bytes.byteOffset + offset, length);
  }
}

/** A span of a {@link LentBuffer}, named by one op. @category Driver */
export class LentSpan implements BufferRef {
  readonly loan: LentBuffer;
  readonly arenaId: number;
  readonly offset: number;
  readonly capacity: number;
  readonly length: number;

  /** @internal Use {@link LentBuffer.span}. */
  constructor(loan: LentBuffer, offset: number, length: number) {
    this.loan = loan;
    this.arenaId = loan.arenaId;
    this.offset = offset;
    this.capacity = length;
    this.length = length;
  }
}
