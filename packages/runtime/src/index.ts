/**
 * # @zokio/runtime
 *
 * The {@link Runtime}: one config (object or {@link RuntimeBuilder}) picks the components, `rt.describe()` says
 * what was picked and why, `rt.blockOn`/`rt.spawn` run futures, `rt.shutdown()` cancels what is left and reports
 * it, and {@link main} wraps it all for a program's entry point.
 *
 * @example
 * ```ts
 * import { main } from '@zokio/runtime';
 * import { spawn } from '@zokio/scheduler';
 * import { fn, yieldNow } from '@zokio/future';
 *
 * await main(function* () {
 *   const worker = spawn(fn(function* () {
 *     yield* yieldNow();
 *     return 21;
 *   })());
 *   console.log((yield* worker) * 2); // 42
 * });
 * ```
 *
 * @packageDocumentation
 */
export { Runtime, type RuntimeMetrics, type ShutdownOptions, type ShutdownReport } from './runtime.js';
export { toPrometheus } from './prometheus.js';
export { RuntimeBuilder } from './builder.js';
export { main } from './main.js';
export { ctrlC, signal } from './signal.js';
export {
  resolveConfig,
  type Flavor,
  type Resolved,
  type ResolvedConfig,
  type RuntimeConfig,
  type Source,
} from './config.js';
export { selectIoDriver, selectScheduler, selectTimeDriver, type Selection } from './select.js';
