/**
 * A pool worker: one `worker_threads` thread running its own {@link LocalScheduler} (and, through the runtime's
 * setup hook, its own time and I/O drivers), taking jobs from shared memory and running each as a task.
 *
 * ## The pump
 * The worker's loop is `pump()`, run whenever its scheduler has nothing runnable (an idle hook after each tick),
 * and after each wake-up. Each round:
 * 1. **Control**: messages from the main thread (calls pinned to this worker, outcomes relayed to it), cancel
 *    requests (`cancels[me]` changed: abort the tasks of jobs whose `CANCEL` flag is set), shutdown.
 * 2. **Outcomes** of jobs this worker spawned (its completion queue): their futures wake their tasks.
 * 3. If the scheduler has tasks to run, return: the next idle tick pumps again. A worker starts a new job only
 *    when its current ones wait, so jobs it does not get to stay where thieves can take them.
 * 4. **Find a job**: its own deque (LIFO: the job it spawned last, the hottest), its pinned calls, the inject
 *    queue, then steal half of a random victim's deque. At most half the workers search at once (Tokio's
 *    throttle); a searcher that finds work and was the last one searching wakes another parked worker, so work
 *    spreads one wake-up at a time without a thundering herd.
 * 5. **Run it**: the export is called; a plain value or a throw is the outcome at once (no task); a future or a
 *    promise becomes a task whose end writes the outcome. After 64 jobs in a row (or 2 ms) the pump yields to
 *    libuv once, if a task here is alive (it may wait on I/O or a timer); synchronous jobs alone run back to back.
 * 6. **Nothing to do: park.** With no task alive the thread blocks (`Atomics.wait`: nothing can need its event
 *    loop); with tasks alive (they wait on I/O, timers, or jobs they spawned) it parks without blocking
 *    (`Atomics.waitAsync`), so their completions keep arriving. Either way the park's last look (`recheck`)
 *    sees any work published before the parker read `PARKED`, so no wake-up is lost.
 *
 * Jobs should not leave plain Node callbacks (a bare `setTimeout`) behind when they return: a worker with no
 * task alive blocks its event loop until the next job. Tasks and zokio timers are always waited for.
 *
 * @module
 */
import {
  describeValue,
  drop,
  fn,
  fromPromise,
  FutureBase,
  isFuture,
  PENDING,
  ZokioError,
  type Cleanup,
  type Context,
  type Future,
  type Poll,
} from '@zokio/future';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { LocalScheduler } from '../local/scheduler.js';
import type { SchedulerOptions } from '../local/config.js';
import { RingQueue } from '../queue/ring.js';
import type { JoinHandle } from '../task/join-handle.js';
import { Codec } from './codec.js';
import { cloneable, encodeThrown, thrownMessage } from './thrown.js';
import { EMPTY, type JobDeque } from './deque.js';
import {
  JobClient,
  type JobFuture,
  type JobRoutes,
  type OutcomeMessage,
  type PendingCall,
  type PinnedCall,
} from './job-client.js';
import {
  ABORTED,
  CANCEL,
  DONE,
  ERROR,
  EXECUTOR,
  KIND,
  LENGTH,
  M_BUSY_MS,
  M_JOBS,
  M_PARKS,
  M_POLLS,
  M_STEALS,
  M_STOLEN_JOBS,
  METRIC_FIELDS,
  OK,
  OWNER,
  PINNED,
  PoolMemory,
  QUEUED,
  RUNNING,
  SEARCHING,
  SHUTDOWN,
  STATE,
  type PoolBuffers,
} from './memory.js';
import { JOB_SPAWNER } from './spawn-job.js';
import { threadData } from './worker-url.js';
import { isThenable } from './thenable.js';

/** What a pool worker is started with. */
export interface PoolWorkerData {
  readonly buffers: PoolBuffers;
  /** This worker's thread id (1 … workers). */
  readonly id: number;
  readonly scheduler: SchedulerOptions;
  /** A module export called with the worker's scheduler before any job runs (the runtime installs its drivers). */
  readonly setup: WorkerSetup | undefined;
}

