/**
 * {@link Runtime}: what users hold. It owns the components picked from config (for now the scheduler) and their
 * lifecycle.
 *
 * ## Shutdown procedure
 * 1. Close the scheduler: new spawns complete at once as cancelled (so nothing starts during shutdown).
 * 2. Abort every alive task: each is cancelled at its next poll; synchronous clean-up runs at once, asynchronous
 *    clean-up (a `yield*` in `finally`) is driven like any task.
 * 3. Wait until no task is alive, or `timeout` ms.
 * 4. Past the deadline, abandon: drop every clean-up still running (remaining `finally` blocks still run), and
 *    report the tasks that had to be abandoned.
 * 5. Drain the I/O left in flight and close the drivers; close the worker pool (its queued jobs are dropped, its
 *    running jobs cancelled at their next await, its threads exit) and the blocking pool, with what is left of
 *    the timeout.
 *
 * @module
 */
import { isFuture, expected, pending, randomSeed, seedRandom, type Future } from '@zokio/future';
import type {
  BlockingOptions,
  JoinError,
  JoinHandle,
  LocalScheduler,
  PoolMetrics,
  SchedulerMetrics,
  SpawnJobOptions,
  SpawnOptions,
  BlockingPoolMetrics,
  TaskDump,
  WorkerMetrics,
} from '@zokio/scheduler';
import {
  BLOCKING_SPAWNER,
  BlockingPool,
  BUDGET,
  JOB_SPAWNER,
  MAX_LIFO_POLLS_PER_TICK,
  WorkerPool,
} from '@zokio/scheduler';
import { MAX_TIMER_MS, ZokioError } from '@zokio/future';
import { poolWorkerSetup } from './worker-setup.js';
import { RuntimeBuilder } from './builder.js';
import { resolveConfig, type Resolved, type ResolvedConfig, type RuntimeConfig } from './config.js';
import type { TimeDriver, TimeMetrics } from '@zokio/time';
import type { FaultInjector, FaultStats, IoDriver, IoDriverMetrics } from '@zokio/io-driver';
import { selectIoDriver, selectScheduler, selectTimeDriver } from './select.js';

/**
 * What a task and a connection cost, as measured by `apps/bench` (`spawn`: heap per suspended task; `conn_memory`:
 * RSS growth per idle connection on io_uring), for `describe()`. Update with the READMEs when they move.
 */
const TASK_BYTES = 309;
const CONNECTION_KIB = 2.0;

/** Options of {@link Runtime.shutdown}. @category Runtime */
export interface ShutdownOptions {
  /**
   * Milliseconds the whole shutdown may take: tasks' clean-up, then draining the I/O ops they left, then the pools'
   * threads. Past it, clean-up still running is abandoned, I/O ops no backend can stop are left to finish on their
   * own (`timedOut` says so), and threads still running are terminated. Values past 2^31 − 1 (about 24.8 days) wait
   * that long: in effect, no deadline.
   * @default 10000
   */
  readonly timeout?: number;
}

/** A runtime's counters: see {@link Runtime.metrics}. @category Runtime */
export interface RuntimeMetrics extends SchedulerMetrics {
  /** The worker pool's threads (empty on `current_thread`). */
  readonly workers: readonly WorkerMetrics[];
  /** Jobs in the pool's inject queue now. */
  readonly injectQueueDepth: number;
  /** Jobs spawned from the main thread and not finished. */
  readonly jobsInFlight: number;
  /** Pool workers that died and were replaced. */
  readonly workerCrashes: number;
  /** Blocking-pool threads alive, idle among them, and calls waiting for one. */
  readonly blockingThreads: number;
  readonly blockingIdleThreads: number;
  readonly blockingQueueDepth: number;
  /** The I/O driver's ops (undefined until a task used it). */
  readonly io: IoDriverMetrics | undefined;
  /** The timer wheel (undefined when time is disabled). */
  readonly timers: TimeMetrics | undefined;
  /** The I/O faults injected on the main thread, when `ioFaults` is set. */
  readonly ioFaults: FaultStats | undefined;
}

/** What {@link Runtime.shutdown} did. @category Runtime */
export interface ShutdownReport {
  /** Tasks that were alive and got aborted. */
  readonly cancelled: number;
  /** Worker and blocking-pool threads that did not exit in time and were terminated. */
  readonly terminatedThreads: number;
  /** Tasks whose clean-up did not finish within the timeout and was abandoned. */
  readonly abandoned: readonly { readonly id: number; readonly name: string | undefined; readonly status: string }[];
  /** Whether the timeout was reached. */
  readonly timedOut: boolean;
}

