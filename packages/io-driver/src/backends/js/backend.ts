/**
 * The `js` backend: the contract of `contract.ts` on Node's own modules — `fs` for files, `net` and `dgram` for
 * sockets — for machines where the native backends cannot load.
 *
 * `flush(count)` decodes each op record and starts it: `NOP`, `TIMEOUT` and `CANCEL` here, file ops in `files.ts`,
 * socket ops (and fd ops on a socket's virtual fd) in `sockets.ts`. Every op is a {@link PendingOp} in the running
 * table from submission to its final completion.
 *
 * Completions are queued and delivered in batches, once per macrotask (`setImmediate`), through the completion
 * buffer, so the driver sees them in the same shape and at the same points of the event loop as from a native
 * backend, and never from inside `flush` (contract rule 6) — even for ops that complete synchronously.
 *
 * Cancellation (`OP_CANCEL`, arg = target token): an op waiting on something the backend controls — a timer, a
 * socket's receive or accept queue, a poll, a connect in progress — sets `PendingOp.cancel`, which withdraws it
 * without taking anything (data and connections stay queued for the next op); the backend then completes it with
 * `-ECANCELED` and the cancel with 0. An op already handed to Node (an `fs` call, a socket write) cannot be stopped:
 * the cancel completes with `-EALREADY` and the target with its own result. A target that already posted its final
 * completion — even one not yet delivered — is unknown: `-ENOENT`.
 *
 * @module
 */
import { MAX_TIMER_MS, ZokioError } from '@zokio/future';
import {
  COMPLETION_RECORD_BYTES,
  CompletionField,
  Op,
  OP_RECORD_BYTES,
  type Backend,
  type SocketOption,
} from '../../contract.js';
import { Arenas } from './arenas.js';
import { BufferGroups } from './buffer-groups.js';
import { E, errnoOf } from './errno.js';
import { startFileOp } from './files.js';
import { OpRecord, PendingOp, type CompletionSink } from './op.js';
import { isSocketOp, SocketTable } from './sockets.js';

export class JsBackend implements Backend, CompletionSink {
  readonly kind = 'js';
  readonly #record: OpRecord;
  readonly #completions: DataView;
  readonly #capacity: number;
  readonly #onCompletions: (count: number) => void;
  readonly #arenas = new Arenas();
  readonly #groups = new BufferGroups(this.#arenas);
  readonly #sockets = new SocketTable(this.#arenas, this.#groups);
  /** Ops between submission and final completion, by token. */
  readonly #running = new Map<number, PendingOp>();
  /** Completions waiting for the next delivery: token, res, flags, aux. */
  #queue: number[] = [];
  #deliveryScheduled = false;
  #closed = false;
  readonly #deliver = () => this.#deliverBatch();

  constructor(staging: ArrayBuffer, completions: ArrayBuffer, onCompletions: (count: number) => void) {
    this.#record = new OpRecord(staging);
    this.#completions = new DataView(completions);
    this.#capacity = Math.floor(completions.byteLength / COMPLETION_RECORD_BYTES);
    this.#onCompletions = onCompletions;
  }

  registerArena(id: number, buffer: ArrayBuffer): void {
    this.#arenas.register(id, buffer);
  }

  lendArena(id: number, buffer: ArrayBuffer): void {
    this.#arenas.register(id, buffer);
  }

  releaseArena(id: number): void {
    this.#arenas.release(id);
  }

  flush(count: number): void {
    const rec = this.#record;
    for (let i = 0; i < count; i++) {
      rec.at = i * OP_RECORD_BYTES;
      this.#start(rec);
    }
  }

  createBufferGroup(group: number, capacity: number): void {
    this.#groups.create(group, capacity);
  }

  provideBuffer(group: number, bufferId: number, arenaId: number, offset: number, length: number): void {
    this.#groups.provide(group, bufferId, arenaId, offset, length);
  }

  socketAddress(fd: number, peer: boolean, out: Uint8Array): number {
    return this.#sockets.socketAddress(fd, peer, out);
  }

  setSocketOption(fd: number, option: SocketOption, value: number): number {
    return this.#sockets.setSocketOption(fd, option, value);
  }

  setMembership(fd: number, join: boolean, group: number, iface: number): number {
    return this.#sockets.setMembership(fd, join, group, iface);
  }

  /** Throws (code `EBUSY`) while ops are in flight; then destroys the sockets left open. Idempotent. */
  close(): void {
    if (this.#running.size > 0) {
      throw new ZokioError('EBUSY', `js backend: Expected no ops in flight at close(), got ${this.#running.size}`);
    }
    if (this.#closed) return;
    this.#closed = true;
    this.#sockets.closeAll();
  }

  // ---- Completions ----------------------------------------------------------------------------------------------

  post(token: number, res: number, flags: number, aux: number, final: boolean): void {
    if (final) this.#running.delete(token);
    this.#queue.push(token, res, flags, aux);
    if (!this.#deliveryScheduled) {
      this.#deliveryScheduled = true;
      setImmediate(this.#deliver);
    }
  }

  #deliverBatch(): void {
    this.#deliveryScheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    const view = this.#completions;
    for (let start = 0; start < queue.length;) {
      let n = 0;
      for (; n < this.#capacity && start < queue.length; n++, start += 4) {
        const at = n * COMPLETION_RECORD_BYTES;
        view.setUint32(at + CompletionField.token, queue[start]!, true);
        view.setInt32(at + CompletionField.res, queue[start + 1]!, true);
        view.setUint32(at + CompletionField.flags, queue[start + 2]!, true);
        view.setUint32(at + CompletionField.aux, queue[start + 3]!, true);
      }
      this.#onCompletions(n);
    }
  }

  // ---- Submission -----------------------------------------------------------------------------------------------

  #start(rec: OpRecord): void {
    const op = new PendingOp(rec.token, this);
    if (this.#closed) return op.complete(-E.EBADF);
    this.#running.set(op.token, op);
    const opcode = rec.opcode;
    switch (opcode) {
      case Op.NOP:
        return op.complete(0);
      case Op.TIMEOUT: {
        // setTimeout takes at most 2^31 − 1 ms (it fires after 1 ms otherwise): a longer timeout is timed in steps.
        let timer: NodeJS.Timeout;
        const waitFor = (ms: number) => {
          const step = Math.min(ms, MAX_TIMER_MS);
          timer = setTimeout(() => (ms > step ? waitFor(ms - step) : op.complete(-E.ETIME)), step);
        };
        waitFor(rec.arg);
        op.cancel = () => clearTimeout(timer);
        return;
      }
      case Op.CANCEL:
        return op.complete(this.#cancel(rec.arg));
    }
    try {
      if (isSocketOp(opcode, rec.fd)) this.#sockets.start(op, rec);
      else startFileOp(op, rec, this.#arenas);
    } catch (error) {
      // Node refused an argument synchronously (a port it will not connect to, say): the op still completes,
      // once, with the closest errno, and nothing crashes.
      op.complete(errnoOf(error));
    }
  }

  /** Cancels op `token`: see the module doc. Returns the cancel op's result. */
  #cancel(token: number): number {
    const target = this.#running.get(token);
    if (target === undefined) return -E.ENOENT;
    const stop = target.cancel;
    if (stop === undefined) return -E.EALREADY;
    stop();
    target.complete(-E.ECANCELED);
    return 0;
  }
}
