/**
 * {@link FaultInjector}: a backend wrapper that injects the faults real systems produce — failed submissions
 * (`EINTR`, `EAGAIN`, `ECONNRESET`, `EPIPE`, `ENOMEM`, `ENOBUFS`), short reads and writes, delayed and reordered
 * completions — into any backend, from a seed, so the layers above can prove that every operation either completes
 * correctly or fails with a typed error, that nothing hangs and nothing leaks.
 *
 * ## Where it sits
 * `injector.wrap(factory)` is a {@link BackendFactory}: the driver talks to the wrapper exactly as to a backend,
 * and the wrapper to the real one. Between them:
 * - **On `flush`** each op record is looked at once. A `fail` takes the record out of the batch (the rest are
 *   compacted to the front of the staging buffer, in order) and completes it later with an errno the op could
 *   really get; a `short` cuts the record's length before the backend sees it, so the transfer really is short.
 * - **On completions** the backend's records are copied out (they are only valid during the callback, rule 6),
 *   some held back for up to `maxDelayMs`, and each batch is delivered to the driver, its order shuffled across
 *   ops when `reorder` hits. An op's own completions never overtake each other: once one is held, the later ones
 *   of the same op wait behind it (a multishot op's `COMPLETION_MORE` records stay before its final one).
 *
 * ## What it never touches, and why
 * - `CLOSE`, `CANCEL`, `NOP`, `TIMEOUT`, `BIND`, `LISTEN` and `SHUTDOWN` pass through: a failed close would leak
 *   its fd (Linux frees it even on `EINTR`), a failed cancel is not a fault of the I/O, and the rest are set-up
 *   whose failure tests nothing beyond the first error.
 * - Datagram sockets get no `short`: the kernel never sends or delivers part of a datagram. The injector learns
 *   which fds are datagram sockets from the `SOCKET` ops it sees complete.
 * - Vectored (`READV`, `WRITEV`), multishot and provided-buffer receives get no `short`: their lengths live in
 *   tables the backend owns.
 *
 * The contract holds through the wrapper: every op still gets exactly one final completion; completions are never
 * delivered from inside `flush` (injected failures are delivered on a later turn); `close()` with completions
 * still held throws `EBUSY`, as a backend with ops in flight does.
 *
 * @module
 */
