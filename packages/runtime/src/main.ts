/**
 * `main(function* () { … })`: the entry point of a zokio program.
 *
 * @module
 */
import {
  expected,
  future,
  FutureBase,
  PENDING,
  select,
  type Context,
  type Operation,
  type Poll,
  type Waker,
} from '@zokio/future';
import type { RuntimeConfig } from './config.js';
import { Runtime } from './runtime.js';

/** The signal listeners of the `main()`s running now. */
const MAIN_LISTENERS = new Set<unknown>();

/**
 * Builds a runtime, runs `body` as its root task (it receives the runtime: for `rt.metrics()`, `rt.spawnJob`, …),
 * shuts the runtime down (cancelling tasks still alive and awaiting their clean-up), and resolves with the body's
 * value. If the body fails, the error is printed, `process.exitCode`
 * is set to 1, and the promise resolves to `undefined`, so a script needs no `.catch`.
 *
 * SIGINT and SIGTERM shut the program down gracefully: the body is cancelled (its `finally` blocks run, its
 * clean-up is awaited), then the runtime; the exit code is 130 or 143. A second signal exits at once. A program
 * that listens for the signal itself (`process.on('SIGTERM', …)`, `ctrlC()`) handles it instead.
 *
 * @example
 * ```ts
 * import { main } from '@zokio/runtime';
 * import { yieldNow } from '@zokio/future';
 * await main(function* () {
 *   yield* yieldNow();
 *   console.log('hello from a task');
 * });
 * ```
 * @category Runtime
 */
export async function main<T>(body: (rt: Runtime) => Operation<T>, config?: RuntimeConfig): Promise<T | undefined> {
  if (typeof body !== 'function') expected('the body as a generator function: function* (rt) { … }', body, 'main');
  const rt = Runtime.create(config);
  const stop = new StopGate();
  const onSignal = (name: (typeof SIGNALS)[number]) => {
    // A program that listens for the signal itself (a server draining connections) handles it: leave it be. The
    // listeners of other `main()`s running in this process are not the program's: they count as ours.
    if (process.listeners(name).some((listener) => !MAIN_LISTENERS.has(listener))) return;
    if (stop.by !== undefined) process.exit(EXIT_CODES[name]); // a second signal: stop waiting for clean-up
    stop.open(name);
  };
  MAIN_LISTENERS.add(onSignal);
  for (const name of SIGNALS) process.on(name, onSignal);
  try {
    // The body races the gate: a signal opens it, and select cancels the body and awaits its clean-up.
    const { index, value } = await rt.blockOn(select([future(() => body(rt)), stop]));
    if (index === 1) {
      process.exitCode = EXIT_CODES[stop.by!];
      return undefined;
    }
    return value;
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
    return undefined;
  } finally {
    for (const name of SIGNALS) process.off(name, onSignal);
    MAIN_LISTENERS.delete(onSignal);
    await rt.shutdown();
  }
}

/** Completes once a signal asked the program to stop. */
class StopGate extends FutureBase<void> {
  by: (typeof SIGNALS)[number] | undefined = undefined;
  #waker: Waker | undefined = undefined;

  open(name: (typeof SIGNALS)[number]): void {
    this.by = name;
    this.#waker?.wake();
  }

  poll(cx: Context): Poll<void> {
    if (this.by !== undefined) return undefined;
    this.#waker = cx.waker;
    return PENDING;
  }
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/** The shell's convention: 128 + the signal's number. */
const EXIT_CODES: Record<(typeof SIGNALS)[number], number> = { SIGINT: 130, SIGTERM: 143 };