/**
 * A zokio runtime: a scheduler (and, in later layers, timers, an I/O driver and pools) built from one config.
 *
 * @example
 * ```ts
 * import { Runtime } from '@zokio/runtime';
 * import { fn, yieldNow } from '@zokio/future';
 * const rt = Runtime.builder().eventInterval(61).build();
 * const value = await rt.blockOn(fn(function* () {
 *   yield* yieldNow();
 *   return 'hello';
 * })());
 * await rt.shutdown();
 * ```
 * @category Runtime
 */
/** Whether `work` settles within `ms` (capped at setTimeout's limit: a longer wait is no deadline). */
async function beforeDeadline(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(resolve, Math.min(ms, MAX_TIMER_MS), false))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export class Runtime {
  readonly #config: ResolvedConfig;
  readonly #scheduler: LocalScheduler;
  readonly #schedulerWhy: string;
  readonly #time: TimeDriver | undefined;
  readonly #timeWhy: string;
  readonly #io: () => IoDriver | undefined;
  readonly #ioWhy: string;
  readonly #faults: FaultInjector | undefined;
  readonly #pool: WorkerPool | undefined;
  #blocking: BlockingPool | undefined = undefined;
  #fatal: JoinError | undefined = undefined;
  #shutdown: Promise<ShutdownReport> | undefined = undefined;

  /** Use {@link Runtime.create} or {@link Runtime.builder}. */
  private constructor(config: ResolvedConfig) {
    this.#config = config;
    if (config.seed.value !== undefined) seedRandom(config.seed.value);
    const scheduler = selectScheduler(config);
    this.#scheduler = scheduler.component;
    this.#schedulerWhy = scheduler.description;
    const time = selectTimeDriver(config, this.#scheduler);
    this.#time = time.component;
    this.#timeWhy = time.description;
    const io = selectIoDriver(config, this.#scheduler);
    this.#io = io.component;
    this.#ioWhy = io.description;
    this.#faults = io.faults;
    if (config.flavor.value === 'multi_thread') {
      this.#pool = new WorkerPool({
        workers: config.workerThreads.value,
        scheduler: { eventInterval: config.eventInterval.value, globalQueueInterval: config.globalQueueInterval.value },
        setup: poolWorkerSetup({
          enableTime: config.enableTime.value,
          io: config.io.value,
          bufferArenaBytes: config.bufferArenaBytes.value,
          bufferPoolMaxBytes: config.bufferPoolMaxBytes.value,
          bufferPoolMaxWaitMs: config.bufferPoolMaxWaitMs.value,
          ...(config.ioFaults.value === undefined ? {} : { ioFaults: config.ioFaults.value }),
        }),
      });
      this.#scheduler.provide(JOB_SPAWNER, this.#pool.client);
    }
    this.#scheduler.provideLazy(BLOCKING_SPAWNER, () => this.#blockingPool());
    this.#scheduler.onFatal = (error) => {
      this.#fatal ??= error;
      console.error(
        '[zokio] a task failed and nothing awaited it; shutting the runtime down (unhandledError: shutdown):',
        error,
      );
      void this.shutdown();
    };
  }

  /**
   * Builds a runtime from a config object (see {@link RuntimeConfig}); `ZOKIO_*` variables of `env` (default
   * `process.env`) override it.
   */
  static create(config: RuntimeConfig = {}, env: NodeJS.ProcessEnv = process.env): Runtime {
    return new Runtime(resolveConfig(config, env));
  }

  /** A fluent builder: `Runtime.builder().flavor('current_thread').eventInterval(61).build()`. */
  static builder(): RuntimeBuilder {
    return new RuntimeBuilder((config) => Runtime.create(config));
  }

  /** The resolved config, each value with its source. */
  get config(): ResolvedConfig {
    return this.#config;
  }

  /** The time driver, when time is enabled. */
  get time(): TimeDriver | undefined {
    return this.#time;
  }

  /** The I/O driver, if a task has used it yet. */
  get io(): IoDriver | undefined {
    return this.#io();
  }

  /** The scheduler, for layers that register services on it. */
  get scheduler(): LocalScheduler {
    return this.#scheduler;
  }

  /**
   * Runs `future` as a task and returns a Promise of its value. A failure rejects with the future's own error; if
   * the runtime shuts down first, with a cancelled `JoinError` (or, under `unhandledError: 'shutdown'`, the
   * error that caused the shutdown).
   */
  blockOn<T>(future: Future<T>): Promise<T> {
    if (!isFuture(future)) expected('a Future (e.g. fn(function* () {…})())', future, 'blockOn');
    const handle = this.#scheduler.spawn(future, { name: 'blockOn' });
    return Promise.resolve(handle).catch((error: JoinError) => {
      if (this.#fatal !== undefined && error.isCancelled()) throw this.#fatal;
      throw error.isFailure() ? error.cause : error;
    });
  }

  /** Spawns `future` as a task from plain code (inside a task, `spawn` from `@zokio/scheduler` does the same). */
  spawn<T>(future: Future<T>, options?: SpawnOptions): JoinHandle<T> {
    return this.#scheduler.spawn(future, options);
  }

  /**
   * Runs export `exportName` of `module` with `args` on the worker pool (`multi_thread` only) and returns its
   * handle; see `spawnJob` in `@zokio/scheduler` for the semantics. Throws `ERR_ZOKIO_NO_POOL` on a
   * `current_thread` runtime. Once `shutdown()` began, nothing is started: the handle reports the cancellation at
   * once, as `spawn`'s does.
   *
   * @example
   * ```ts
   * import { writeFileSync } from 'node:fs';
   * import { Runtime } from '@zokio/runtime';
   * // jobs.js, a module of plain functions that the workers import (written here so that the example runs as is):
   * const jobs = new URL('./jobs.js', import.meta.url);
   * writeFileSync(jobs, 'export function sum(xs) { return xs.reduce((a, b) => a + b, 0); }\n');
   * const rt = Runtime.create({ flavor: 'multi_thread', workerThreads: 2 });
   * const sum = await rt.spawnJob<number>(jobs, 'sum', [[1, 2, 3]]);
   * console.log(sum); // 6
   * await rt.shutdown();
   * ```
   */
  spawnJob<T>(
    module: string | URL,
    exportName: string,
    args?: readonly unknown[],
    options?: SpawnJobOptions,
  ): JoinHandle<T> {
    const pool = this.#pool;
    if (pool === undefined)
      throw new ZokioError(
        'ERR_ZOKIO_NO_POOL',
        `spawnJob: Expected a 'multi_thread' runtime, got flavor '${this.#config.flavor.value}' (${this.#config.flavor.source})`,
      );
    const spawnOptions = options?.name === undefined ? undefined : { name: options.name };
    // Shutting down (step 1 of the procedure): the job is not handed to the pool, which would start it at once.
    if (this.#scheduler.closed) return this.#scheduler.spawn(pending(), spawnOptions);
    const future = pool.spawn<T>(module, exportName, args, options);
    return this.#scheduler.spawn(future, spawnOptions);
  }

  /**
   * Runs synchronous export `exportName` of `module` with `args` on the blocking pool (any flavour; threads
   * started on demand up to `maxBlockingThreads`, stopped after `threadKeepAlive` idle) and returns its handle.
   * Aborting removes a queued call; a running one cannot be stopped (it is synchronous), its result is dropped.
   * Once `shutdown()` began, nothing is started: the handle reports the cancellation at once, as `spawn`'s does.
   */
  spawnBlocking<T>(
    module: string | URL,
    exportName: string,
    args?: readonly unknown[],
    options?: BlockingOptions,
  ): JoinHandle<T> {
    // Shutting down (step 1 of the procedure): the call is not handed to the pool, which would post it at once.
    if (this.#scheduler.closed) return this.#scheduler.spawn(pending());
    return this.#scheduler.spawn(this.#blockingPool().run<T>(module, exportName, args, options));
  }

  #blockingPool(): BlockingPool {
    if (this.#blocking === undefined) {
      this.#blocking = new BlockingPool({
        maxThreads: this.#config.maxBlockingThreads.value,
        keepAliveMs: this.#config.threadKeepAlive.value,
      });
      // Made after shutdown began (asked for through BLOCKING_SPAWNER; rt.spawnBlocking and spawnBlocking start
      // nothing then, their handles report the cancellation): closed at once, so that a call made on it directly
      // fails ERR_ZOKIO_POOL_CLOSED instead of running on a thread nothing will stop.
      if (this.isShutdown) void this.#blocking.close(0);
    }
    return this.#blocking;
  }

  /**
   * Every alive task on the main thread, newest first: id, name, generator function, status, age, and what it
   * awaits (the innermost future, through the generator functions in between) — what to look at when a program
   * hangs.
   */
  dump(): TaskDump[] {
    return this.#scheduler.dump();
  }

  /**
   * Everything counted, in one snapshot: the main thread's scheduler (tasks, polls, budget-forced yields, queue
   * depths, busy time, slow polls, the poll-time histogram), the worker pool (per worker: jobs, polls, steals,
   * parks, queue depth, busy time; the inject queue), the blocking pool, the I/O driver (ops by kind) and the timer
   * wheel. `toPrometheus(rt.metrics())` renders it for a `/metrics` endpoint.
   */
  metrics(): RuntimeMetrics {
    const pool = this.#pool?.metrics();
    const blocking = this.#blocking?.metrics();
    return {
      ...this.#scheduler.metrics(),
      workers: pool?.workers ?? [],
      injectQueueDepth: pool?.injectQueueDepth ?? 0,
      jobsInFlight: pool?.inFlight ?? 0,
      workerCrashes: pool?.crashes ?? 0,
      blockingThreads: blocking?.threads ?? 0,
      blockingIdleThreads: blocking?.idle ?? 0,
      blockingQueueDepth: blocking?.queued ?? 0,
      io: this.#io()?.metrics(),
      timers: this.#time?.metrics(),
      ioFaults: this.#faults?.stats,
    };
  }

  /** Counters of the worker pool (undefined on `current_thread`) and of the blocking pool (once used). */
  poolMetrics(): { readonly workers: PoolMetrics | undefined; readonly blocking: BlockingPoolMetrics | undefined } {
    return { workers: this.#pool?.metrics(), blocking: this.#blocking?.metrics() };
  }

  /**
   * Shuts down (see the module doc for the procedure) and reports what had to be abandoned. Idempotent: later
   * calls return the same report.
   */
  shutdown(options: ShutdownOptions = {}): Promise<ShutdownReport> {
    if (typeof options !== 'object' || options === null)
      expected('options as an object ({ timeout })', options, 'shutdown');
    const timeout = options.timeout ?? 10_000;
    if (typeof timeout !== 'number' || !(timeout >= 0) || timeout === Infinity) {
      expected('timeout to be a finite number of milliseconds ≥ 0', timeout, 'shutdown');
    }
    return (this.#shutdown ??= this.#doShutdown(timeout));
  }

  async #doShutdown(timeout: number): Promise<ShutdownReport> {
    const deadline = performance.now() + timeout;
    const scheduler = this.#scheduler;
    scheduler.close();
    const cancelled = scheduler.abortAll();
    let timedOut = !(await beforeDeadline(scheduler.whenIdle(), timeout));
    let abandoned: ShutdownReport['abandoned'] = [];
    if (timedOut) {
      abandoned = [...scheduler.aliveTasks()];
      scheduler.abandonAll();
      await scheduler.whenIdle();
    }
    // Tasks are gone; drain the I/O they left in flight (cancelled, every final completion awaited), then close —
    // within the deadline: an op no backend can stop (an open of a FIFO nobody writes, on a thread of the pool) is
    // left to finish on its own.
    const io = this.#io()?.shutdown();
    if (io !== undefined && !(await beforeDeadline(io, Math.max(0, deadline - performance.now())))) timedOut = true;
    this.#time?.close();
    const left = Math.max(0, deadline - performance.now());
    const [pool, blocking] = await Promise.all([this.#pool?.close(left), this.#blocking?.close(left)]);
    return {
      cancelled,
      abandoned,
      timedOut,
      terminatedThreads: (pool?.terminated ?? 0) + (blocking?.terminated ?? 0),
    };
  }

  /** True once `shutdown()` was called. */
  get isShutdown(): boolean {
    return this.#shutdown !== undefined;
  }

  /** What was chosen and why, one line per component, for logs and bug reports. */
  describe(): string {
    const c = this.#config;
    const show = <T>(r: Resolved<T>) =>
      `${typeof r.value === 'function' ? 'custom function' : String(r.value)} (${r.source})`;
    return [
      'zokio runtime',
      `  flavor:              ${show(c.flavor)}`,
      `  scheduler:           ${this.#schedulerWhy}`,
      `  eventInterval:       ${show(c.eventInterval)}: polls between yields to libuv`,
      `  globalQueueInterval: ${show(c.globalQueueInterval)}: polls between remote-queue checks`,
      `  coop budget:         ${BUDGET} operations per task poll; LIFO slot: ${MAX_LIFO_POLLS_PER_TICK} polls in a row`,
      `  unhandledError:      ${show(c.unhandledError)}`,
      `  seed:                ${randomSeed()} (${c.seed.value === undefined ? 'the process’s; ZOKIO_SEED=' + randomSeed() + ' replays it' : c.seed.source}): select's random start`,
      `  time:                ${this.#timeWhy}`,
      `  io:                  ${this.#ioWhy}`,
      `  worker pool:         ${
        this.#pool === undefined
          ? 'none (flavor current_thread): spawnJob throws ERR_ZOKIO_NO_POOL'
          : `${this.#pool.size} worker threads (workerThreads ${show(c.workerThreads)}), work-stealing deques in shared memory`
      }`,
      `  blocking pool:       up to ${show(c.maxBlockingThreads)} threads, idle ${show(c.threadKeepAlive)} ms before exit`,
      `  memory:              ~${TASK_BYTES} B of heap per suspended task; ~${CONNECTION_KIB} KiB of RSS per idle TCP connection (io_uring); measured by apps/bench (spawn, conn_memory)`,
      `  platform:            Node ${process.version} on ${process.platform}/${process.arch}`,
    ].join('\n');
  }
}
