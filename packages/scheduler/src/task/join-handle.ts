/**
 * {@link JoinHandle} and {@link AbortHandle}: the two ways to hold a spawned task.
 *
 * A `JoinHandle` is the task itself seen from outside (it extends the internal `Task`), so spawning costs no extra
 * object; an `AbortHandle` is a small separate object made on request.
 *
 * @module
 */
import { PENDING, pollProceed, type Cleanup, type Context, type Poll, type Waker } from '@zokio/future';
import type { JoinError } from './join-error.js';
import { COMPLETE, DELIVERED, FAILED, JOIN_INTEREST, OBSERVED } from './state.js';
import { Task } from './task.js';

/**
 * Cancels a task without being able to await it.
 *
 * @example
 * ```ts
 * import { Runtime } from '@zokio/runtime';
 * import { pending } from '@zokio/future';
 * const rt = Runtime.create();
 * const abort = rt.spawn(pending()).abortHandle();
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
    this.#task.owner.abort(this.#task);
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
export class JoinHandle<T> extends Task<T> implements PromiseLike<T> {
  /** Waits for the output. Spends one unit of coop budget. */
  poll(cx: Context): Poll<T> {
    this.state |= OBSERVED;
    if (!pollProceed(cx)) return PENDING;
    if (this.state & COMPLETE) return this.#output();
    this.addJoinWaker(cx.waker);
    return PENDING;
  }

  #output(): T {
    this.state |= DELIVERED;
    if (this.state & FAILED) throw this.slot as JoinError;
    return this.slot as T;
  }

  /** Cancelling a future that awaits the handle detaches it; the task keeps running. */
  override cancel(): Cleanup {
    this.detach();
    return undefined;
  }

  /** Awaits the task from plain code: resolves with its value, rejects with a {@link JoinError}. */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this.state |= OBSERVED;
    return new Promise<T>((resolve, reject) => {
      const settle = () => {
        try {
          resolve(this.#output());
        } catch (error) {
          reject(error);
        }
      };
      if (this.state & COMPLETE) settle();
      else this.addJoinWaker({ wake: settle });
    }).then(onfulfilled, onrejected);
  }

  /** @internal Calls `waker.wake()` once the task finishes, and marks the output observed (JoinSet). */
  watch(waker: Waker): void {
    this.state |= OBSERVED;
    if (this.state & COMPLETE) waker.wake();
    else this.addJoinWaker(waker);
  }

  /** Requests cancellation of the task (see {@link AbortHandle.abort}). */
  abort(): void {
    this.owner.abort(this);
  }

  /** True once the task finished. */
  isFinished(): boolean {
    return (this.state & COMPLETE) !== 0;
  }

  /** A handle that can abort the task but not await it. */
  abortHandle(): AbortHandle {
    return new AbortHandle(this);
  }

  /** Gives up the output: the task runs on, and an error it throws goes to the `unhandledError` policy. */
  detach(): void {
    if (!(this.state & JOIN_INTEREST)) return;
    this.state &= ~JOIN_INTEREST;
    this.owner.detached(this);
  }

  /** `using handle = …` detaches at the end of the scope, as dropping a Tokio `JoinHandle` does. */
  override [Symbol.dispose](): void {
    this.detach();
  }
}
