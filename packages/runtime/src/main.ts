/**
 * `main(function* () { … })`: the entry point of a zokio program.
 *
 * @module
 */
import { future, type Operation } from '@zokio/future';
import type { RuntimeConfig } from './config.js';
import { Runtime } from './runtime.js';

/**
 * Builds a runtime, runs `body` as its root task (it receives the runtime: for `rt.metrics()`, `rt.spawnJob`, …),
 * shuts the runtime down (cancelling tasks still alive and awaiting their clean-up), and resolves with the body's
 * value. If the body fails, the error is printed, `process.exitCode`
 * is set to 1, and the promise resolves to `undefined`, so a script needs no `.catch`.
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
  const rt = Runtime.create(config);
  try {
    return await rt.blockOn(future(() => body(rt)));
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
    return undefined;
  } finally {
    await rt.shutdown();
  }
}
