/**
 * The in-isolate scheduler: runs tasks on the JavaScript thread as a guest of libuv's event loop.
 *
 * ## Queues
 * ```
 *   wakes from inside a poll ──► [LIFO slot] ──(displaced)──► local queue ──┐
 *   self-wake (yield) ─────────────────────────────────────► local queue ──┼──► poll
 *   wakes from outside (I/O, timers, promises, spawn from plain code) ──► remote queue ──┘
 * ```
 * - The **LIFO slot** holds the task woken most recently by the running task (a reply to a message just sent):
 *   polling it next keeps its data hot. At most {@link MAX_LIFO_POLLS_PER_TICK} LIFO polls in a row, sharing the
 *   first task's budget, so a ping-pong pair cannot starve the queue.
 * - The **local queue** is FIFO. A task that wakes itself while running (a yield) goes to its back.
 * - The **remote queue** receives wakes from outside a tick. Every `globalQueueInterval` polls it is checked
 *   first; otherwise the local queue is.
 *
 * ## Ticks
 * A tick polls up to `eventInterval` tasks, then returns to libuv. Idle → work starts a tick on a microtask (lowest
 * latency), unless `eventInterval` polls already ran since the last macrotask; a tick that leaves work behind
 * schedules the next on `setImmediate`, so libuv's poll phase (sockets) and timers run between batches. A loop made
 * only of microtasks would starve I/O.
 *
 * ## Keep-alive
 * The scheduler holds a libuv handle only while it has work (the pending `setImmediate`). A task waiting on a timer
 * or a socket is kept alive by that resource's handle; when every task waits on nothing that can wake it, the
 * process may exit, as with plain promises.
 *
 * ## Shutdown
 * `close()` refuses new tasks (they complete at once as cancelled); `abortAll()` cancels every alive task (one already
 * cancelling keeps its clean-up going); the caller waits with `whenIdle()` and, past its deadline, calls
 * `abandonAll()` to drop clean-ups still running.
 *
 * @module
 */
import { Context, drop, expected, isFuture, noopWaker, PENDING, type Future, type ServiceKey } from '@zokio/future';
import { RingQueue } from '../queue/ring.js';
import { JoinError } from '../task/join-error.js';
import { JoinHandle } from '../task/join-handle.js';
import {
  ABANDON,
  CANCELLED,
  CANCELLING,
  COMPLETE,
  DELIVERED,
  FAILED,
  JOIN_INTEREST,
  NOTIFIED,
  OBSERVED,
  RUNNING,
} from '../task/state.js';
import type { Task } from '../task/task.js';
import {
  BUDGET,
  MAX_LIFO_POLLS_PER_TICK,
  schedulerConfig,
  type SchedulerConfig,
  type SchedulerOptions,
} from './config.js';
import { enter } from './current.js';
import { Counters, type SchedulerMetrics } from './metrics.js';
import { describeAwaiting, generatorName, PollObserver } from './observer.js';

/** One alive task, as `dump()` lists it. @category Scheduler */
export interface TaskDump {
  readonly id: number;
  readonly name: string | undefined;
  /** The generator function it runs (`fn(function* name() …)`), or `''`. */
  readonly fn: string;
  readonly status: string;
  /** Milliseconds since it was spawned (to the millisecond of the tick that spawned it). */
  readonly ageMs: number;
  /** What it waits on: the innermost future's class, e.g. `Sleep (via handler → readBody)`. */
  readonly awaiting: string;
}

/** Options of `spawn`. @category Tasks */
export interface SpawnOptions {
  /** A name for errors, metrics and dumps. */
  readonly name?: string;
}

type AnyTask = Task<unknown>;

/** A service not made yet. */
class LazyService {
  constructor(readonly make: () => unknown) {}
}

/** A failure, or a cancellation whose clean-up threw, must reach someone; a clean cancellation need not. */
function mustReport(error: JoinError): boolean {
  return error.isFailure() || error.cause !== undefined;
}

