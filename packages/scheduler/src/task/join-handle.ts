/**
 * {@link JoinHandle} and {@link AbortHandle}: the two ways to hold a spawned task.
 *
 * @module
 */
import {
  iterateOnce,
  PENDING,
  pollProceed,
  type Cleanup,
  type Context,
  type Future,
  type Poll,
  type Waker,
} from '@zokio/future';
import type { JoinError } from './join-error.js';
import { COMPLETE, FAILED, JOIN_INTEREST, OBSERVED } from './state.js';
import type { Task } from './task.js';

/**
 * Cancels a task without being able to await it. Cheap to clone; holding one does not keep the output.
 *
 * @example
 * ```ts
 * import { Runtime } from '@zokio/runtime';
 * import { pending } from '@zokio/future';
 * const rt = Runtime.create();
 * const handle = rt.spawn(pending());
 * const abort = handle.abortHandle();
 * abort.abort();
 * ```
 * @category Tasks
 */
export class AbortHandle {
  readonly #task: Task<unknown>;

  /** @internal */
  constructor(task: Task<unknown>) {
    this.#task = task;
  }

  /** The task's id. */
  get id(): number {
    return this.#task.id;
  }

  /** Requests cancellation: the task is cancelled at its next poll; a second call abandons its async clean-up. */
  abort(): void {
    this.#task.executor.abort(this.#task);
  }

  /** True once the task finished (with a value, an error or cancelled). */
  isFinished(): boolean {
    return (this.#task.state & COMPLETE) !== 0;
  }
}

/**
 * Owns the right to a task's output. Await it (`yield* handle` in a task, `await handle` in plain code) to get
 * the value, or a {@link JoinError} if the task failed or was cancelled.
 *
 * Dropping a handle (`detach()`, `[Symbol.dispose]`, or cancelling a future that awaits it) does **not** cancel the
 * task: it runs on, detached, and an error it throws goes to the runtime's `unhandledError` policy. Use `abort()` to
 * cancel. Awaiting is cancel-safe: a cancelled `yield* handle` loses nothing, the task keeps its output.
 *
 * @example
 * ```ts
 * import { Runtime } from '@zokio/runtime';
 * import { fn, yieldNow } from '@zokio/future';
 * const rt = Runtime.create();
 * const handle = rt.spawn(fn(function* () { yield* yieldNow(); return 42; })());
 * await handle; // 42
 * ```
 * @category Tasks
 */
export class JoinHandle<T> implements Future<T>, PromiseLike<T>, Disposable {
  readonly #task: Task<T>;
  /** The waker the last poll registered with the task, replaced when a different one polls. */
  #waker: Waker | undefined = undefined;
  #promise: Promise<T> | undefined = undefined;

  /** @internal */
  constructor(task: Task<T>) {
    this.#task = task;
  }

  /** The task's id, unique within the process. */
  get id(): number {
    return this.#task.id;
  }

  /** The name given at spawn, if any. */
  get name(): string | undefined {
    return this.#task.name;
  }

  poll(cx: Context): Poll<T> {
    const task = this.#task;
    task.state |= OBSERVED;
    if (!pollProceed(cx)) return PENDING;
    if (task.state & COMPLETE) return this.#output();
    const waker = cx.waker;
    if (this.#waker !== waker) {
      if (this.#waker !== undefined) task.removeJoinWaker(this.#waker);
      task.addJoinWaker(waker);
      this.#waker = waker;
    }
    return PENDING;
  }

  #output(): T {
    const task = this.#task;
    if (task.state & FAILED) throw task.slot as JoinError;
    return task.slot as T;
  }

  /** Cancelling a future that awaits the handle detaches it; the task keeps running. */
  cancel(): Cleanup {
    this.detach();
    return undefined;
  }

  [Symbol.iterator](): Iterator<Future<unknown>, T, unknown> {
    return iterateOnce(this);
  }

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this.#promise ??= this.#toPromise();
    return this.#promise.then(onfulfilled, onrejected);
  }

  #toPromise(): Promise<T> {
    const task = this.#task;
    task.state |= OBSERVED;
    return new Promise<T>((resolve, reject) => {
      const settle = () => {
        try {
          resolve(this.#output());
        } catch (error) {
          reject(error);
        }
      };
      if (task.state & COMPLETE) settle();
      else task.addJoinWaker({ wake: settle });
    });
  }

  /** Calls `waker.wake()` once the task finishes, and marks the output observed. @internal */
  watch(waker: Waker): void {
    const task = this.#task;
    task.state |= OBSERVED;
    if (task.state & COMPLETE) waker.wake();
    else task.addJoinWaker(waker);
  }

  /** Requests cancellation of the task (see {@link AbortHandle.abort}). */
  abort(): void {
    this.#task.executor.abort(this.#task);
  }

  /** True once the task finished. */
  isFinished(): boolean {
    return (this.#task.state & COMPLETE) !== 0;
  }

  /** A handle that can abort the task but not await it. */
  abortHandle(): AbortHandle {
    return new AbortHandle(this.#task);
  }

  /** Gives up the output: the task runs on, and an error it throws goes to the `unhandledError` policy. */
  detach(): void {
    const task = this.#task;
    if (!(task.state & JOIN_INTEREST)) return;
    task.state &= ~JOIN_INTEREST;
    if (this.#waker !== undefined) task.removeJoinWaker(this.#waker);
    this.#waker = undefined;
    if (this.#promise === undefined) task.executor.detached(task);
  }

  /** `using handle = …` detaches at the end of the scope, as dropping a Tokio `JoinHandle` does. */
  [Symbol.dispose](): void {
    this.detach();
  }
}
