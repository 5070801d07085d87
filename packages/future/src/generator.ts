/**
 * Generator async functions: `fn(function* () { const n = yield* f; … })`.
 *
 * ## How a generator future runs
 * The generator yields futures (through `yield*`, which hands the driver the future itself, see `future.ts`); the
 * driver polls each one and resumes the generator with its value, or throws its error in at the `yield*`. One
 * generator, one driver: `yield*` on another generator future does not inline it but awaits it as a future with a
 * driver of its own. That is what keeps cancellation exact.
 *
 * ## Cancellation
 * `cancel()` first cancels the future being awaited (innermost first), then calls `return()` on this generator, so
 * its `finally` blocks run, once. If a `finally` does `yield* cleanup()`, `cancel()` returns a {@link Cleanup}
 * future that drives the rest of the unwinding: each clean-up future is polled to completion and the generator
 * resumed with `next()`, which keeps the return completion alive *within one generator frame*. When the frame ends,
 * the future's outcome is cancellation, whatever the `finally` returned: clean-up cannot swallow a cancellation.
 * Errors thrown by clean-up are collected and thrown by the clean-up future once every frame has unwound.
 *
 * Why one driver per generator: JavaScript forwards `return()` through native `yield*` delegation, but if the
 * delegate's `finally` suspends, JS later resumes the *delegating* frame as if the delegate returned normally, and
 * code after the `yield*` runs in a cancelled task (effection#1190, #1154). Awaiting generator futures as opaque
 * futures makes every frame unwind with its own `return()`. A plain `function*` helper delegated to with
 * `yield* helper()` is inlined by JS: its synchronous `finally` runs correctly, but wrap it in {@link fn} if its
 * `finally` awaits anything.
 *
 * @module
 */
import type { Context } from './context.js';
import { combineErrors, describeValue, expected, polledAfterCompletion } from './errors.js';
import { drop, FutureBase, isFuture, resumeWith, takeDelegated, type Cleanup, type Future } from './future.js';
import { PENDING, type Poll } from './poll.js';

/** The generator a generator async function returns: it yields futures and returns `T`. @category Generator */
export type Operation<T> = Generator<Future<unknown>, T, unknown>;

/** `#current` before the first poll. */
const NOT_STARTED: unique symbol = Symbol('not started');
/** `#current` once the future returned, threw or was cancelled. */
const FINISHED: unique symbol = Symbol('finished');

const FIRST_STEP: IteratorResult<Future<unknown>, never> = { done: false, value: undefined as never };

/** Generator function names, keyed by the prototype every generator of that function inherits (no per-call cost). */
const names = new WeakMap<object, string>();

function notAFuture(value: unknown): TypeError {
  if (isFuture(value)) {
    return new TypeError(
      'Expected `yield*` before a future in a generator async function, got a bare `yield` (it would resume with a placeholder instead of the value)',
    );
  }
  return new TypeError(
    `Expected a Future from yield* in a generator async function, got ${describeValue(value)}` +
      (value !== null && typeof (value as PromiseLike<unknown>)?.then === 'function'
        ? ' (wrap promises with fromPromise)'
        : ''),
  );
}

/**
 * Resumes `gen` until it yields a future through `yield*` or finishes; anything else is thrown back in as a
 * TypeError at the offending `yield`.
 */
function settleStep<T>(gen: Operation<T>, step: IteratorResult<unknown, T>): IteratorResult<Future<unknown>, T> {
  while (!step.done && takeDelegated() !== step.value) step = gen.throw(notAFuture(step.value));
  return step as IteratorResult<Future<unknown>, T>;
}

/**
 * The future of one call of a generator async function. Cancel-safe: dropping it runs its `finally` blocks.
 *
 * Two fields only (a suspended task holds one): the generator, and `#current`, which is the future being awaited,
 * or `NOT_STARTED` / `FINISHED`, or `undefined` while the generator runs.
 * @category Generator
 */
export class GeneratorFuture<T> extends FutureBase<T> {
  readonly #gen: Operation<T>;
  #current: Future<unknown> | typeof NOT_STARTED | typeof FINISHED | undefined = NOT_STARTED;

  constructor(gen: Operation<T>) {
    super();
    if (typeof gen?.next !== 'function' || typeof gen.return !== 'function') {
      expected('a generator (the result of calling a function*)', gen, 'fn');
    }
    this.#gen = gen;
  }

