/**
 * {@link WorkerPool}: the main thread's side of the multi-core pool — it starts the workers, spawns jobs into the
 * inject queue, takes their outcomes, replaces a worker that dies, and shuts the pool down.
 *
 * ## Outcomes on the main thread
 * The main thread must never block, so it waits for outcomes with `Atomics.waitAsync` (its parker), only while
 * it has jobs in flight; the workers are `ref`'d for exactly that time, so a program with no job in flight can
 * exit as if the pool were not there.
 *
 * ## A worker that dies (an uncaught error, `process.exit` in a job)
 * The jobs it was running, and the calls pinned to it, fail with `ERR_ZOKIO_WORKER_CRASHED`; the jobs it owned
 * elsewhere are cancelled (nobody waits for them); the jobs in its deque stay there and other workers steal
 * them; a new thread takes its place, its deque and its queues. Outcome messages relayed to it that it never read
 * give their slots back through the new thread (see `memory.ts`).
 *
 * ## Shutdown (`close`)
 * New jobs are refused; the shutdown flag is raised and every worker woken; queued jobs are taken out of every
 * queue and completed as cancelled; each worker cancels its running jobs (at their next await), waits for their
 * clean-up and exits. Past the timeout the remaining threads are terminated and their jobs settle as cancelled.
 *
 * @module
 */
import { describeValue, expected, MAX_TIMER_MS, ZokioError } from '@zokio/future';
import { availableParallelism } from 'node:os';
import type { TransferListItem, Worker } from 'node:worker_threads';
import type { SchedulerOptions } from '../local/config.js';
import { EMPTY, RETRY } from './deque.js';
import { JobClient, type JobFuture, type JobRoutes, type PinnedCall, type SpawnJobOptions } from './job-client.js';
import {
  ABORTED,
  CANCELLED,
  CRASHED,
  DONE,
  EXECUTOR,
  LENGTH,
  M_BUSY_MS,
  M_JOBS,
  M_PARKS,
  M_POLLS,
  M_STEALS,
  M_STOLEN_JOBS,
  METRIC_FIELDS,
  OWNER,
  PINNED,
  PoolMemory,
  QUEUED,
  RELAYED,
  RUNNING,
  SHUTDOWN,
  STATE,
  type PoolSizes,
} from './memory.js';
import { BACKLOG_RETRY_MS, type FromWorker, type PoolWorkerData, type ToWorker, type WorkerSetup } from './worker.js';
import { checkRingCapacity } from './ring-capacity.js';
import { startThread } from './worker-url.js';

/** Options of a {@link WorkerPool}. @category Multi-core */
export interface WorkerPoolOptions {
  /** Worker threads. @default os.availableParallelism() */
  readonly workers?: number;
  /** Each worker's scheduler. */
  readonly scheduler?: SchedulerOptions;
  /** Called on each worker with its scheduler before it runs a job (the runtime installs its drivers there). */
  readonly setup?: WorkerSetup;
  /** Jobs in flight at once; more wait in their spawner's backlog. @default 8192 */
  readonly slots?: number;
  /** Bytes of a call or outcome kept in shared memory; bigger ones travel by message. @default 512 */
  readonly slotBytes?: number;
}

/** One worker's counters. @category Multi-core */
export interface WorkerMetrics {
  /** Jobs it started. */
  readonly jobs: number;
  /** Task polls of its scheduler. */
  readonly polls: number;
  /** Successful steals, and the jobs they moved. */
  readonly steals: number;
  readonly stolenJobs: number;
  /** Times it parked. */
  readonly parks: number;
  /** Jobs in its deque now. */
  readonly queueDepth: number;
  /** Milliseconds spent running jobs and tasks. */
  readonly busyTimeMs: number;
}

/** The pool's counters. @category Multi-core */
export interface PoolMetrics {
  readonly workers: readonly WorkerMetrics[];
  /** Jobs in the inject queue now. */
  readonly injectQueueDepth: number;
  /** Jobs spawned from the main thread and not settled. */
  readonly inFlight: number;
  /** Jobs waiting for a free slot on the main thread. */
  readonly backlog: number;
  /** Workers that died and were replaced. */
  readonly crashes: number;
}

