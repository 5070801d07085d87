/**
 * The {@link Context} passed to every `poll`: the {@link Waker} to call, and the {@link Executor} doing the polling.
 *
 * Services (timer wheel, I/O driver, spawner) reach a leaf future only through `cx.executor.service(key)`, never
 * through a process-wide singleton, so two runtimes in one process never interfere. The executor also carries the
 * coop budget (see `coop.ts`): one counter shared by every future polled within one task poll.
 *
 * A combinator that must know which child woke it derives a child context with {@link Context.withWaker}; the child
 * shares the executor (and so the budget and services).
 *
 * @module
 */
import { expected } from './errors.js';
import type { Waker } from './waker.js';

/**
 * A typed key for a runtime service, looked up with `cx.executor.service(key)`.
 *
 * @example
 * ```ts
 * import { serviceKey } from '@zokio/future';
 * interface Clock { now(): number }
 * const CLOCK = serviceKey<Clock>('clock');
 * ```
 * @category Context
 */
export interface ServiceKey<T> {
  readonly name: string;
  /** Phantom: carries `T` for type inference only. */
  readonly __type?: T;
}

/**
 * Creates a {@link ServiceKey}. Keys compare by identity: create each once, at module level.
 *
 * @example
 * ```ts
 * import { serviceKey } from '@zokio/future';
 * const TIMER = serviceKey<{ now(): number }>('timer');
 * TIMER.name; // 'timer'
 * ```
 * @category Context
 */
export function serviceKey<T>(name: string): ServiceKey<T> {
  if (typeof name !== 'string') expected('a name string', name, 'serviceKey');
  return Object.freeze({ name });
}

/**
 * What drives futures: a scheduler, or the small driver behind `toPromise`.
 *
 * @category Context
 */
export interface Executor {
  /**
   * Coop budget left in the current task poll: leaf futures spend one unit per operation and return `PENDING`
   * (after waking themselves) when it reaches zero. `Infinity` means unconstrained.
   */
  budget: number;
  /** Called by a leaf future that yielded because the budget ran out (metrics). */
  budgetExhausted(): void;
  /** A runtime service, or `undefined` if this executor does not provide it. */
  service<T>(key: ServiceKey<T>): T | undefined;
}

/** An executor with no services and an unlimited budget, for polling futures by hand. */
const DETACHED: Executor = {
  budget: Infinity,
  budgetExhausted() {},
  service: () => undefined,
};

/**
 * Passed to {@link Future.poll}: who to wake, and who is polling.
 *
 * @example
 * ```ts
 * import { Context, noopWaker, ready } from '@zokio/future';
 * const cx = Context.detached(noopWaker);
 * ready(42).poll(cx); // 42
 * ```
 * @category Context
 */
export class Context {
  /**
   * Wake this to have the polling task polled again. An executor may reuse one Context for many polls, changing
   * this field between them: a future keeps `cx.waker`, never `cx` itself, past its `poll`.
   */
  waker: Waker;
  /** The executor polling: budget and services. */
  readonly executor: Executor;

  constructor(waker: Waker, executor: Executor) {
    this.waker = waker;
    this.executor = executor;
  }

  /** A context with another waker and the same executor (for combinators that track which child woke). */
  withWaker(waker: Waker): Context {
    return new Context(waker, this.executor);
  }

  /** A context outside any runtime: no services, no budget. For tests and hand-polling. */
  static detached(waker: Waker): Context {
    if (typeof (waker as Waker | null)?.wake !== 'function')
      expected('a Waker (an object with wake())', waker, 'Context.detached');
    return new Context(waker, DETACHED);
  }
}