  /** The generator function's name, for task dumps. */
  get name(): string {
    return names.get(Object.getPrototypeOf(this.#gen) as object) ?? '';
  }

  /** The future this generator is waiting on right now (for task dumps); `undefined` when not suspended. */
  get awaiting(): Future<unknown> | undefined {
    const current = this.#current;
    return typeof current === 'object' ? current : undefined;
  }

  poll(cx: Context): Poll<T> {
    let current = this.#current;
    if (current === FINISHED) throw polledAfterCompletion('generator future');
    const gen = this.#gen;
    let step: IteratorResult<Future<unknown>, T> = FIRST_STEP;
    try {
      if (current === NOT_STARTED) {
        current = this.#current = undefined;
        step = settleStep(gen, gen.next());
      }
      for (;;) {
        if (current === undefined) {
          if (step.done) {
            this.#current = FINISHED;
            return step.value;
          }
          current = this.#current = step.value;
        }
        let value: unknown;
        try {
          value = current.poll(cx);
        } catch (error) {
          current = this.#current = undefined;
          step = settleStep(gen, gen.throw(error));
          continue;
        }
        if (value === PENDING) return PENDING;
        current = this.#current = undefined;
        step = settleStep(gen, gen.next(resumeWith(value)));
      }
    } catch (error) {
      this.#current = FINISHED;
      throw error;
    }
  }

  override cancel(): Cleanup {
    const current = this.#current;
    if (current === FINISHED) return undefined;
    this.#current = FINISHED;
    if (current === NOT_STARTED) {
      // Never started: no `try` was entered, so there is no `finally` to run.
      this.#gen.return(undefined as T);
      return undefined;
    }
    let inner: Cleanup;
    try {
      inner = current?.cancel();
    } catch (error) {
      return unwind(this.#gen, error);
    }
    if (inner !== undefined) return new GeneratorCleanup(this.#gen, inner, true, undefined);
    return unwind(this.#gen, undefined);
  }
}

/** Starts unwinding `gen` with `return()`; `error` (from inner clean-up) is rethrown once unwinding is done. */
function unwind(gen: Operation<unknown>, error: unknown): Cleanup {
  let step: IteratorResult<unknown, unknown>;
  try {
    step = settleStep(gen, gen.return(undefined));
  } catch (thrown) {
    throw combineErrors(error, thrown);
  }
  if (step.done) {
    if (error !== undefined) throw error;
    return undefined;
  }
  return new GeneratorCleanup(gen, step.value as Future<unknown>, false, error);
}

/**
 * Finishes the cancellation of a generator whose clean-up suspended. Polls the awaited clean-up future; then either
 * starts this frame's unwinding (`returnNext`: the inner future's clean-up just finished) or resumes the `finally`
 * in progress with `next()`/`throw()`.
 */
class GeneratorCleanup extends FutureBase<void> {
  readonly #gen: Operation<unknown>;
  #current: Future<unknown> | undefined;
  #returnNext: boolean;
  #error: unknown;

  constructor(gen: Operation<unknown>, current: Future<unknown>, returnNext: boolean, error: unknown) {
    super();
    this.#gen = gen;
    this.#current = current;
    this.#returnNext = returnNext;
    this.#error = error;
  }

  poll(cx: Context): Poll<void> {
    const gen = this.#gen;
    let current = this.#current;
    while (current !== undefined) {
      let value: unknown;
      let failed = false;
      try {
        value = current.poll(cx);
        if (value === PENDING) return PENDING;
      } catch (error) {
        failed = true;
        value = error;
      }
      current = this.#current = undefined;
      let step: IteratorResult<unknown, unknown>;
      try {
        if (this.#returnNext) {
          this.#returnNext = false;
          if (failed) this.#error = combineErrors(this.#error, value);
          step = gen.return(undefined);
        } else {
          step = failed ? gen.throw(value) : gen.next(resumeWith(value));
        }
        step = settleStep(gen, step);
      } catch (error) {
        this.#error = combineErrors(this.#error, error);
        break;
      }
      if (!step.done) current = this.#current = step.value as Future<unknown>;
    }
    if (this.#error !== undefined) throw this.#error;
  }

  /** Abandons the asynchronous steps: each remaining `finally` still runs; a `yield*` in one is dropped at once. */
  override cancel(): Cleanup {
    const gen = this.#gen;
    let error = this.#error;
    let current = this.#current;
    this.#current = undefined;
    for (;;) {
      if (current !== undefined) {
        try {
          drop(current);
        } catch (thrown) {
          error = combineErrors(error, thrown);
        }
      }
      let step: IteratorResult<unknown, unknown>;
      try {
        step = gen.return(undefined);
      } catch (thrown) {
        error = combineErrors(error, thrown);
        break;
      }
      if (step.done) break;
      current = takeDelegated() === step.value ? (step.value as Future<unknown>) : undefined;
    }
    this.#error = undefined;
    if (error !== undefined) throw error;
    return undefined;
  }
}

/**
 * Turns a generator function into an async function returning a lazy {@link Future}.
 *
 * @example
 * ```ts
 * import { fn, ready, toPromise } from '@zokio/future';
 * const add = fn(function* (a: number, b: number) {
 *   const x = yield* ready(a);
 *   return x + b;
 * });
 * await toPromise(add(1, 2)); // 3
 * ```
 * @category Generator
 */
export function fn<This, A extends unknown[], T>(
  body: (this: This, ...args: A) => Operation<T>,
): (this: This, ...args: A) => GeneratorFuture<T> {
  if (typeof body !== 'function') expected('a generator function (function* …)', body, 'fn');
  nameGenerators(body);
  return function (this: This, ...args: A): GeneratorFuture<T> {
    return new GeneratorFuture(body.apply(this, args));
  };
}

/**
 * One future from a generator function that takes no arguments: `future(function* () { … })`.
 *
 * @example
 * ```ts
 * import { future, ready, toPromise } from '@zokio/future';
 * await toPromise(future(function* () { return (yield* ready(20)) + 1; })); // 21
 * ```
 * @category Generator
 */
export function future<T>(body: () => Operation<T>): GeneratorFuture<T> {
  if (typeof body !== 'function') expected('a generator function (function* …)', body, 'future');
  return new GeneratorFuture(body());
}

function nameGenerators(body: (...args: never[]) => unknown): void {
  const prototype = (body as { prototype?: unknown }).prototype;
  if (typeof prototype === 'object' && prototype !== null && body.name) names.set(prototype, body.name);
}
