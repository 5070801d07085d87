/**
 * The {@link Task}: a spawned future, its state and its output, in one object.
 *
 * A task is its own {@link Waker} and its own {@link Context} (`task.waker === task`), so spawning allocates one
 * object besides the future and the handle, and waking allocates nothing. Fields are few on purpose: a suspended
 * task is what a server holds by the hundred thousand.
 *
 * Ownership: the scheduler that spawned the task owns it. Alive tasks are linked in the scheduler's intrusive list
 * (`prev`/`next`) so shutdown can cancel them; run queues hold tasks that are NOTIFIED; whoever will wake a task
 * holds it as a `Waker`. The `slot` holds the future while the task runs and the output once COMPLETE (one field
 * instead of two: the future is dropped as the output arrives).
 *
 * @module
 */
import { Context, type Executor, type Future, type Waker } from '@zokio/future';
import { COMPLETE, NOTIFIED, RUNNING, statusOf, type TaskStatus } from './state.js';

/** What a task needs from the scheduler that owns it. @internal */
export interface TaskOwner extends Executor {
  /** Queues a task whose NOTIFIED bit was just set while it was not running. */
  schedule(task: Task<unknown>): void;
  /** Requests cancellation of the task. */
  abort(task: Task<unknown>): void;
  /** The task's handle was dropped: report an error nobody will now see. */
  detached(task: Task<unknown>): void;
}

let nextId = 1;

/** @internal */
export class Task<T> implements Waker, Context {
  /** The scheduler that owns the task; it is also the executor futures see through the context. */
  readonly executor: TaskOwner;
  /** Bit flags from `state.ts`. */
  state: number;
  /** The future (`Future<T>`) while not COMPLETE; the output (`T`, or a JoinError if FAILED) after. */
  slot: unknown;
  /** Who waits for the output: a waker, several, or none. */
  joinWaker: Waker | Waker[] | undefined = undefined;
  /** Unique within the process, in spawn order. */
  readonly id: number;
  /** Optional name given at spawn, for errors and dumps. */
  readonly name: string | undefined;
  // Intrusive list of the owner's alive tasks.
  prev: Task<unknown> | undefined = undefined;
  next: Task<unknown> | undefined = undefined;

  constructor(owner: TaskOwner, future: Future<T>, state: number, name: string | undefined) {
    this.executor = owner;
    this.slot = future;
    this.state = state;
    this.id = nextId++;
    this.name = name;
  }

  /** A task is its own waker. */
  get waker(): Waker {
    return this;
  }

  withWaker(waker: Waker): Context {
    return new Context(waker, this.executor);
  }

  /** De-duplicated: only the first wake after a poll queues the task (see `state.ts`). */
  wake(): void {
    const state = this.state;
    if ((state & (COMPLETE | NOTIFIED)) !== 0) return;
    this.state = state | NOTIFIED;
    if ((state & RUNNING) === 0) this.executor.schedule(this);
  }

  get status(): TaskStatus {
    return statusOf(this.state);
  }

  /** Wakes whoever waits for the output. */
  notifyJoin(): void {
    const waiters = this.joinWaker;
    if (waiters === undefined) return;
    this.joinWaker = undefined;
    if (Array.isArray(waiters)) for (const w of waiters) w.wake();
    else waiters.wake();
  }

  /** Adds a waiter for the output (usually one: the handle's poller; a `then()` on the same handle adds one). */
  addJoinWaker(waker: Waker): void {
    const current = this.joinWaker;
    if (current === undefined) this.joinWaker = waker;
    else if (Array.isArray(current)) current.push(waker);
    else this.joinWaker = [current, waker];
  }

  removeJoinWaker(waker: Waker): void {
    const current = this.joinWaker;
    if (current === waker) this.joinWaker = undefined;
    else if (Array.isArray(current)) {
      const i = current.indexOf(waker);
      if (i >= 0) current.splice(i, 1);
    }
  }
}
