/**
 * {@link JoinSet}: a collection of tasks awaited in completion order and aborted together.
 *
 * @module
 */
import {
  expected,
  FutureBase,
  PENDING,
  pollProceed,
  type Cleanup,
  type Context,
  type Future,
  type Poll,
  type Waker,
} from '@zokio/future';
import { currentScheduler } from '../local/current.js';
import type { LocalScheduler, SpawnOptions } from '../local/scheduler.js';
import { RingQueue } from '../queue/ring.js';
import type { JoinError } from './join-error.js';
import { AbortHandle, type JoinHandle } from './join-handle.js';

/**
 * The outcome of one task of a {@link JoinSet}.
 * @category Tasks
 */
export type JoinResult<T> =
  | { readonly id: number; readonly ok: true; readonly value: T }
  | { readonly id: number; readonly ok: false; readonly error: JoinError };

/** One member: wakes the set when its task finishes. */
class Member<T> implements Waker {
  constructor(
    readonly set: JoinSet<T>,
    readonly handle: JoinHandle<T>,
  ) {}
  wake(): void {
    this.set.memberDone(this);
  }
}

/**
 * A set of tasks. `joinNext()` returns outcomes as tasks finish; `abortAll()`, `shutdown()` and disposal cancel
 * every member. A `JoinSet` declared with `using` aborts its tasks when the scope ends, so none outlives it; the
 * set then lets go of them, and a failure nobody took from it (a clean-up that threw, an error not yet returned by
 * `joinNext()`) goes to the runtime's `unhandledError` policy rather than vanish.
 *
 * Several tasks may wait in `joinNext()` at once: each finished task's outcome goes to one of them, and all are
 * woken when the set empties.
 *
 * @example
 * ```ts
 * import { Runtime } from '@zokio/runtime';
 * import { JoinSet } from '@zokio/scheduler';
 * import { fn, ready } from '@zokio/future';
 * const rt = Runtime.create();
 * const total = await rt.blockOn(fn(function* () {
 *   using set = new JoinSet<number>();
 *   for (let i = 1; i <= 3; i++) set.spawn(ready(i));
 *   let sum = 0;
 *   for (let r = yield* set.joinNext(); r; r = yield* set.joinNext()) if (r.ok) sum += r.value;
 *   return sum;
 * })()); // 6
 * ```
 * @category Tasks
 */
export class JoinSet<T> implements Disposable {
  readonly #members = new Set<Member<T>>();
  readonly #finished = new RingQueue<Member<T>>(16);
  /** The tasks waiting in `joinNext()` (or `joinAll()`, `shutdown()`), woken on each outcome and when it empties. */
  #wakers: Waker[] = [];

  /** Tasks in the set: running, or finished and not yet returned by `joinNext()`. */
  get size(): number {
    return this.#members.size;
  }

  isEmpty(): boolean {
    return this.#members.size === 0;
  }