/** A setup hook: export `name` of module `url`, called as `(scheduler, data)`; may return a Promise. */
export interface WorkerSetup {
  readonly url: string;
  readonly name: string;
  readonly data?: unknown;
}

/** A message from a worker to the main thread: it is ready for jobs, or an outcome too big for its slot. */
export type FromWorker = { readonly kind: 'ready' } | OutcomeMessage;

/** A message from the main thread to a worker. */
export type ToWorker = { readonly kind: 'job'; readonly call: PinnedCall } | OutcomeMessage;

/** Jobs run in a row before the pump yields to libuv. */
const JOBS_PER_TURN = 64;
/** Milliseconds of jobs in a row before the pump yields to libuv. */
const TURN_MS = 2;
/** How often a thread whose spawned jobs wait for a free slot looks again, when nothing else wakes it. */
export const BACKLOG_RETRY_MS = 2;

type Exported = (...args: unknown[]) => unknown;

/** The thread side of the pool: call once, in a thread started by `WorkerPool`. @internal */
export async function runPoolWorker(): Promise<void> {
  const data = threadData<PoolWorkerData>(workerData);
  const scheduler = new LocalScheduler(data.scheduler);
  if (data.setup !== undefined) {
    const module = (await import(data.setup.url)) as Record<string, unknown>;
    const setup = module[data.setup.name];
    if (typeof setup !== 'function')
      throw new TypeError(
        `Expected ${data.setup.url} to export a function ${data.setup.name}, got ${describeValue(setup)}`,
      );
    await (setup as (scheduler: LocalScheduler, data: unknown) => unknown)(scheduler, data.setup.data);
  }
  new PoolWorker(new PoolMemory(data.buffers), data.id, scheduler, parentPort!).start();
}

