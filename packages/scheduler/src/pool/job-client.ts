/**
 * The owner's side of a job: {@link JobClient} spawns jobs from one thread (the main thread or a worker) and
 * settles their {@link JobFuture}s when their outcomes come back.
 *
 * ## Protocol (see `memory.ts` for the slot states)
 * 1. `spawn` validates the call and makes a `JobFuture`. The call is submitted at once (eager, like `spawn`): a
 *    free slot is taken, the call written into it, the slot marked `QUEUED` and handed to `route` (the inject
 *    queue from the main thread, the worker's own deque from a worker). With no free slot, the future waits in
 *    this thread's backlog, FIFO, and is submitted when one of this thread's jobs frees a slot.
 * 2. A call too big for a slot, or with a transfer list, travels by message instead: `sendPinned` gives it to one
 *    worker, which runs it there (it cannot be stolen: the other workers never see the message).
 * 3. The executor writes the outcome into the slot, marks it `DONE` and pushes the slot id to this thread's
 *    completion queue; `drain` takes it, reads the outcome, frees the slot and wakes the future's task. An
 *    outcome too big for the slot comes by message instead (`settleFromMessage`).
 *
 * ## Cancellation (`JobFuture.cancel`)
 * - In the backlog: removed; it never runs.
 * - Queued: the owner's CAS `QUEUED → CANCELLED` wins, so no worker will start it; done at once (the slot is
 *   freed when a taker completes it as cancelled).
 * - Running: the executor is told (`CANCEL` flag, its `cancels` counter bumped, unparked) and cancels the job's
 *   task at its next await; the future's clean-up waits for that acknowledgement, so a `JoinHandle` awaited after
 *   `abort()` resolves once the job really stopped.
 *
 * @module
 */
import {
  FutureBase,
  PENDING,
  ZokioError,
  describeValue,
  type Cleanup,
  type Context,
  type Poll,
  type Waker,
} from '@zokio/future';
import { pathToFileURL } from 'node:url';
import { MessagePort, type TransferListItem } from 'node:worker_threads';
import { RingQueue } from '../queue/ring.js';
import { Codec } from './codec.js';
import { decodeThrown, type EncodedThrown } from './thrown.js';
import { EMPTY } from './deque.js';
import {
  ABORTED,
  CANCEL,
  CRASHED,
  ERROR,
  EXECUTOR,
  FREE,
  KIND,
  LENGTH,
  OK,
  OWNER,
  PINNED,
  QUEUED,
  RUNNING,
  STATE,
  type PoolMemory,
} from './memory.js';

/** Options of `spawnJob`. @category Multi-core */
export interface SpawnJobOptions {
  /**
   * `ArrayBuffer`s (or `MessagePort`s) among the arguments to move instead of copy: detached here, owned by the
   * job. A job with a transfer list runs on the worker it is sent to (it is not stolen).
   */
  readonly transfer?: readonly TransferListItem[];
  /** A name for errors and dumps. */
  readonly name?: string;
}

/** A call the executor receives by message (too big for a slot, or with transfers). */
export interface PinnedCall {
  readonly slot: number;
  readonly url: string;
  readonly name: string;
  readonly args: unknown[];
}

/** An outcome sent by message (too big for its slot). */
export interface OutcomeMessage {
  readonly kind: 'outcome';
  readonly slot: number;
  readonly owner: number;
  readonly outcome: number;
  readonly value: unknown;
}

const BACKLOG = 0;
const SUBMITTED = 1;
/** Run on its spawner's own thread, without a slot (see `JobRoutes.runLocally`). */
const LOCAL = 3;
const SETTLED = 2;

/** The future of one job's outcome, as its owner sees it. Cancel-safe: see the module doc. @category Multi-core */
export class JobFuture<T> extends FutureBase<T> {
  /** @internal */ state = BACKLOG;
  /** @internal */ slot = -1;
  /** @internal The call, kept until it is submitted. */ call: PendingCall | undefined;
  /** @internal */ cancelRequested = false;
  #outcome = 0;
  #value: unknown = undefined;
  #waker: Waker | undefined = undefined;
  #ackWaker: Waker | undefined = undefined;
  readonly #client: JobClient;
  /** The job's name, or its export's; with {@link #module}, the label — joined only when a message needs it. */
  readonly #name: string;
  /** The module's URL when the job has no name of its own. */
  readonly #module: string | undefined;

  /** @internal */
  constructor(client: JobClient, call: PendingCall) {
    super();
    this.#client = client;
    this.call = call;
    this.#name = call.jobName ?? call.name;
    this.#module = call.jobName === undefined ? call.url : undefined;
  }

  /** The job's name, or `export of module`, for messages. */
  get label(): string {
    return this.#module === undefined ? this.#name : `${this.#name} of ${this.#module}`;
  }