/** What {@link WorkerPool.close} did. @category Multi-core */
export interface PoolCloseReport {
  /** Workers that did not exit within the timeout and were terminated. */
  readonly terminated: number;
}

/** A work-stealing pool of worker threads. Most programs use it through a `multi_thread` runtime. @category Multi-core */
export class WorkerPool {
  readonly #memory: PoolMemory;
  readonly #client: JobClient;
  readonly #workers: Worker[] = [];
  readonly #exited: Promise<void>[] = [];
  readonly #data: Omit<PoolWorkerData, 'id'>;
  #next = 0;
  #busy = false;
  #draining = false;
  #closing: Promise<PoolCloseReport> | undefined = undefined;
  #crashes = 0;
  #readyWorkers = 0;
  /** Why the pool could not start, if it could not. */
  #brokenBy: unknown = undefined;
  #resolveReady!: () => void;
  #rejectReady!: (error: unknown) => void;
  readonly #ready = new Promise<void>((resolve, reject) => {
    this.#resolveReady = resolve;
    this.#rejectReady = reject;
  });

  constructor(options: WorkerPoolOptions = {}) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`WorkerPool: Expected options to be an object, got ${describeValue(options)}`);
    const workers = options.workers ?? availableParallelism();
    if (!Number.isInteger(workers) || workers < 1 || workers > 1024)
      throw new RangeError(`WorkerPool: Expected workers to be an integer from 1 to 1024, got ${String(workers)}`);
    const slots = options.slots ?? 8192;
    checkRingCapacity(slots, 'WorkerPool: Expected a slot count');
    const slotBytes = options.slotBytes ?? 512;
    if (!Number.isInteger(slotBytes) || slotBytes < 64 || slotBytes % 8 !== 0)
      throw new RangeError(`WorkerPool: Expected slotBytes to be a multiple of 8 from 64, got ${String(slotBytes)}`);
    const sizes: PoolSizes = { workers, slots, slotBytes, dequeCapacity: Math.min(256, slots) };
    this.#memory = PoolMemory.allocate(sizes);
    const routes: JobRoutes = {
      route: (slot) => this.#route(slot),
      sendPinned: (call, transfer) => this.#sendPinned(call, transfer),
    };
    this.#client = new JobClient(this.#memory, 0, routes);
    this.#client.onBusy = (busy) => this.#setBusy(busy);
    this.#data = { buffers: this.#memory.buffers, scheduler: options.scheduler ?? {}, setup: options.setup };
    // A pool that cannot start rejects ready(): not an unhandled rejection when nobody asked.
    this.#ready.catch(() => {});
    for (let id = 1; id <= workers; id++) this.#startWorker(id);
  }

  /**
   * Resolves once every worker started and ran its setup: jobs spawned before are not lost (they wait in the
   * queues), but a benchmark or a test of stealing wants every thread up first. Rejects with a `ZokioError`
   * `ERR_ZOKIO_WORKER_CRASHED` (its `cause` the failure) if a worker could not start: the pool closed instead.
   */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Worker threads. */
  get size(): number {
    return this.#memory.workers;
  }

  /** The main thread's job client (the runtime registers it as its scheduler's `JOB_SPAWNER`). @internal */
  get client(): JobClient {
    return this.#client;
  }

  /** Spawns a job from the main thread; see `spawnJob`. The future's task is the caller's to spawn. */
  spawn<T>(
    module: string | URL,
    exportName: string,
    args?: readonly unknown[],
    options?: SpawnJobOptions,
  ): JobFuture<T> {
    return this.#client.spawn<T>(module, exportName, args, options);
  }

  metrics(): PoolMetrics {
    const memory = this.#memory;
    const m = memory.metrics;
    const workers: WorkerMetrics[] = [];
    for (let id = 1; id <= memory.workers; id++) {
      const at = id * METRIC_FIELDS;
      workers.push({
        jobs: m[at + M_JOBS]!,
        polls: m[at + M_POLLS]!,
        steals: m[at + M_STEALS]!,
        stolenJobs: m[at + M_STOLEN_JOBS]!,
        parks: m[at + M_PARKS]!,
        queueDepth: memory.deques[id - 1]!.length,
        busyTimeMs: m[at + M_BUSY_MS]!,
      });
    }
    return {
      workers,
      injectQueueDepth: memory.inject.length,
      inFlight: this.#client.outstanding,
      backlog: this.#client.backlog,
      crashes: this.#crashes,
    };
  }

  // ---- JobRoutes: where the main thread's jobs go --------------------------------------------------------------

  #route(slot: number): void {
    this.#memory.pushUntil(this.#memory.inject, slot);
    this.#memory.notifyWork(this.#next++);
  }

  #sendPinned(call: PinnedCall, transfer: readonly TransferListItem[]): void {
    const id = 1 + (this.#next++ % this.#memory.workers);
    this.#memory.set(call.slot, PINNED, id);
    const message: ToWorker = { kind: 'job', call };
    this.#workers[id - 1]!.postMessage(message, transfer as TransferListItem[]);
    this.#memory.parkers[id]!.unpark();
  }

  // ---- Outcomes ------------------------------------------------------------------------------------------------

  #setBusy(busy: boolean): void {
    this.#busy = busy;
    for (const worker of this.#workers) {
      if (busy) worker.ref();
      else if (this.#closing === undefined) worker.unref(); // closing: held until they exit (close awaits that)
    }
    if (busy && !this.#draining) void this.#drainLoop();
    // Idle: end a park in progress, whose keep-alive timer would otherwise hold the process open.
    if (!busy) this.#memory.parkers[0]!.unpark();
  }

  /** Takes outcomes while jobs are in flight, parking (without blocking) in between. */
  async #drainLoop(): Promise<void> {
    this.#draining = true;
    const parker = this.#memory.parkers[0]!;
    const client = this.#client;
    const recheck = () => client.hasCompletions();
    try {
      for (;;) {
        client.drain();
        client.retryBacklog();
        if (!this.#busy) return;
        await parker.parkAsync(client.backlog > 0 ? BACKLOG_RETRY_MS : Infinity, recheck);
      }
    } finally {
      this.#draining = false;
    }
  }

  #onMessage(message: FromWorker): void {
    if (message.kind === 'ready') {
      if (++this.#readyWorkers === this.#memory.workers) this.#resolveReady();
      return;
    }
    if (message.owner === 0) {
      this.#client.settleFromMessage(message);
      return;
    }
    // Marked relayed first: if its owner dies before it reads the message, the slot is handed back (see #replace).
    this.#memory.set(message.slot, LENGTH, RELAYED);
    const owner = this.#workers[message.owner - 1];
    owner?.postMessage(message satisfies ToWorker);
    this.#memory.parkers[message.owner]!.unpark();
  }

  // ---- Workers -------------------------------------------------------------------------------------------------

  #startWorker(id: number): void {
    const data: PoolWorkerData = { ...this.#data, id };
    const worker = startThread('pool-worker', { workerData: data, name: `zokio-worker-${id}` });
    let failure: unknown;
    let ready = false;
    worker.on('message', (message: FromWorker) => {
      if (message.kind === 'ready') {
        ready = true;
        // Held while it starts (an awaited `ready()` must not see the process end first), then let go if idle: a
        // pool that never runs a job (a multi-thread runtime built only to be described) keeps nothing alive.
        if (!this.#busy && this.#closing === undefined) worker.unref();
      }
      this.#onMessage(message);
    });
    worker.on('error', (error) => (failure = error));
    this.#workers[id - 1] = worker;
    this.#exited[id - 1] = new Promise((resolve) =>
      worker.once('exit', (code) => {
        resolve();
        if (this.#closing !== undefined) return;
        if (ready) this.#replace(id, failure);
        else this.#failToStart(id, failure ?? new Error(`it exited with code ${code} before it was ready`));
      }),
    );
  }

  /**
   * A worker died before it was ready (its setup threw, a module failed to load): starting another would fail the
   * same way, forever. The pool closes; its jobs fail with `ERR_ZOKIO_WORKER_CRASHED`, and the cause is warned.
   */
  #failToStart(id: number, failure: unknown): void {
    process.emitWarning(`zokio: pool worker ${id} failed to start, closing the pool: ${describeFailure(failure)}`);
    this.#brokenBy = failure;
    this.#rejectReady(
      new ZokioError(
        'ERR_ZOKIO_WORKER_CRASHED',
        `WorkerPool: Expected every worker to start, got worker ${id} failing to start (the pool closed): ${describeFailure(failure)}`,
        { cause: failure },
      ),
    );
    void this.close(0);
  }

  /**
   * A worker died: fail what it ran, cancel what it owned, hand back the slots of outcomes relayed to it that it
   * never read, start another in its place.
   */
  #replace(id: number, failure: unknown): void {
    this.#crashes++;
    const memory = this.#memory;
    for (let slot = 0; slot < memory.sizes.slots; slot++) {
      const state = memory.get(slot, STATE);
      const mine =
        (state === RUNNING && memory.get(slot, EXECUTOR) === id) ||
        ((state === QUEUED || state === CANCELLED) && memory.get(slot, PINNED) === id);
      if (mine) this.#complete(slot, CRASHED);
      else if (memory.get(slot, OWNER) !== id) continue;
      else if (state === QUEUED || state === RUNNING) memory.requestCancel(slot);
      // Its outcome message died in the thread's port: republished (no payload) to the thread that takes its place,
      // whose drain frees the slot — as its owner would have. One still on its way here is relayed there instead.
      else if (state === DONE && memory.get(slot, LENGTH) === RELAYED) this.#complete(slot, ABORTED);
    }
    if (failure !== undefined)
      process.emitWarning(`zokio: pool worker ${id} died and was replaced: ${describeFailure(failure)}`);
    this.#startWorker(id);
  }

  /** Completes `slot` with an outcome that has no payload; its owner is woken even if it is this thread (parked). */
  #complete(slot: number, outcome: number): void {
    const memory = this.#memory;
    memory.parkers[memory.publish(slot, outcome, 0)]!.unpark();
  }

  // ---- Shutdown ------------------------------------------------------------------------------------------------

  /**
   * Shuts the pool down (see the module doc); idempotent (the first `timeoutMs` holds). Resolves once every thread
   * exited. `timeoutMs`: a number ≥ 0, else a `TypeError`; past 2^31 − 1 (`Infinity` included) there is no
   * deadline: threads are waited for as long as they run.
   */
  close(timeoutMs = 10_000): Promise<PoolCloseReport> {
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))
      expected('timeoutMs to be a number ≥ 0 (or Infinity)', timeoutMs, 'WorkerPool.close');
    return (this.#closing ??= this.#close(timeoutMs));
  }

  async #close(timeoutMs: number): Promise<PoolCloseReport> {
    const memory = this.#memory;
    const outcome = this.#brokenBy === undefined ? ABORTED : CRASHED;
    this.#client.close(outcome);
    Atomics.store(memory.control, SHUTDOWN, 1);
    for (let id = 1; id <= memory.workers; id++) memory.parkers[id]!.unpark();
    // Queued jobs never start: take each id out of every queue and complete it as cancelled.
    for (let slot = memory.inject.pop(); slot !== EMPTY; slot = memory.inject.pop()) this.#abortQueued(slot, outcome);
    for (const deque of memory.deques) {
      for (let slot = deque.steal(); slot !== EMPTY; slot = deque.steal())
        if (slot !== RETRY) this.#abortQueued(slot, outcome);
    }
    for (const worker of this.#workers) worker.ref();
    let timer: NodeJS.Timeout | undefined;
    const allExited = Promise.all(this.#exited).then(() => false);
    // setTimeout fires at once for a delay past its limit: a longer one is no deadline, so no timer.
    const timedOut = await Promise.race([
      allExited,
      new Promise<boolean>((r) => {
        if (timeoutMs <= MAX_TIMER_MS) timer = setTimeout(r, timeoutMs, true);
      }),
    ]);
    clearTimeout(timer);
    let terminated = 0;
    if (timedOut) {
      for (const worker of this.#workers) if (worker.threadId !== -1) terminated++;
      await Promise.all(this.#workers.map((worker) => worker.terminate()));
    }
    this.#client.drain();
    this.#client.failAll(outcome);
    this.#busy = false;
    memory.parkers[0]!.unpark();
    return { terminated };
  }

  #abortQueued(slot: number, outcome: number): void {
    const was = this.#memory.transition(slot, QUEUED, RUNNING);
    if (was === QUEUED || was === CANCELLED) this.#complete(slot, outcome);
  }
}

function describeFailure(failure: unknown): string {
  return failure instanceof Error ? `${failure.name}: ${failure.message}` : describeValue(failure);
}