/** @category Scheduler */
export class LocalScheduler {
  /** Coop budget of the task being polled (see `@zokio/future`'s `coop`). */
  budget = BUDGET;
  readonly config: SchedulerConfig;
  readonly #counters = new Counters();
  readonly #local = new RingQueue<AnyTask>(256);
  readonly #remote = new RingQueue<AnyTask>(256);
  #lifo: AnyTask | undefined = undefined;
  #ticking = false;
  #tickScheduled = false;
  #pollsSinceMacrotask = 0;
  #pollNumber = 0;
  #closed = false;
  // Alive tasks: an intrusive doubly linked list through Task.prev/next.
  #head: AnyTask | undefined = undefined;
  #alive = 0;
  #idleWaiters: (() => void)[] = [];
  #unobserved: AnyTask[] = [];
  readonly #services = new Map<ServiceKey<unknown>, unknown>();
  /** Names of the tasks that have one: few do, so a side table keeps every task a field smaller. */
  readonly #names = new Map<AnyTask, string>();
  /** One context for every poll: its waker is set to the task about to be polled. */
  readonly #cx = new Context(noopWaker, this);
  /** Called after a tick that leaves nothing to run (drivers use it: the paused clock auto-advances). */
  readonly #idleHooks: (() => void)[] = [];
  /** Hooks, poll timing: undefined unless the options ask for any (see `observer.ts`). */
  readonly #observer: PollObserver | undefined;
  /** `performance.now()` at the start of the running tick: spawns inside a tick reuse it. */
  #tickStart = 0;
  /** Receives errors under the `'shutdown'` policy (set by the runtime). */
  onFatal: ((error: JoinError) => void) | undefined = undefined;

  readonly #microtaskTick = () => this.#tick(false);
  readonly #macrotaskTick = () => this.#tick(true);
  readonly #checkUnobserved = () => this.#reportUnobserved();

  constructor(options?: SchedulerOptions) {
    this.config = schedulerConfig(options);
    const observe = this.config.observer;
    this.#observer = observe === undefined ? undefined : new PollObserver(observe);
  }

  // ---- Executor -------------------------------------------------------------------------------------------------

  budgetExhausted(): void {
    this.#counters.budgetForcedYields++;
  }

  service<T>(key: ServiceKey<T>): T | undefined {
    const value = this.#services.get(key);
    if (value instanceof LazyService) {
      const made = value.make() as T;
      this.#services.set(key, made);
      return made;
    }
    return value as T | undefined;
  }

  /** Registers a service that leaf futures reach through `cx.executor.service(key)`. */
  provide<T>(key: ServiceKey<T>, value: T): void {
    this.#services.set(key, value);
  }

  /** Registers a service made on first use (an I/O ring nobody uses is never opened). */
  provideLazy<T>(key: ServiceKey<T>, make: () => T): void {
    this.#services.set(key, new LazyService(make));
  }

  /** The service if it was made, without making it. */
  peekService<T>(key: ServiceKey<T>): T | undefined {
    const value = this.#services.get(key);
    return value instanceof LazyService ? undefined : (value as T | undefined);
  }

  // ---- Spawning and waking --------------------------------------------------------------------------------------

