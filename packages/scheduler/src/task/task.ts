/**
 * The {@link Task}: a spawned future, its state and its output, in one object.
 *
 * A task is its own {@link Waker}, so waking allocates nothing, and it is also its own `JoinHandle` (the public
 * subclass in `join-handle.ts`), so spawning allocates one object besides the future. Fields are few on purpose: a
 * suspended task is what a server holds by the hundred thousand, and each field costs 8 bytes per task. A task's
 * name, which few have, lives in a side table on its scheduler.
 *
 * Ownership: the scheduler that spawned the task owns it. Alive tasks are linked in the scheduler's intrusive list
 * (`prevAlive`/`nextAlive`) so shutdown can cancel them; run queues hold tasks that are NOTIFIED; whoever will wake a
 * task holds it as a `Waker`. The `slot` holds the future while the task runs and the output once COMPLETE (one field
 * instead of two: the future is dropped as the output arrives).
 *
 * @module
 */
import { FutureBase, type Executor, type Waker } from '@zokio/future';
import { COMPLETE, NOTIFIED, RUNNING, statusOf, type TaskStatus } from './state.js';

/** What a task needs from the scheduler that owns it. @internal */
export interface TaskOwner extends Executor {
  /** Queues a task whose NOTIFIED bit was just set while it was not running. */
  schedule(task: Task<unknown>): void;
  /** Requests cancellation of the task. */
  abort(task: Task<unknown>): void;
  /** The task's handle was dropped: report an error nobody will now see. */
  detached(task: Task<unknown>): void;
  /** The name the task was spawned with, if any. */
  taskName(task: Task<unknown>): string | undefined;
}

let nextId = 1;

/**
 * @internal A task is a future of its output (the `JoinHandle` subclass implements `poll`): extending `FutureBase`
 * gives it the `yield*` protocol and disposal without adding a field.
 */
export abstract class Task<T> extends FutureBase<T> implements Waker {
  /** @internal The scheduler that owns the task. */
  readonly owner: TaskOwner;
  /** @internal Bit flags from `state.ts`. */
  state: number;
  /** @internal The future (`Future<T>`) while not COMPLETE; the output (`T`, or a JoinError if FAILED) after. */
  slot: unknown;
  /** @internal Who waits for the output: a waker, several, or none. */
  joinWaker: Waker | Waker[] | undefined = undefined;
  /** The task's id: unique within the process, in spawn order. */
  readonly id: number;
  /** @internal Intrusive list of the owner's alive tasks. */
  prevAlive: Task<unknown> | undefined = undefined;
  /** @internal */
  nextAlive: Task<unknown> | undefined = undefined;
  /** @internal When it was spawned: whole ms of `performance.now()` (a small integer: no box), for dumps. */
  spawnedAt = 0;

  /** @internal */
  constructor(owner: TaskOwner, future: unknown, state: number) {
    super();
    this.owner = owner;
    this.slot = future;
    this.state = state;
    this.id = nextId++;
  }

  /** The name given at spawn, if any. */
  get name(): string | undefined {
    return this.owner.taskName(this);
  }

  /** @internal De-duplicated: only the first wake after a poll queues the task (see `state.ts`). */
  wake(): void {
    const state = this.state;
    if ((state & (COMPLETE | NOTIFIED)) !== 0) return;
    this.state = state | NOTIFIED;
    if ((state & RUNNING) === 0) this.owner.schedule(this);
  }

  /** Where the task is in its life: `'scheduled'`, `'running'`, `'idle'`, `'cancelling'` or `'complete'`. */
  get status(): TaskStatus {
    return statusOf(this.state);
  }

  /** @internal Wakes whoever waits for the output. */
  notifyJoin(): void {
    const waiters = this.joinWaker;
    if (waiters === undefined) return;
    this.joinWaker = undefined;
    if (Array.isArray(waiters)) for (const w of waiters) w.wake();
    else waiters.wake();
  }

  /** @internal Adds a waiter for the output, once (a handle's poller re-registers the same waker every poll). */
  addJoinWaker(waker: Waker): void {
    const current = this.joinWaker;
    if (current === undefined) this.joinWaker = waker;
    else if (Array.isArray(current)) {
      if (!current.includes(waker)) current.push(waker);
    } else if (current !== waker) this.joinWaker = [current, waker];
  }

  /** @internal */
  removeJoinWaker(waker: Waker): void {
    const current = this.joinWaker;
    if (current === waker) this.joinWaker = undefined;
    else if (Array.isArray(current)) {
      const i = current.indexOf(waker);
      if (i >= 0) current.splice(i, 1);
    }
  }
}