  poll(cx: Context): Poll<T> {
    if (this.state !== SETTLED) {
      this.#waker = cx.waker;
      return PENDING;
    }
    switch (this.#outcome) {
      case OK:
        return this.#value as T;
      case ERROR:
        throw this.#value;
      case CRASHED:
        throw new ZokioError(
          'ERR_ZOKIO_WORKER_CRASHED',
          `Expected job ${this.label} to finish, got its worker thread dying while it ran`,
        );
      default:
        throw new ZokioError('ERR_ZOKIO_JOB_CANCELLED', `Expected job ${this.label} to finish, got it cancelled`);
    }
  }

  override cancel(): Cleanup {
    if (this.state === SETTLED || this.cancelRequested) return undefined;
    this.cancelRequested = true;
    this.#waker = undefined;
    return this.#client.cancel(this) ? new CancelAck(this) : undefined;
  }

  /** @internal */
  settle(outcome: number, value: unknown): void {
    this.state = SETTLED;
    this.#outcome = outcome;
    this.#value = value;
    this.call = undefined;
    const waker = this.#waker ?? this.#ackWaker;
    this.#waker = this.#ackWaker = undefined;
    waker?.wake();
  }

  /** @internal */
  get settled(): boolean {
    return this.state === SETTLED;
  }

  /** @internal */
  awaitAck(waker: Waker): void {
    this.#ackWaker = waker;
  }
}

/** Clean-up of a cancelled running job: done when its executor acknowledged (or it finished anyway). */
class CancelAck extends FutureBase<void> {
  readonly #job: JobFuture<unknown>;
  constructor(job: JobFuture<unknown>) {
    super();
    this.#job = job;
  }
  poll(cx: Context): Poll<void> {
    if (this.#job.settled) return undefined;
    this.#job.awaitAck(cx.waker);
    return PENDING;
  }
}

/** A call before it has a slot: its arguments copied (primitives) or serialized, or cloned with their transfers. */
export interface PendingCall {
  readonly url: string;
  readonly name: string;
  readonly args: unknown[];
  readonly transfer: readonly TransferListItem[] | undefined;
  readonly jobName: string | undefined;
}

/** Where a thread's submitted jobs go. */
export interface JobRoutes {
  /** A queued slot any worker may take. */
  route(slot: number): void;
  /** A call that travels by message; the implementation marks the slot `PINNED` to the worker it picks. */
  sendPinned(call: PinnedCall, transfer: readonly TransferListItem[]): void;
  /**
   * Workers only: runs `job` on this thread at once, without a slot, settling it when done. Used when no slot is
   * free: jobs waiting on their children hold slots, and if every slot were held so, children waiting for one
   * would wait for ever. The result is handed over without a copy (it never leaves the thread).
   */
  runLocally?(job: JobFuture<unknown>, call: PendingCall): void;
  /** Workers only: aborts a job started by `runLocally`; true if the caller must wait for it to stop. */
  abortLocal?(job: JobFuture<unknown>): boolean;
}

/** Spawns jobs from one thread and settles their outcomes. See the module doc. @internal */
export class JobClient {
  readonly #memory: PoolMemory;
  readonly #self: number;
  readonly #codec: Codec;
  readonly #routes: JobRoutes;
  readonly #jobs = new Map<number, JobFuture<unknown>>();
  readonly #backlog = new RingQueue<JobFuture<unknown>>(64);
  #outstanding = 0;
  #closed = false;
  /** How jobs spawned after `close` settle. */
  #closedOutcome = ABORTED;
  /** Called when the number of unsettled jobs goes from 0 to 1 (true) and back (false). */
  onBusy: ((busy: boolean) => void) | undefined = undefined;

  constructor(memory: PoolMemory, self: number, routes: JobRoutes) {
    this.#memory = memory;
    this.#self = self;
    this.#codec = new Codec(memory.payload);
    this.#routes = routes;
  }

  /** Jobs spawned here and not settled yet. */
  get outstanding(): number {
    return this.#outstanding;
  }

  /** Jobs waiting for a free slot. */
  get backlog(): number {
    return this.#backlog.length;
  }