  /**
   * Spawns `future` as a task and returns its handle. After `close()`, the task is not run: the handle reports
   * it cancelled.
   */
  spawn<T>(future: Future<T>, options?: SpawnOptions): JoinHandle<T> {
    if (!isFuture(future)) expected('a Future to spawn (e.g. fn(function* () {…})())', future, 'spawn');
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      expected('options to be an object', options, 'spawn');
    }
    const name = options?.name;
    if (name !== undefined && typeof name !== 'string') expected('name to be a string', name, 'spawn');
    const task = new JoinHandle<T>(this, future, NOTIFIED | JOIN_INTEREST);
    if (this.#closed) {
      drop(future);
      task.state = COMPLETE | FAILED | JOIN_INTEREST;
      task.slot = JoinError.cancelled(task.id, undefined, name);
      return task;
    }
    const any = task as AnyTask;
    if (name !== undefined) this.#names.set(any, name);
    any.nextAlive = this.#head;
    if (this.#head !== undefined) this.#head.prevAlive = any;
    this.#head = any;
    this.#alive++;
    this.#counters.spawned++;
    any.spawnedAt = Math.floor(this.#ticking ? this.#tickStart : performance.now());
    const observer = this.#observer;
    if (observer !== undefined) observer.call(observer.hooks.onTaskSpawn, any, 'onTaskSpawn');
    this.schedule(any);
    return task;
  }

  /** @internal */
  taskName(task: AnyTask): string | undefined {
    return this.#names.size === 0 ? undefined : this.#names.get(task);
  }

  /** @internal Queues a task that was just notified: LIFO slot from inside a tick, remote queue from outside. */
  schedule(task: AnyTask): void {
    if (this.#ticking) {
      const displaced = this.#lifo;
      this.#lifo = task;
      if (displaced !== undefined) this.#local.push(displaced);
    } else {
      this.#remote.push(task);
      this.#ensureTick();
    }
  }

  /** @internal Requests cancellation; the task is cancelled at its next poll. A second abort abandons async clean-up. */
  abort(task: AnyTask): void {
    const state = task.state;
    if (state & COMPLETE) return;
    if (state & CANCELLED) {
      if (!(state & ABANDON)) {
        task.state = state | ABANDON;
        task.wake();
      }
      return;
    }
    task.state = state | CANCELLED;
    task.wake();
  }

  #ensureTick(): void {
    if (this.#tickScheduled) return;
    this.#tickScheduled = true;
    if (this.#pollsSinceMacrotask < this.config.eventInterval) queueMicrotask(this.#microtaskTick);
    else setImmediate(this.#macrotaskTick);
  }

  // ---- The tick -------------------------------------------------------------------------------------------------

  #tick(macrotask: boolean): void {
    this.#tickScheduled = false;
    const counters = this.#counters;
    if (macrotask) {
      this.#pollsSinceMacrotask = 0;
      counters.macrotaskTicks++;
    } else counters.microtaskTicks++;
    const previous = enter(this);
    this.#ticking = true;
    const start = performance.now();
    this.#tickStart = start;
    const limit = this.config.eventInterval;
    let polls = 0;
    try {
      while (polls < limit) {
        const task = this.#nextTask();
        if (task === undefined) break;
        polls += this.#runTask(task);
      }
    } finally {
      this.#ticking = false;
      enter(previous);
      this.#pollsSinceMacrotask += polls;
      counters.busyTimeMs += performance.now() - start;
    }
    if (this.#local.length > 0 || this.#remote.length > 0) {
      this.#tickScheduled = true;
      setImmediate(this.#macrotaskTick);
    } else {
      for (const hook of this.#idleHooks) hook();
    }
  }

  /** Calls `hook` after every tick that leaves nothing to run. */
  addIdleHook(hook: () => void): void {
    this.#idleHooks.push(hook);
  }

  /** True when no task is runnable and no tick is scheduled. */
  get isIdle(): boolean {
    return !this.#tickScheduled && !this.#ticking && this.#local.length === 0 && this.#remote.length === 0;
  }

  #nextTask(): AnyTask | undefined {
    if (++this.#pollNumber % this.config.globalQueueInterval === 0) {
      const task = this.#remote.shift();
      if (task !== undefined) {
        this.#counters.remotePolls++;
        return task;
      }
      return this.#local.shift();
    }
    const task = this.#local.shift();
    if (task !== undefined) return task;
    const remote = this.#remote.shift();
    if (remote !== undefined) this.#counters.remotePolls++;
    return remote;
  }

  /** Polls `task`, then up to MAX_LIFO_POLLS_PER_TICK tasks from the LIFO slot with what is left of its budget. */
  #runTask(task: AnyTask): number {
    this.budget = BUDGET;
    if (this.#observer === undefined) this.#poll(task);
    else this.#observedPoll(task, this.#observer);
    let polls = 1;
    for (let lifo = this.#lifo; lifo !== undefined; lifo = this.#lifo) {
      this.#lifo = undefined;
      if (polls > MAX_LIFO_POLLS_PER_TICK || this.budget <= 0) {
        this.#local.push(lifo);
        break;
      }
      this.#counters.lifoPolls++;
      if (this.#observer === undefined) this.#poll(lifo);
      else this.#observedPoll(lifo, this.#observer);
      polls++;
    }
    return polls;
  }

  /** `#poll` with the hooks around it and, if asked, its duration recorded. */
  #observedPoll(task: AnyTask, observer: PollObserver): void {
    observer.call(observer.hooks.onBeforePoll, task, 'onBeforePoll');
    if (observer.timing) {
      const started = performance.now();
      this.#poll(task);
      observer.record(task, performance.now() - started, task.state & COMPLETE ? undefined : task.slot);
    } else this.#poll(task);
    observer.call(observer.hooks.onAfterPoll, task, 'onAfterPoll');
    if (task.state & COMPLETE && this.#names.size !== 0) this.#names.delete(task);
  }

  #poll(task: AnyTask): void {
    let state = task.state;
    if (state & COMPLETE) return;
    task.state = state = (state & ~NOTIFIED) | RUNNING;
    this.#counters.polls++;
    let future = task.slot as Future<unknown>;
    if (state & CANCELLED) {
      if (!(state & CANCELLING)) {
        // First poll since abort(): drop the future. Synchronous clean-up runs now, innermost first.
        let cleanup: Future<void> | undefined;
        try {
          cleanup = future.cancel();
        } catch (error) {
          return this.#complete(task, JoinError.cancelled(task.id, error, task.name), FAILED);
        }
        if (cleanup === undefined)
          return this.#complete(task, JoinError.cancelled(task.id, undefined, task.name), FAILED);
        task.slot = future = cleanup;
        // Re-read: the synchronous clean-up may have changed the state (a second abort() sets ABANDON).
        task.state = state = task.state | CANCELLING;
      }
      if (state & ABANDON) {
        // Aborted again (or shutdown's deadline passed): drop the clean-up; remaining `finally` blocks still run.
        let error: unknown;
        try {
          drop(future);
        } catch (thrown) {
          error = thrown;
        }
        return this.#complete(task, JoinError.cancelled(task.id, error, task.name), FAILED);
      }
    }
    let value: unknown;
    const cx = this.#cx;
    cx.waker = task;
    try {
      value = future.poll(cx);
    } catch (error) {
      const joinError =
        state & CANCELLING
          ? JoinError.cancelled(task.id, error, task.name)
          : JoinError.failure(task.id, error, task.name);
      return this.#complete(task, joinError, FAILED);
    }
    if (value === PENDING) {
      state = task.state & ~RUNNING;
      task.state = state;
      // Woken during its own poll (a yield): to the back of the queue, behind everyone else.
      if (state & NOTIFIED) this.#local.push(task);
      return;
    }
    if (state & CANCELLING) this.#complete(task, JoinError.cancelled(task.id, undefined, task.name), FAILED);
    else this.#complete(task, value, 0);
  }

  #complete(task: AnyTask, output: unknown, flags: number): void {
    const state = (task.state & ~(RUNNING | NOTIFIED)) | COMPLETE | flags;
    task.state = state;
    task.slot = output;
    const observer = this.#observer;
    if (observer !== undefined) observer.call(observer.hooks.onTaskTerminate, task, 'onTaskTerminate'); // named still
    // Completion happens only inside a poll: with an after-poll hook, the name goes after that hook saw it.
    // With an observer, `#observedPoll` deletes the name after its hooks and timing saw it.
    if (this.#names.size !== 0 && observer === undefined) this.#names.delete(task);
    this.#unlink(task);
    this.#counters.completed++;
    task.notifyJoin();
    if (flags & FAILED && mustReport(output as JoinError)) {
      // A failure, or a cancellation whose clean-up threw: it must reach someone.
      if (!(state & JOIN_INTEREST)) this.#reportFailure(task);
      else if (!(state & OBSERVED)) {
        if (this.#unobserved.push(task) === 1) setImmediate(this.#checkUnobserved);
      }
    }
    if (this.#alive === 0) this.#notifyIdle();
  }

  #unlink(task: AnyTask): void {
    const { prevAlive, nextAlive } = task;
    if (prevAlive !== undefined) prevAlive.nextAlive = nextAlive;
    else this.#head = nextAlive;
    if (nextAlive !== undefined) nextAlive.prevAlive = prevAlive;
    task.prevAlive = task.nextAlive = undefined;
    this.#alive--;
  }

  // ---- Errors nobody awaits -------------------------------------------------------------------------------------

  /**
   * A JoinHandle was dropped (`detach()`, or a `yield* handle` cancelled): a failure it had not handed over yet —
   * even to an awaiter that polled it while it ran — is reported now. @internal
   */
  detached(task: AnyTask): void {
    const state = task.state;
    if (state & COMPLETE && state & FAILED && !(state & DELIVERED)) {
      const i = this.#unobserved.indexOf(task);
      if (i >= 0) this.#unobserved.splice(i, 1);
      if (mustReport(task.slot as JoinError)) this.#reportFailure(task);
    }
  }

  #reportUnobserved(): void {
    const tasks = this.#unobserved;
    this.#unobserved = [];
    for (const task of tasks) {
      if (!(task.state & (OBSERVED | DELIVERED))) this.#reportFailure(task);
    }
  }

  /** Reports `task`'s failure once: a handle dropped later does not report it again. */
  #reportFailure(task: AnyTask): void {
    task.state |= DELIVERED;
    this.#reportUnhandled(task.slot as JoinError);
  }

  #reportUnhandled(error: JoinError): void {
    const policy = this.config.unhandledError;
    if (policy === 'log') {
      console.error('[zokio] a task failed and nothing awaited its JoinHandle:', error);
    } else if (policy === 'shutdown') {
      if (this.onFatal !== undefined) this.onFatal(error);
      else {
        console.error('[zokio] a task failed and nothing awaited its JoinHandle; shutting down:', error);
        this.close();
        this.abortAll();
      }
    } else {
      try {
        policy(error);
      } catch (thrown) {
        console.error('[zokio] the unhandledError handler threw:', thrown, 'while handling:', error);
      }
    }
  }

  // ---- Shutdown -------------------------------------------------------------------------------------------------

  /** Refuses new tasks from now on: they complete at once as cancelled. */
  close(): void {
    this.#closed = true;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Aborts every alive task not aborted yet; returns how many. A task already cancelling (aborted by its owner, or
   * by an earlier `abortAll`) is left to finish its clean-up: a second abort would abandon it, which is
   * `abandonAll`'s job, at the caller's deadline.
   */
  abortAll(): number {
    let n = 0;
    for (let task = this.#head; task !== undefined; task = task.nextAlive) {
      if (task.state & CANCELLED) continue;
      n++;
      this.abort(task);
    }
    return n;
  }

  /** Abandons the async clean-up of every task still cancelling (a second abort of each). */
  abandonAll(): void {
    for (let task = this.#head; task !== undefined; task = task.nextAlive) {
      task.state |= CANCELLED;
      this.abort(task);
    }
  }

  /** Resolves when no task is alive. */
  whenIdle(): Promise<void> {
    if (this.#alive === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Alive tasks, oldest last: for shutdown reports and dumps. */
  *aliveTasks(): IterableIterator<{ id: number; name: string | undefined; status: string }> {
    for (let task = this.#head; task !== undefined; task = task.nextAlive) {
      yield { id: task.id, name: task.name, status: task.status };
    }
  }

  // ---- Observability --------------------------------------------------------------------------------------------

  /**
   * Every alive task, newest first: its id, name, the generator function it runs, its status, how long ago it was
   * spawned, and what it waits on now (the innermost future's class, through the generator functions in between).
   * For `rt.dump()` and debugging a hang.
   */
  dump(): TaskDump[] {
    const now = performance.now();
    const out: TaskDump[] = [];
    for (let task = this.#head; task !== undefined; task = task.nextAlive) {
      const future = task.slot;
      out.push({
        id: task.id,
        name: task.name,
        fn: generatorName(future),
        status: task.status,
        ageMs: Math.max(0, Math.round(now - task.spawnedAt)),
        awaiting: describeAwaiting(future),
      });
    }
    return out;
  }

  get alive(): number {
    return this.#alive;
  }

  /**
   * @internal The live counters behind {@link metrics}, read without taking a snapshot — for a pool worker that
   * publishes its polls and busy time after every pump.
   */
  get counters(): Readonly<Counters> {
    return this.#counters;
  }

  metrics(): SchedulerMetrics {
    const c = this.#counters;
    return {
      spawned: c.spawned,
      completed: c.completed,
      alive: this.#alive,
      polls: c.polls,
      lifoPolls: c.lifoPolls,
      remotePolls: c.remotePolls,
      budgetForcedYields: c.budgetForcedYields,
      microtaskTicks: c.microtaskTicks,
      macrotaskTicks: c.macrotaskTicks,
      localQueueDepth: this.#local.length + (this.#lifo === undefined ? 0 : 1),
      remoteQueueDepth: this.#remote.length,
      busyTimeMs: c.busyTimeMs,
      slowPolls: this.#observer?.slowPolls ?? 0,
      pollTimeHistogram: this.#observer?.histogram(),
    };
  }
}
