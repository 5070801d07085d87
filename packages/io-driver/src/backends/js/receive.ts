/**
 * Receives (`RECV`, `RECVMSG`, and `READ` on a socket) as the socket objects of the `js` backend see them: a
 * {@link Receive} says where the bytes go, and a {@link ReceiveQueue} holds the ones waiting for data, oldest first.
 *
 * Invariants shared by stream and datagram sockets:
 * - Bytes are taken from the socket's own buffer only at the moment a receive completes with them, synchronously;
 *   so a cancelled receive has taken nothing, and whatever arrived stays for the next receive.
 * - A buffer-select receive takes a provided buffer only when it has bytes to put in it; no data (EOF, an error)
 *   consumes none; an empty group while data waits ends the receive with `-ENOBUFS`, multishot or not.
 * - A multishot receive (buffer-select only, as io_uring requires) completes with `COMPLETION_MORE` once per buffer
 *   filled, and ends with EOF (0), an error, `-ENOBUFS` or `-ECANCELED`.
 *
 * @module
 */
import { MODE_BUFFER_SELECT, MODE_MULTISHOT } from '../../contract.js';
import type { Arenas } from './arenas.js';
import { E } from './errno.js';
import type { OpRecord, PendingOp } from './op.js';

export const MSG_PEEK = 0x2;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const MSG_WAITALL = 0x100;

/** One receive op. */
export interface Receive {
  readonly op: PendingOp;
  /** Where the bytes go; undefined for a buffer-select receive, which takes a buffer of {@link group}. */
  readonly buffer: Uint8Array | undefined;
  /** The provided-buffer group, or −1. */
  readonly group: number;
  readonly multishot: boolean;
  /** `MSG_*` flags. */
  readonly flags: number;
  /** `RECVMSG`: where the source address goes (its capacity is the view's length), if anywhere. */
  readonly addr: Uint8Array | undefined;
  /** Bytes already copied into {@link buffer} (a `MSG_WAITALL` receive fills it over several arrivals). */
  filled: number;
}

/**
 * Decodes a receive from its record: `RECV` (buffer select and multishot allowed), `RECVMSG` (`withAddr`), or
 * `READ` on a socket. Returns a negated errno for a bad record.
 */
export function parseReceive(op: PendingOp, rec: OpRecord, arenas: Arenas, withAddr: boolean): Receive | number {
  const flags = rec.arg;
  const mode = rec.mode;
  const select = (mode & MODE_BUFFER_SELECT) !== 0;
  const multishot = (mode & MODE_MULTISHOT) !== 0;
  if (select && (withAddr || (flags & MSG_WAITALL) !== 0)) return -E.EINVAL;
  if (multishot && (!select || (flags & MSG_PEEK) !== 0)) return -E.EINVAL;
  let buffer: Uint8Array | undefined;
  if (!select) {
    buffer = arenas.bytes(rec.bufArena, rec.bufOffset, rec.bufLength);
    if (buffer === undefined) return -E.EFAULT;
  }
  let addr: Uint8Array | undefined;
  if (withAddr && rec.addrLength > 0) {
    addr = arenas.bytes(rec.addrArena, rec.addrOffset, rec.addrLength);
    if (addr === undefined) return -E.EFAULT;
  }
  return { op, buffer, group: select ? mode & 0xffff : -1, multishot, flags, addr, filled: 0 };
}

/** Receives waiting for data, oldest first; each can be withdrawn by its op's cancel. */
export class ReceiveQueue {
  #waiting: Receive[] = [];

  get length(): number {
    return this.#waiting.length;
  }

  head(): Receive | undefined {
    return this.#waiting[0];
  }

  push(r: Receive): void {
    this.#waiting.push(r);
    r.op.cancel = () => {
      this.#waiting = this.#waiting.filter((w) => w !== r);
    };
  }

  /** Removes the head and completes it finally. */
  finishHead(res: number, flags = 0, aux = 0): void {
    const r = this.#waiting.shift();
    r?.op.complete(res, flags, aux);
  }

  /** Completes every waiting receive with `res`. */
  finishAll(res: number): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const r of waiting) r.op.complete(res);
  }
}
