/**
 * `POLL_ADD` for virtual sockets: a {@link PollSet} holds the poll ops waiting on one socket.
 *
 * Protocol: the socket computes its readiness mask on demand and calls {@link PollSet.notify} on every event with
 * the bits that event may have changed (data → `POLLIN`, drain → `POLLOUT`, …). A waiter fires when
 * `ready & changed & (mask | POLLERR | POLLHUP)` is not 0 — as the kernel wakes a poll only for a wake-up whose key
 * matches it. At arming, readiness is checked once as a level (as `vfs_poll` does), so a single-shot poll on a
 * ready socket completes at once; a multishot poll then fires again on each later matching event, and never spins
 * on a level that stays true (`POLLOUT` on an idle socket).
 *
 * @module
 */
import type { PendingOp } from './op.js';

export const POLLIN = 0x1;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLRDHUP = 0x2000;

/** Bits reported whether asked or not, as `poll(2)` does. */
const ALWAYS = POLLERR | POLLHUP;

interface PollWaiter {
  readonly op: PendingOp;
  readonly mask: number;
  readonly multishot: boolean;
}

export class PollSet {
  #waiters: PollWaiter[] = [];

  /** Arms `op` for `mask`, given the socket's readiness now. */
  arm(op: PendingOp, mask: number, multishot: boolean, ready: number): void {
    const hit = ready & (mask | ALWAYS);
    if (hit !== 0) {
      if (!multishot) return op.complete(hit);
      op.more(hit);
    }
    const waiter: PollWaiter = { op, mask, multishot };
    this.#waiters.push(waiter);
    op.cancel = () => {
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
    };
  }

  /** An event may have changed the `changed` bits; `ready` is the readiness now. */
  notify(changed: number, ready: number): void {
    if (this.#waiters.length === 0) return;
    const firing = this.#waiters.filter((w) => (ready & changed & (w.mask | ALWAYS)) !== 0);
    if (firing.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.multishot || !firing.includes(w));
    for (const w of firing) {
      const hit = ready & (w.mask | ALWAYS);
      if (w.multishot) w.op.more(hit);
      else w.op.complete(hit);
    }
  }

  /** Completes every waiter with `res` (the socket is closed). */
  finish(res: number): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.op.complete(res);
  }
}