  /** Spawns `exportName` of `module` with `args`. Throws a typed error for bad input, at the call. */
  spawn<T>(module: unknown, exportName: unknown, args: unknown, options: SpawnJobOptions = {}): JobFuture<T> {
    const call = pendingCall(module, exportName, args, options);
    const future = new JobFuture<T>(this, call);
    const job = future as JobFuture<unknown>;
    if (this.#closed) {
      future.settle(this.#closedOutcome, undefined);
      return future;
    }
    if (this.#outstanding++ === 0) this.onBusy?.(true);
    if (this.#backlog.length === 0 && this.#submit(job)) return future;
    const routes = this.#routes;
    if (routes.runLocally !== undefined && call.transfer === undefined) {
      job.state = LOCAL;
      routes.runLocally(job, call);
    } else this.#backlog.push(job);
    return future;
  }

  /** Takes every outcome waiting in this thread's completion queue; returns how many. */
  drain(): number {
    const queue = this.#memory.completions[this.#self]!;
    let n = 0;
    for (;;) {
      const slot = queue.pop();
      if (slot === EMPTY) break;
      n++;
      this.#settleSlot(slot);
    }
    if (n > 0) this.#submitBacklog();
    return n;
  }

  /** True if an outcome waits in this thread's completion queue. */
  hasCompletions(): boolean {
    return this.#memory.completions[this.#self]!.length > 0;
  }

  /** An outcome that came by message. */
  settleFromMessage(message: OutcomeMessage): void {
    const value = message.outcome === ERROR ? decodeThrown(message.value as EncodedThrown) : message.value;
    this.#finish(message.slot, message.outcome, value);
    this.#submitBacklog();
  }

  /** Settles every job as `outcome` (the pool is gone): used at shutdown, after the workers stopped. */
  failAll(outcome: number): void {
    this.#closed = true;
    for (const [slot, job] of [...this.#jobs]) {
      this.#jobs.delete(slot);
      // A job cancelled while queued is settled already, and kept here only until its slot came back.
      if (!job.settled) this.#settle(job, outcome, undefined);
    }
    for (let job = this.#backlog.shift(); job !== undefined; job = this.#backlog.shift())
      if (!job.settled) this.#settle(job, outcome, undefined);
  }

  /** Refuses new jobs: they settle at once as `outcome` (cancelled, or crashed for a pool that could not start). */
  close(outcome = ABORTED): void {
    this.#closed = true;
    this.#closedOutcome = outcome;
  }

  /** Requests cancellation of `job`; true if the caller must wait for the executor's acknowledgement. */
  cancel(job: JobFuture<unknown>): boolean {
    if (job.state === LOCAL) return this.#routes.abortLocal?.(job) ?? false;
    if (job.state === BACKLOG) {
      this.#settle(job, ABORTED, undefined); // left in the backlog ring, skipped there
      return false;
    }
    const was = this.#memory.requestCancel(job.slot);
    if (was === QUEUED) {
      // No worker will start it; whoever takes the id completes it as cancelled, and drain frees the slot then.
      this.#settle(job, ABORTED, undefined, false);
      return false;
    }
    return was === RUNNING; // its executor aborts it, then its outcome comes; DONE: on its way, and dropped
  }

  /**
   * Submits what waits in the backlog, as far as slots are free. Slots are freed by their owners, so a thread whose
   * backlog waits on slots held by other threads' jobs must retry now and then: the pump does at every round, the
   * main thread at a short park timeout.
   */
  retryBacklog(): void {
    if (this.#backlog.length > 0) this.#submitBacklog();
  }

  #submitBacklog(): void {
    const backlog = this.#backlog;
    while (backlog.length > 0) {
      const job = backlog.peek()!;
      if (!job.settled && !this.#submit(job)) return;
      backlog.shift();
    }
  }

  /** Puts `job` in a free slot and routes it; false if no slot is free. */
  #submit(job: JobFuture<unknown>): boolean {
    const memory = this.#memory;
    const slot = memory.free.pop();
    if (slot === EMPTY) return false;
    const call = job.call!;
    job.slot = slot;
    job.state = SUBMITTED;
    this.#jobs.set(slot, job);
    memory.set(slot, OWNER, this.#self);
    memory.set(slot, EXECUTOR, 0);
    memory.set(slot, KIND, 0);
    memory.set(slot, CANCEL, 0);
    memory.set(slot, PINNED, 0);
    const length = call.transfer === undefined ? this.#writeCall(slot, call) : -1;
    memory.set(slot, LENGTH, length);
    memory.set(slot, STATE, QUEUED);
    if (length >= 0) this.#routes.route(slot);
    else this.#routes.sendPinned({ slot, url: call.url, name: call.name, args: call.args }, transferables(call.args));
    return true;
  }

  /** Writes the call into `slot`: its length, or −1 if it must travel by message (too big, or holds shared memory). */
  #writeCall(slot: number, call: PendingCall): number {
    const memory = this.#memory;
    try {
      return this.#codec.writeCall(memory.payloadAt(slot), memory.sizes.slotBytes, call.url, call.name, call.args);
    } catch {
      return -1; // v8.serialize refuses what only postMessage can share (a SharedArrayBuffer)
    }
  }

  #settleSlot(slot: number): void {
    const memory = this.#memory;
    let outcome = memory.get(slot, KIND);
    let value: unknown;
    if (outcome === OK || outcome === ERROR) {
      try {
        value = this.#codec.readValue(memory.payloadAt(slot));
        if (outcome === ERROR) value = decodeThrown(value as EncodedThrown);
      } catch (error) {
        // What the worker could serialize, this thread could not read back (a WebAssembly.Module): the job fails
        // with that, typed — never a success whose value is an Error.
        outcome = ERROR;
        value = new ZokioError(
          'ERR_ZOKIO_JOB_RESULT',
          `Expected a job outcome this thread can deserialize, got one it cannot: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
    this.#finish(slot, outcome, value);
  }

  #finish(slot: number, outcome: number, value: unknown): void {
    const memory = this.#memory;
    const job = this.#jobs.get(slot);
    this.#jobs.delete(slot);
    memory.set(slot, STATE, FREE);
    memory.pushUntil(memory.free, slot);
    if (job !== undefined && !job.settled) this.#settle(job, outcome, value);
  }

  /** Settles a job run by `runLocally`. */
  settleLocal(job: JobFuture<unknown>, outcome: number, value: unknown): void {
    if (!job.settled) this.#settle(job, outcome, value, false);
  }

  /** Settles `job`; `release` false when its slot is still in flight (freed when its outcome comes back). */
  #settle(job: JobFuture<unknown>, outcome: number, value: unknown, release = true): void {
    if (release && job.state === SUBMITTED) this.#jobs.delete(job.slot);
    job.settle(outcome, value);
    if (--this.#outstanding === 0) this.onBusy?.(false);
  }
}

/** Validates a call and takes its arguments: copied (so later changes by the caller do not leak into the job). */
function pendingCall(module: unknown, exportName: unknown, args: unknown, options: SpawnJobOptions): PendingCall {
  let url: string;
  if (module instanceof URL) url = module.href;
  else if (typeof module === 'string' && /^[a-z][a-z0-9+.-]*:/i.test(module)) url = module;
  else if (typeof module === 'string' && module.startsWith('/')) url = pathToFileURL(module).href;
  else
    throw new ZokioError(
      'ERR_ZOKIO_JOB_MODULE',
      `spawnJob: Expected the module as a URL or an absolute file URL or path, got ${describeValue(module)}`,
    );
  if (typeof exportName !== 'string' || exportName === '')
    throw new ZokioError(
      'ERR_ZOKIO_JOB_EXPORT',
      `spawnJob: Expected the export name as a non-empty string, got ${describeValue(exportName)}`,
    );
  if (args !== undefined && !Array.isArray(args))
    throw new ZokioError(
      'ERR_ZOKIO_JOB_ARGS',
      `spawnJob: Expected the arguments as an array, got ${describeValue(args)}`,
    );
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`spawnJob: Expected options to be an object, got ${describeValue(options)}`);
  const transfer: readonly TransferListItem[] | undefined = options.transfer;
  if (transfer !== undefined && !Array.isArray(transfer))
    throw new TypeError(`spawnJob: Expected transfer to be an array, got ${describeValue(transfer)}`);
  const list = (args ?? []) as unknown[];
  let copied: unknown[];
  try {
    if (transfer !== undefined && transfer.length > 0)
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- Node's and the DOM's Transferable differ
      copied = structuredClone(list, { transfer: transfer.slice() });
    else if (list.every(isPrimitive)) copied = list.slice();
    else copied = structuredClone(list); // shares SharedArrayBuffers, as postMessage does
  } catch (error) {
    throw new ZokioError(
      'ERR_ZOKIO_JOB_ARGS',
      `spawnJob: Expected structured-clone-able job arguments, got ${(error as Error).message}`,
      { cause: error },
    );
  }
  return {
    url,
    name: exportName,
    args: copied,
    transfer: transfer !== undefined && transfer.length > 0 ? transfer.slice() : undefined,
    jobName: options.name,
  };
}

/**
 * The buffers and ports in `value`, a clone this thread owns: every `ArrayBuffer` in it is a private copy (or was
 * moved here at spawn), so all of them can move on to the worker without a second copy.
 */
function transferables(value: unknown, found: TransferListItem[] = [], seen = new Set<object>()): TransferListItem[] {
  if (value === null || typeof value !== 'object' || seen.has(value)) return found;
  seen.add(value);
  if (value instanceof ArrayBuffer || value instanceof MessagePort) found.push(value);
  else if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) transferables(value.buffer, found, seen);
  } else if (value instanceof Map) for (const [k, v] of value) transferables(v, transferables(k, found, seen), seen);
  else if (value instanceof Set || Array.isArray(value)) for (const v of value) transferables(v, found, seen);
  else for (const key of Object.keys(value)) transferables((value as Record<string, unknown>)[key], found, seen);
  return found;
}

function isPrimitive(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol');
}