import { constants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import {
  COMPLETION_RECORD_BYTES,
  CompletionField,
  MODE_BUFFER_SELECT,
  MODE_MULTISHOT,
  Op,
  OP_RECORD_BYTES,
  OpField,
  type Backend,
  type BackendFactory,
} from '../contract.js';
import { SeededRandom } from '@zokio/future';
import { SOCK_DGRAM } from '../sockaddr.js';
import { faultPlan, type FaultOp, type FaultOptions, type FaultPlan } from './fault-plan.js';

const E = constants.errno;

/** The errors an op may fail with at submission, by opcode; ops absent here are never failed. */
const FAILURES: ReadonlyMap<number, readonly number[]> = new Map([
  [Op.READ, [E.EINTR, E.EAGAIN, E.ENOMEM]],
  [Op.READV, [E.EINTR, E.EAGAIN, E.ENOMEM]],
  [Op.WRITE, [E.EINTR, E.EAGAIN, E.ENOMEM]],
  [Op.WRITEV, [E.EINTR, E.EAGAIN, E.ENOMEM]],
  [Op.OPENAT, [E.EINTR, E.ENOMEM]],
  [Op.FSYNC, [E.EINTR, E.ENOMEM]],
  [Op.STATX, [E.ENOMEM]],
  [Op.UNLINKAT, [E.ENOMEM]],
  [Op.RENAMEAT, [E.ENOMEM]],
  [Op.MKDIRAT, [E.ENOMEM]],
  [Op.SOCKET, [E.ENOMEM, E.ENOBUFS]],
  [Op.CONNECT, [E.ENOMEM, E.ENOBUFS]],
  [Op.ACCEPT, [E.EINTR, E.EAGAIN, E.ENOMEM, E.ENOBUFS]],
  [Op.RECV, [E.EINTR, E.EAGAIN, E.ECONNRESET, E.ENOMEM, E.ENOBUFS]],
  [Op.RECVMSG, [E.EINTR, E.EAGAIN, E.ENOMEM, E.ENOBUFS]],
  [Op.SEND, [E.EINTR, E.EAGAIN, E.EPIPE, E.ECONNRESET, E.ENOMEM, E.ENOBUFS]],
  [Op.SENDMSG, [E.EINTR, E.EAGAIN, E.ENOMEM, E.ENOBUFS]],
  [Op.POLL_ADD, [E.ENOMEM]],
]);

/**
 * The codes of every error a {@link FaultInjector} fails an op with (`EINTR`, `ENOMEM`, …), as `IoError.code` gives
 * them: what a suite under injected faults may see an op fail with.
 *
 * @example
 * ```ts
 * import { INJECTED_CODES } from '@zokio/io-driver';
 * console.log(INJECTED_CODES.has('ENOMEM'), INJECTED_CODES.has('ENOENT')); // true false
 * ```
 * @category Fault injection
 */
export const INJECTED_CODES: ReadonlySet<string> = new Set(
  [...FAILURES.values()].flat().map((errno) => getSystemErrorName(-errno)),
);

/** Ops whose single buffer length `short` may cut. */
const SHORTENABLE: ReadonlySet<number> = new Set([Op.READ, Op.WRITE, Op.RECV, Op.SEND]);

/** What a {@link FaultInjector} did so far. @category Fault injection */
export interface FaultStats {
  /** Ops failed at submission, by errno name (`EINTR`: 3). */
  readonly failed: Readonly<Record<string, number>>;
  /** Reads, writes, receives and sends whose length was cut. */
  readonly shortened: number;
  /** Completions held back. */
  readonly delayed: number;
  /** Batches of completions delivered out of order. */
  readonly reordered: number;
  /** Every fault injected. */
  readonly total: number;
}

interface Completion {
  token: number;
  res: number;
  flags: number;
  aux: number;
}

/**
 * Injects faults into any backend, from a seed. See the module doc for what it does and what it never touches.
 *
 * @example
 * ```ts
 * import { AT_FDCWD, createJsBackend, FaultInjector, IoDriver } from '@zokio/io-driver';
 * const faults = new FaultInjector({ seed: 42, rate: 0.5, faults: ['fail'] });
 * const driver = new IoDriver(faults.wrap(createJsBackend));
 * const path = driver.encodePath('/etc/hostname');
 * driver.openat(AT_FDCWD, path, 0, 0, {
 *   complete(res) {
 *     driver.pool.release(path);
 *     console.log(res >= 0 ? 'opened' : `failed: errno ${-res}`); // EINTR or ENOMEM half of the time
 *     if (res >= 0) driver.close(res, { complete: () => void driver.shutdown() });
 *     else void driver.shutdown();
 *   },
 * });
 * ```
 * @category Fault injection
 */
export class FaultInjector {
  readonly plan: FaultPlan;
  /**
   * Two streams from the seed: submission faults (`fail`, `short`) are decided in submission order, so the same
   * ops flushed in the same batches get the same faults; completion faults (`delay`, `reorder`) depend on when
   * the kernel completes, and drawing them from the same stream would make the submission faults depend on it too.
   */
  readonly #submissions: SeededRandom;
  readonly #completions: SeededRandom;
  /** The opcodes of the plan's `ops`: the ones `fail` and `short` may hit. */
  readonly #eligible: ReadonlySet<number>;
  readonly #failed: Record<string, number> = {};
  #shortened = 0;
  #delayed = 0;
  #reordered = 0;

  constructor(options: FaultOptions = {}) {
    this.plan = faultPlan(options);
    this.#submissions = new SeededRandom(this.plan.seed);
    this.#completions = new SeededRandom(this.plan.seed ^ 0x5bd1e995);
    this.#eligible = new Set([...this.plan.ops].map((name) => Op[name.toUpperCase() as Uppercase<FaultOp>]));
  }

  /** A factory for backends made by `factory`, with this injector's faults between them and the driver. */
  wrap(factory: BackendFactory): BackendFactory {
    return (staging, completions, onCompletions) =>
      new FaultyBackend(this, factory, staging, completions, onCompletions);
  }

  /** What was injected so far (a snapshot). */
  get stats(): FaultStats {
    const failed = { ...this.#failed };
    const total = Object.values(failed).reduce((a, b) => a + b, 0) + this.#shortened + this.#delayed + this.#reordered;
    return { failed, shortened: this.#shortened, delayed: this.#delayed, reordered: this.#reordered, total };
  }

  /** @internal The errno to fail an op of `opcode` with, or 0 for none. */
  failure(opcode: number): number {
    if (!this.plan.faults.has('fail') || !this.#eligible.has(opcode)) return 0;
    const errnos = FAILURES.get(opcode);
    if (errnos === undefined || !this.#submissions.chance(this.plan.rate)) return 0;
    const errno = errnos[this.#submissions.below(errnos.length)]!;
    const name = getSystemErrorName(-errno); // Node's name: `EAGAIN`, as `IoError` says
    this.#failed[name] = (this.#failed[name] ?? 0) + 1;
    return errno;
  }

  /** @internal A shorter length for a transfer of `length` bytes by an op of `opcode`, or `length` itself. */
  shorten(opcode: number, length: number): number {
    if (length < 2 || !this.plan.faults.has('short') || !this.#eligible.has(opcode)) return length;
    if (!this.#submissions.chance(this.plan.rate)) return length;
    this.#shortened++;
    return 1 + this.#submissions.below(length - 1);
  }

  /** @internal How long to hold a completion back, or −1 to deliver it now. */
  delay(): number {
    if (!this.plan.faults.has('delay') || !this.#completions.chance(this.plan.rate)) return -1;
    this.#delayed++;
    return this.#completions.next() * this.plan.maxDelayMs;
  }

  /** @internal Shuffles `batch` across ops (each op's completions keep their order), sometimes. */
  reorder(batch: Completion[]): void {
    if (batch.length < 2 || !this.plan.faults.has('reorder') || !this.#completions.chance(this.plan.rate)) return;
    this.#reordered++;
    const keys = new Map<number, number>();
    for (const c of batch) if (!keys.has(c.token)) keys.set(c.token, this.#completions.next());
    batch.sort((a, b) => keys.get(a.token)! - keys.get(b.token)!); // stable: an op's own order is kept
  }
}

/** The wrapper backend: see the module doc. */
class FaultyBackend implements Backend {
  readonly kind: string;
  readonly #injector: FaultInjector;
  readonly #inner: Backend;
  readonly #staging: Uint8Array;
  readonly #records: DataView;
  readonly #out: DataView;
  readonly #capacity: number;
  readonly #onCompletions: (count: number) => void;
  /** The inner backend's completion buffer: read in its callback, never handed to the driver. */
  readonly #innerOut: DataView;
  /** Completions ready to go to the driver, in order. */
  #ready: Completion[] = [];
  #deliveryScheduled = false;
  /** Completions held back, with when each is due, in the order they arrived. */
  readonly #held: { completion: Completion; due: number }[] = [];
  /** Ops with a completion held back: their later completions queue behind it. */
  readonly #heldTokens = new Map<number, number>();
  #heldTimer: NodeJS.Timeout | undefined = undefined;
  /** Tokens of `SOCKET` ops making datagram sockets, and the datagram fds they made. */
  readonly #datagramSockets = new Set<number>();
  readonly #datagramFds = new Set<number>();
  #closed = false;

  constructor(
    injector: FaultInjector,
    factory: BackendFactory,
    staging: ArrayBuffer,
    completions: ArrayBuffer,
    onCompletions: (count: number) => void,
  ) {
    this.#injector = injector;
    this.#staging = new Uint8Array(staging);
    this.#records = new DataView(staging);
    this.#out = new DataView(completions);
    this.#capacity = Math.floor(completions.byteLength / COMPLETION_RECORD_BYTES);
    this.#onCompletions = onCompletions;
    const innerCompletions = new ArrayBuffer(completions.byteLength);
    this.#innerOut = new DataView(innerCompletions);
    this.#inner = factory(staging, innerCompletions, (count) => this.#fromInner(count));
    this.kind = this.#inner.kind;
  }

  registerArena(id: number, buffer: ArrayBuffer): void {
    this.#inner.registerArena(id, buffer);
  }

  lendArena(id: number, buffer: ArrayBuffer): void {
    this.#inner.lendArena(id, buffer);
  }

  releaseArena(id: number): void {
    this.#inner.releaseArena(id);
  }

  flush(count: number): void {
    const v = this.#records;
    let kept = 0;
    for (let i = 0; i < count; i++) {
      const at = i * OP_RECORD_BYTES;
      const opcode = v.getUint8(at + OpField.opcode);
      const errno = this.#injector.failure(opcode);
      if (errno !== 0) {
        this.#push({ token: v.getUint32(at + OpField.token, true), res: -errno, flags: 0, aux: 0 });
        continue;
      }
      const to = kept++ * OP_RECORD_BYTES;
      if (to !== at) this.#staging.copyWithin(to, at, at + OP_RECORD_BYTES);
      this.#look(to, opcode);
    }
    if (kept > 0) this.#inner.flush(kept);
  }

  /** Notes datagram sockets, and cuts the length of a record that may be shortened. */
  #look(at: number, opcode: number): void {
    const v = this.#records;
    const fd = v.getInt32(at + OpField.fd, true);
    if (opcode === Op.SOCKET) {
      if ((v.getUint32(at + OpField.mode, true) & 0xf) === SOCK_DGRAM)
        this.#datagramSockets.add(v.getUint32(at + OpField.token, true));
    } else if (opcode === Op.CLOSE) this.#datagramFds.delete(fd);
    else if (SHORTENABLE.has(opcode) && !this.#datagramFds.has(fd)) {
      if ((v.getUint32(at + OpField.mode, true) & (MODE_MULTISHOT | MODE_BUFFER_SELECT)) !== 0) return;
      const length = v.getUint32(at + OpField.bufLength, true);
      const cut = this.#injector.shorten(opcode, length);
      if (cut !== length) v.setUint32(at + OpField.bufLength, cut, true);
    }
  }

  #fromInner(count: number): void {
    const v = this.#innerOut;
    const now = performance.now();
    for (let i = 0; i < count; i++) {
      const at = i * COMPLETION_RECORD_BYTES;
      const completion: Completion = {
        token: v.getUint32(at + CompletionField.token, true),
        res: v.getInt32(at + CompletionField.res, true),
        flags: v.getUint32(at + CompletionField.flags, true),
        aux: v.getUint32(at + CompletionField.aux, true),
      };
      if (this.#datagramSockets.delete(completion.token) && completion.res >= 0) this.#datagramFds.add(completion.res);
      const behind = this.#heldTokens.has(completion.token);
      const delay = behind ? 0 : this.#injector.delay();
      if (behind || delay >= 0) this.#hold(completion, now + delay);
      else this.#ready.push(completion);
    }
    this.#deliver();
  }

  /** Queues a completion for the driver, delivered on a later turn (never from inside `flush`). */
  #push(completion: Completion): void {
    this.#ready.push(completion);
    if (this.#deliveryScheduled) return;
    this.#deliveryScheduled = true;
    setImmediate(() => {
      this.#deliveryScheduled = false;
      this.#deliver();
    });
  }

  #hold(completion: Completion, due: number): void {
    const last = this.#held.at(-1);
    // Due times only grow along the queue, so an op's completions leave in their order.
    this.#held.push({ completion, due: last === undefined ? due : Math.max(due, last.due) });
    this.#heldTokens.set(completion.token, (this.#heldTokens.get(completion.token) ?? 0) + 1);
    this.#armHeld();
  }

  #armHeld(): void {
    if (this.#heldTimer !== undefined || this.#held.length === 0) return;
    const wait = Math.max(0, this.#held[0]!.due - performance.now());
    this.#heldTimer = setTimeout(() => {
      this.#heldTimer = undefined;
      const now = performance.now();
      while (this.#held.length > 0 && this.#held[0]!.due <= now) {
        const { completion } = this.#held.shift()!;
        const left = this.#heldTokens.get(completion.token)! - 1;
        if (left === 0) this.#heldTokens.delete(completion.token);
        else this.#heldTokens.set(completion.token, left);
        this.#ready.push(completion);
      }
      this.#deliver();
      this.#armHeld();
    }, wait);
  }

  /** Hands the ready completions to the driver, a completion buffer's worth at a time. */
  #deliver(): void {
    const batch = this.#ready;
    if (batch.length === 0) return;
    this.#ready = [];
    this.#injector.reorder(batch);
    const out = this.#out;
    for (let from = 0; from < batch.length; from += this.#capacity) {
      const n = Math.min(this.#capacity, batch.length - from);
      for (let i = 0; i < n; i++) {
        const c = batch[from + i]!;
        const at = i * COMPLETION_RECORD_BYTES;
        out.setUint32(at + CompletionField.token, c.token, true);
        out.setInt32(at + CompletionField.res, c.res, true);
        out.setUint32(at + CompletionField.flags, c.flags, true);
        out.setUint32(at + CompletionField.aux, c.aux, true);
      }
      this.#onCompletions(n);
    }
  }

  createBufferGroup(group: number, capacity: number): void {
    this.#inner.createBufferGroup(group, capacity);
  }

  provideBuffer(group: number, bufferId: number, arenaId: number, offset: number, length: number): void {
    this.#inner.provideBuffer(group, bufferId, arenaId, offset, length);
  }

  socketAddress(fd: number, peer: boolean, out: Uint8Array): number {
    return this.#inner.socketAddress(fd, peer, out);
  }

  setSocketOption(fd: number, option: Parameters<Backend['setSocketOption']>[1], value: number): number {
    return this.#inner.setSocketOption(fd, option, value);
  }

  setMembership(fd: number, join: boolean, group: number, iface: number): number {
    return this.#inner.setMembership(fd, join, group, iface);
  }

  close(): void {
    if (this.#closed) return;
    if (this.#held.length > 0 || this.#ready.length > 0) {
      const error = new Error(
        `FaultInjector: Expected no completions held back at close, got ${this.#held.length + this.#ready.length}`,
      ) as Error & { code: string };
      error.code = 'EBUSY';
      throw error;
    }
    this.#inner.close();
    this.#closed = true;
  }
}