class PoolWorker implements JobRoutes {
  readonly #memory: PoolMemory;
  readonly #id: number;
  readonly #scheduler: LocalScheduler;
  readonly #port: MessagePort;
  readonly #client: JobClient;
  readonly #codec: Codec;
  readonly #deque: JobDeque;
  readonly #metrics: Float64Array;
  readonly #m: number;
  readonly #pinned = new RingQueue<PinnedCall>(16);
  /** Tasks of async jobs running here, by slot. */
  readonly #running = new Map<number, JoinHandle<void>>();
  /** Tasks of jobs run here without a slot (`runLocally`), by their future. */
  readonly #local = new Map<JobFuture<unknown>, JoinHandle<void>>();
  /**
   * Job tasks already aborted (a cancel request, or shutdown): each is aborted once, since a second `abort()`
   * abandons the async clean-up the first one started.
   */
  readonly #aborted = new WeakSet<JoinHandle<void>>();
  readonly #modules = new Map<string, Record<string, unknown> | Promise<Record<string, unknown>>>();
  #seenCancels: number;
  /** Milliseconds in the pump (synchronous jobs run there), parks excluded. */
  #pumpBusyMs = 0;
  #pumping = false;
  #parkedAsync = false;
  #yielded = false;
  #shuttingDown = false;
  #random: number;
  readonly #pump = () => {
    this.#yielded = false;
    this.pump();
  };
  readonly #recheck = () => this.#hasWork(true);
  readonly #recheckAsync = () => this.#hasWork(true) || !this.#scheduler.isIdle;

  constructor(memory: PoolMemory, id: number, scheduler: LocalScheduler, port: MessagePort) {
    this.#memory = memory;
    this.#id = id;
    this.#scheduler = scheduler;
    this.#port = port;
    this.#client = new JobClient(memory, id, this);
    this.#codec = new Codec(memory.payload);
    this.#deque = memory.deques[id - 1]!;
    this.#metrics = memory.metrics;
    this.#m = id * METRIC_FIELDS;
    this.#seenCancels = Atomics.load(memory.cancels, id);
    this.#random = (id * 0x9e3779b9) | 1;
  }

  start(): void {
    this.#scheduler.provide(JOB_SPAWNER, this.#client);
    this.#scheduler.addIdleHook(() => this.pump());
    this.#port.postMessage({ kind: 'ready' } satisfies FromWorker);
    this.pump();
  }

  // ---- JobRoutes: where jobs spawned on this worker go ---------------------------------------------------------

  route(slot: number): void {
    if (!this.#deque.push(slot)) this.#memory.pushUntil(this.#memory.inject, slot); // overflow, as Tokio's deque
    this.#memory.notifyWork(this.#id);
  }

  runLocally(job: JobFuture<unknown>, call: PendingCall): void {
    this.#metrics[this.#m + M_JOBS]!++;
    const settle = (outcome: number, value: unknown) => {
      this.#local.delete(job);
      this.#client.settleLocal(job, outcome, value);
    };
    let result: unknown;
    let future: Future<unknown> | undefined;
    try {
      result = this.#call(call.url, call.name, call.args);
      future = asFuture(result); // reads `then`: a getter may throw
    } catch (error) {
      settle(ERROR, error);
      return;
    }
    if (future === undefined) settle(OK, result);
    else this.#local.set(job, this.#scheduler.spawn(jobTask(future, settle)));
  }

  abortLocal(job: JobFuture<unknown>): boolean {
    const task = this.#local.get(job);
    if (task === undefined) return false;
    this.#abortOnce(task);
    return true;
  }

  sendPinned(call: PinnedCall): void {
    this.#memory.set(call.slot, PINNED, this.#id);
    this.#pinned.push(call); // its arguments are already this thread's own clone
  }

  // ---- The pump ------------------------------------------------------------------------------------------------

  pump(): void {
    if (this.#pumping || this.#yielded) return;
    this.#pumping = true;
    const started = performance.now();
    let jobs = 0;
    let idle = 0;
    try {
      for (;;) {
        this.#control();
        if (this.#shuttingDown) return;
        this.#client.drain();
        this.#client.retryBacklog();
        if (!this.#scheduler.isIdle) return;
        // Yield to libuv now and then — only if a task here may be waiting on it (I/O, timers): a worker running
        // synchronous jobs back to back has nothing to give the loop, and a turn costs tens of µs on a busy VM.
        const turnOver = jobs >= JOBS_PER_TURN || (jobs > 0 && performance.now() - started > TURN_MS);
        if (turnOver && this.#scheduler.alive > 0) {
          this.#yielded = true;
          setImmediate(this.#pump);
          return;
        }
        if (this.#runNext()) {
          jobs++;
          continue;
        }
        if (this.#scheduler.alive > 0 || this.#parkedAsync) {
          this.#parkAsync();
          return;
        }
        this.#metrics[this.#m + M_PARKS]!++;
        const parkedAt = performance.now();
        this.#memory.parkers[this.#id]!.park(this.#parkTimeout(), this.#recheck);
        idle += performance.now() - parkedAt;
      }
    } finally {
      this.#pumping = false;
      this.#pumpBusyMs += performance.now() - started - idle;
      const counters = this.#scheduler.counters;
      this.#metrics[this.#m + M_BUSY_MS] = this.#pumpBusyMs + counters.busyTimeMs; // jobs run here + task polls
      this.#metrics[this.#m + M_POLLS] = counters.polls;
    }
  }

  #parkAsync(): void {
    if (this.#parkedAsync) return;
    this.#parkedAsync = true;
    this.#metrics[this.#m + M_PARKS]!++;
    void this.#memory.parkers[this.#id]!.parkAsync(this.#parkTimeout(), this.#recheckAsync).then(() => {
      this.#parkedAsync = false;
      this.pump();
    });
  }

  /** How long to park: for ever, unless spawned jobs wait for slots that other threads free without telling. */
  #parkTimeout(): number {
    return this.#client.backlog > 0 ? BACKLOG_RETRY_MS : Infinity;
  }

  /** Anything this worker could do now; `steal` also counts other workers' deques if it may search. */
  #hasWork(steal: boolean): boolean {
    const memory = this.#memory;
    if (this.#deque.length > 0 || this.#pinned.length > 0 || memory.inject.length > 0) return true;
    if (this.#client.hasCompletions() || Atomics.load(memory.cancels, this.#id) !== this.#seenCancels) return true;
    if (Atomics.load(memory.control, SHUTDOWN) !== 0) return true;
    if (!steal || !this.#maySearch()) return false;
    return memory.deques.some((deque) => deque.length > 0);
  }

  #maySearch(): boolean {
    const searching = Atomics.load(this.#memory.control, SEARCHING);
    return 2 * searching < this.#memory.workers;
  }

  /** Messages, cancel requests, shutdown. */
  #control(): void {
    const memory = this.#memory;
    for (let received = receiveMessageOnPort(this.#port); received !== undefined;) {
      const message = received.message as ToWorker;
      if (message.kind === 'job') this.#pinned.push(message.call);
      else this.#client.settleFromMessage(message);
      received = receiveMessageOnPort(this.#port);
    }
    const cancels = Atomics.load(memory.cancels, this.#id);
    if (cancels !== this.#seenCancels) {
      this.#seenCancels = cancels;
      for (const [slot, task] of this.#running) if (memory.get(slot, CANCEL) !== 0) this.#abortOnce(task);
    }
    if (Atomics.load(memory.control, SHUTDOWN) !== 0 && !this.#shuttingDown) void this.#shutdown();
  }

  /** Aborts a job's task unless it was already: a second abort would abandon the clean-up the first one started. */
  #abortOnce(task: JoinHandle<void>): void {
    if (this.#aborted.has(task)) return;
    this.#aborted.add(task);
    task.abort();
  }

  // ---- Finding and running jobs --------------------------------------------------------------------------------

  /** Takes one job and starts it; false if there was none. */
  #runNext(): boolean {
    let slot = this.#deque.pop();
    if (slot !== EMPTY) return (this.#start(slot, undefined), true);
    const pinned = this.#pinned.shift();
    if (pinned !== undefined) return (this.#start(pinned.slot, pinned), true);
    slot = this.#memory.inject.pop();
    if (slot === EMPTY) slot = this.#steal();
    if (slot === EMPTY) return false;
    this.#start(slot, undefined);
    return true;
  }

  /** Steals half of a random victim's deque into this one; the first job taken, or EMPTY. */
  #steal(): number {
    const memory = this.#memory;
    const workers = memory.workers;
    if (workers < 2 || !this.#maySearch()) return EMPTY;
    const control = memory.control;
    Atomics.add(control, SEARCHING, 1);
    let slot = EMPTY;
    try {
      const start = this.#nextRandom() % workers;
      for (let i = 0; i < workers && slot === EMPTY; i++) {
        const victim = (start + i) % workers;
        if (victim === this.#id - 1) continue;
        const moved = memory.deques[victim]!.stealHalf(this.#deque);
        if (moved > 0) {
          this.#metrics[this.#m + M_STEALS]!++;
          this.#metrics[this.#m + M_STOLEN_JOBS]! += moved;
          slot = this.#deque.pop();
        }
      }
      if (slot === EMPTY) slot = memory.inject.pop();
    } finally {
      // The last searcher to find work wakes another parked worker: there may be more where this came from.
      if (Atomics.sub(control, SEARCHING, 1) === 1 && slot !== EMPTY) memory.wakeParkedWorker(this.#id);
    }
    return slot;
  }

  #nextRandom(): number {
    let x = this.#random;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#random = x;
    return x >>> 0;
  }

  /** Starts the job in `slot` (its call in shared memory, or `pinned`). */
  #start(slot: number, pinned: PinnedCall | undefined): void {
    const memory = this.#memory;
    if (memory.transition(slot, QUEUED, RUNNING) !== QUEUED) {
      this.complete(slot, ABORTED, undefined); // cancelled while queued: its owner frees it
      return;
    }
    memory.set(slot, EXECUTOR, this.#id);
    this.#metrics[this.#m + M_JOBS]!++;
    let url: string;
    let name: string;
    let args: unknown[];
    try {
      ({ url, name, args } = pinned ?? this.#codec.readCall(memory.payloadAt(slot)));
    } catch (error) {
      this.complete(slot, ERROR, error);
      return;
    }
    let result: unknown;
    let future: Future<unknown> | undefined;
    try {
      result = this.#call(url, name, args);
      future = asFuture(result); // reads `then`: a getter may throw
    } catch (error) {
      this.complete(slot, ERROR, error);
      return;
    }
    if (future === undefined) this.complete(slot, OK, result);
    else this.#running.set(slot, this.#scheduler.spawn(jobTask(future, (o, v) => this.complete(slot, o, v))));
  }

  /**
   * Calls export `name` of `url` with `args` and returns what it returns (or throws what it throws); before the
   * module is loaded here, a future that imports it first and then waits for the call's result.
   */
  #call(url: string, name: string, args: unknown[]): unknown {
    const module = this.#modules.get(url);
    if (module === undefined || module instanceof Promise) return this.#callAfterImport(url, name, args);
    return exported(module, url, name)(...args);
  }

  #callAfterImport(url: string, name: string, args: unknown[]): Future<unknown> {
    let loading = this.#modules.get(url);
    if (loading === undefined) {
      const promise = import(url).then((module: Record<string, unknown>) => {
        this.#modules.set(url, module);
        return module;
      });
      promise.catch(() => this.#modules.delete(url)); // a failed import is retried by the next job
      this.#modules.set(url, promise);
      loading = promise;
    }
    const ready = Promise.resolve(loading);
    return callWhenLoaded(
      fromPromise(() => ready),
      url,
      name,
      args,
    );
  }

  /** @internal Writes `slot`'s outcome and hands it to its owner. */
  complete(slot: number, outcome: number, value: unknown): void {
    const memory = this.#memory;
    this.#running.delete(slot);
    const owner = memory.get(slot, OWNER);
    let length = 0;
    if (outcome === OK || outcome === ERROR) {
      let data = outcome === ERROR ? encodeThrown(value) : value;
      const at = memory.payloadAt(slot);
      const room = memory.sizes.slotBytes;
      try {
        length = this.#codec.writeValue(at, room, data);
      } catch (error) {
        if (cloneable(data)) {
          length = -1; // v8.serialize refuses a SharedArrayBuffer, which a message shares: send it that way
        } else {
          outcome = ERROR;
          data = encodeThrown(
            new ZokioError(
              'ERR_ZOKIO_JOB_RESULT',
              `Expected a structured-clone-able job result, got ${thrownMessage(error)}`,
            ),
          );
          length = this.#codec.writeValue(at, room, data);
        }
      }
      if (length < 0) {
        memory.set(slot, KIND, outcome);
        memory.set(slot, LENGTH, -1);
        memory.set(slot, STATE, DONE);
        const message: OutcomeMessage = { kind: 'outcome', slot, owner, outcome, value: data };
        if (owner === this.#id) this.#client.settleFromMessage(message);
        else this.#port.postMessage(message); // the main thread settles it, or relays it to the owning worker
        return;
      }
    }
    memory.publish(slot, outcome, length);
    if (owner !== this.#id) memory.parkers[owner]!.unpark();
  }

  // ---- Shutdown ------------------------------------------------------------------------------------------------

  /** Cancels every job here and exits the thread once their clean-up ran. */
  async #shutdown(): Promise<void> {
    this.#shuttingDown = true;
    this.#client.close();
    for (let call = this.#pinned.shift(); call !== undefined; call = this.#pinned.shift()) {
      this.#memory.transition(call.slot, QUEUED, RUNNING); // or it was cancelled: completed as aborted either way
      this.complete(call.slot, ABORTED, undefined);
    }
    this.#scheduler.close();
    // abortAll aborts every job's task once; a cancel request seen after this must not abort them again.
    for (const task of this.#running.values()) this.#aborted.add(task);
    for (const task of this.#local.values()) this.#aborted.add(task);
    this.#scheduler.abortAll();
    await this.#scheduler.whenIdle();
    process.exit(0);
  }
}

/** The function `name` exported by `module` (or by its CommonJS `default`), or a typed error. */
function exported(module: Record<string, unknown>, url: string, name: string): Exported {
  const value = module[name] ?? (module['default'] as Record<string, unknown> | undefined)?.[name];
  if (typeof value === 'function') return value as Exported;
  throw new ZokioError(
    'ERR_ZOKIO_JOB_EXPORT',
    `Expected ${url} to export a function named ${JSON.stringify(name)}, got ${describeValue(value)}`,
  );
}

/** Imports, then calls the export and waits for what it returns (a first job of a module takes this path). */
const callWhenLoaded = fn(function* (
  loading: Future<Record<string, unknown>>,
  url: string,
  name: string,
  args: unknown[],
) {
  const module = yield* loading;
  const result = exported(module, url, name)(...args);
  const future = asFuture(result);
  return future === undefined ? result : yield* future;
});

/** What a job's export returned, as a future to wait for (a future, or a promise); undefined for a plain value. */
function asFuture(result: unknown): Future<unknown> | undefined {
  if (isFuture(result)) return result;
  if (isThenable(result)) return fromPromise(() => result);
  return undefined;
}

/**
 * The task of an async job: runs `future`, then `settle`s its outcome — cancelled if the task is aborted. A job
 * with a slot writes it there; one run without (`runLocally`) settles its owner's future directly.
 *
 * A future of its own, not a generator: a task aborted before its first poll (a cancel seen by the same pump that
 * started it) cancels a generator that never ran, whose `finally` never runs — the job would never be settled, its
 * handle never answered and its slot never freed. Here cancelling settles `ABORTED` in every case, once the job's
 * own clean-up is done.
 */
class JobTask extends FutureBase<void> {
  readonly #future: Future<unknown>;
  readonly #settle: (outcome: number, value: unknown) => void;
  #settled = false;

  constructor(future: Future<unknown>, settle: (outcome: number, value: unknown) => void) {
    super();
    this.#future = future;
    this.#settle = settle;
  }

  poll(cx: Context): Poll<void> {
    let value: unknown;
    try {
      value = this.#future.poll(cx);
    } catch (error) {
      return this.#done(ERROR, error);
    }
    if (value === PENDING) return PENDING;
    this.#done(OK, value);
  }

  override cancel(): Cleanup {
    if (this.#settled) return undefined;
    let cleanup: Cleanup;
    try {
      cleanup = this.#future.cancel();
    } catch (error) {
      this.#done(ABORTED, undefined);
      throw error;
    }
    if (cleanup === undefined) return this.#done(ABORTED, undefined);
    return new SettleAfter(cleanup, () => this.#done(ABORTED, undefined));
  }

  #done(outcome: number, value: unknown): undefined {
    if (this.#settled) return undefined;
    this.#settle(outcome, value);
    this.#settled = true; // after settling, not before: a settle that throws must not mark the job settled
    return undefined;
  }
}

/** Drives a job's clean-up, then reports it aborted — also when the clean-up fails or is dropped. */
class SettleAfter extends FutureBase<void> {
  readonly #cleanup: Future<void>;
  readonly #then: () => void;

  constructor(cleanup: Future<void>, then: () => void) {
    super();
    this.#cleanup = cleanup;
    this.#then = then;
  }

  poll(cx: Context): Poll<void> {
    let result: Poll<void>;
    try {
      result = this.#cleanup.poll(cx);
    } catch (error) {
      this.#then();
      throw error;
    }
    if (result === PENDING) return PENDING;
    this.#then();
  }

  override cancel(): Cleanup {
    try {
      drop(this.#cleanup);
    } finally {
      this.#then();
    }
    return undefined;
  }
}

const jobTask = (future: Future<unknown>, settle: (outcome: number, value: unknown) => void): Future<void> =>
  new JobTask(future, settle);