  /**
   * Spawns `future` into the set, on the scheduler running the calling task (or on `scheduler`, from plain
   * code). Returns an {@link AbortHandle}; the output is collected by `joinNext()`.
   */
  spawn(future: Future<T>, options?: SpawnOptions & { readonly scheduler?: LocalScheduler }): AbortHandle {
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      expected('options to be an object', options, 'JoinSet.spawn');
    }
    const scheduler = options?.scheduler ?? currentScheduler('JoinSet.spawn');
    if (typeof (scheduler as Partial<LocalScheduler> | null)?.spawn !== 'function') {
      expected('options.scheduler to be a LocalScheduler', scheduler, 'JoinSet.spawn');
    }
    const handle = scheduler.spawn(future, options);
    const member = new Member(this, handle);
    this.#members.add(member);
    // The set observes the task: its error is returned by joinNext(), not reported as unhandled.
    handle.watch(member);
    return handle.abortHandle();
  }

  /** @internal */
  memberDone(member: Member<T>): void {
    if (!this.#members.has(member)) return;
    this.#finished.push(member);
    this.#wakeAll();
  }

  #wakeAll(): void {
    const wakers = this.#wakers;
    if (wakers.length === 0) return;
    this.#wakers = [];
    for (const waker of wakers) waker.wake();
  }

  /**
   * Waits for the next task to finish and returns its outcome, or `undefined` when the set is empty.
   *
   * Cancel-safe: if the returned future is cancelled, no outcome is lost; the next `joinNext()` returns it.
   */
  joinNext(): Future<JoinResult<T> | undefined> {
    return new JoinNext(this);
  }

  /** @internal */
  pollNext(cx: Context): Poll<JoinResult<T> | undefined> {
    if (!pollProceed(cx)) return PENDING;
    const member = this.#finished.shift();
    if (member !== undefined) {
      this.#members.delete(member);
      // The last outcome: whoever else waits learns the set is empty.
      if (this.#members.size === 0) this.#wakeAll();
      const { handle } = member;
      try {
        return { id: handle.id, ok: true, value: readOutput(handle) };
      } catch (error) {
        return { id: handle.id, ok: false, error: error as JoinError };
      }
    }
    if (this.#members.size === 0) return undefined;
    if (!this.#wakers.includes(cx.waker)) this.#wakers.push(cx.waker);
    return PENDING;
  }

  /**
   * Waits for every task and returns their values in completion order. The first failure aborts the rest and is
   * thrown (after they finish).
   */
  joinAll(): Future<T[]> {
    return new JoinAllMembers(this);
  }

  /** Requests cancellation of every task; they stay in the set until `joinNext()` returns them. */
  abortAll(): void {
    for (const member of this.#members) member.handle.abort();
  }

  /** Aborts every task and waits until all have finished (their clean-up included); the set is then empty. */
  shutdown(): Future<void> {
    this.abortAll();
    return new Drain(this);
  }

  /**
   * Aborts every task in the set and lets go of them (the set is then empty): as their handles are detached, a
   * failure not yet returned by `joinNext()` goes to the `unhandledError` policy (a clean cancellation does not).
   */
  [Symbol.dispose](): void {
    const members = [...this.#members];
    this.#members.clear();
    this.#finished.drain();
    for (const { handle } of members) {
      handle.abort();
      handle.detach();
    }
    this.#wakeAll();
  }
}

/** A finished handle's output, synchronously: value, or the JoinError thrown. */
function readOutput<T>(handle: JoinHandle<T>): T {
  const value = handle.poll(UNBUDGETED);
  if (value === PENDING) throw new Error('unreachable: a finished task has its output');
  return value;
}

const UNBUDGETED: Context = {
  waker: { wake() {} },
  executor: { budget: Infinity, budgetExhausted() {}, service: () => undefined },
  withWaker(): Context {
    return UNBUDGETED;
  },
};

class JoinNext<T> extends FutureBase<JoinResult<T> | undefined> {
  constructor(readonly set: JoinSet<T>) {
    super();
  }
  poll(cx: Context): Poll<JoinResult<T> | undefined> {
    return this.set.pollNext(cx);
  }
}

class JoinAllMembers<T> extends FutureBase<T[]> {
  readonly #values: T[] = [];
  #error: JoinError | undefined = undefined;
  constructor(readonly set: JoinSet<T>) {
    super();
  }
  poll(cx: Context): Poll<T[]> {
    for (;;) {
      const result = this.set.pollNext(cx);
      if (result === PENDING) return PENDING;
      if (result === undefined) {
        if (this.#error !== undefined) throw this.#error;
        return this.#values;
      }
      if (result.ok) this.#values.push(result.value);
      else if (this.#error === undefined) {
        this.#error = result.error;
        this.set.abortAll();
      }
    }
  }
  override cancel(): Cleanup {
    return undefined;
  }
}

class Drain<T> extends FutureBase<void> {
  constructor(readonly set: JoinSet<T>) {
    super();
  }
  poll(cx: Context): Poll<void> {
    for (;;) {
      const result = this.set.pollNext(cx);
      if (result === PENDING) return PENDING;
      if (result === undefined) return;
    }
  }
}
