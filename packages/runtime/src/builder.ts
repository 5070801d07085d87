/**
 * {@link RuntimeBuilder}: the fluent form of {@link RuntimeConfig}, after Tokio's `runtime::Builder`.
 *
 * @module
 */
import type { UnhandledErrorPolicy } from '@zokio/scheduler';
import type { IoChoice } from '@zokio/io-driver';
import type { Flavor, RuntimeConfig } from './config.js';
import type { Runtime } from './runtime.js';

/**
 * Collects options, then `build()` validates them (with `ZOKIO_*` overrides) and creates the runtime.
 *
 * @example
 * ```ts
 * import { Runtime } from '@zokio/runtime';
 * const rt = Runtime.builder().flavor('current_thread').globalQueueInterval(31).unhandledError('log').build();
 * ```
 * @category Runtime
 */
export class RuntimeBuilder {
  #config: RuntimeConfig = {};
  readonly #create: (config: RuntimeConfig) => Runtime;

  /** @internal */
  constructor(create: (config: RuntimeConfig) => Runtime) {
    this.#create = create;
  }

  #set(patch: RuntimeConfig): this {
    this.#config = { ...this.#config, ...patch };
    return this;
  }

  /** See {@link RuntimeConfig.flavor}. */
  flavor(flavor: Flavor): this {
    return this.#set({ flavor });
  }

  /** See {@link RuntimeConfig.eventInterval}. */
  eventInterval(polls: number): this {
    return this.#set({ eventInterval: polls });
  }

  /** See {@link RuntimeConfig.globalQueueInterval}. */
  globalQueueInterval(polls: number): this {
    return this.#set({ globalQueueInterval: polls });
  }

  /** See {@link RuntimeConfig.unhandledError}. */
  unhandledError(policy: UnhandledErrorPolicy): this {
    return this.#set({ unhandledError: policy });
  }

  /** See {@link RuntimeConfig.enableTime}. */
  enableTime(enabled = true): this {
    return this.#set({ enableTime: enabled });
  }

  /** See {@link RuntimeConfig.startPaused}. */
  startPaused(paused = true): this {
    return this.#set({ startPaused: paused });
  }

  /** See {@link RuntimeConfig.io}. */
  io(choice: IoChoice): this {
    return this.#set({ io: choice });
  }

  /** The options collected so far. */
  /** Worker threads of the `multi_thread` pool (see {@link RuntimeConfig.workerThreads}). */
  workerThreads(threads: number): this {
    return this.#set({ workerThreads: threads });
  }

  /** The most blocking-pool threads (see {@link RuntimeConfig.maxBlockingThreads}). */
  maxBlockingThreads(threads: number): this {
    return this.#set({ maxBlockingThreads: threads });
  }

  /** Idle milliseconds before a blocking-pool thread exits (see {@link RuntimeConfig.threadKeepAlive}). */
  threadKeepAlive(ms: number): this {
    return this.#set({ threadKeepAlive: ms });
  }

  /** Report polls longer than `us` µs (see {@link RuntimeConfig.slowPollThreshold}). */
  slowPollThreshold(us: number, onSlowPoll?: RuntimeConfig['onSlowPoll']): this {
    return this.#set(onSlowPoll === undefined ? { slowPollThreshold: us } : { slowPollThreshold: us, onSlowPoll });
  }

  /** Count poll durations in a histogram (see {@link RuntimeConfig.pollTimeHistogram}). */
  pollTimeHistogram(enabled = true): this {
    return this.#set({ pollTimeHistogram: enabled });
  }

  /**
   * The I/O buffer pool: arena size, the most bytes it reserves, and (optionally) how long an operation waits for a
   * buffer at that cap (see {@link RuntimeConfig.bufferArenaBytes} and {@link RuntimeConfig.bufferPoolMaxWaitMs}).
   */
  bufferPool(arenaBytes: number, maxBytes: number, maxWaitMs?: number): this {
    return this.#set(
      maxWaitMs === undefined
        ? { bufferArenaBytes: arenaBytes, bufferPoolMaxBytes: maxBytes }
        : { bufferArenaBytes: arenaBytes, bufferPoolMaxBytes: maxBytes, bufferPoolMaxWaitMs: maxWaitMs },
    );
  }

  /** Seeds the schedule's randomness, to replay a run (see {@link RuntimeConfig.seed}). */
  seed(seed: number): this {
    return this.#set({ seed });
  }

  /** For tests: inject I/O faults from a seed (see {@link RuntimeConfig.ioFaults}). */
  ioFaults(options: NonNullable<RuntimeConfig['ioFaults']>): this {
    return this.#set({ ioFaults: options });
  }

  /** Task hooks: any of `onTaskSpawn`, `onTaskTerminate`, `onBeforePoll`, `onAfterPoll`. */
  hooks(hooks: Pick<RuntimeConfig, 'onTaskSpawn' | 'onTaskTerminate' | 'onBeforePoll' | 'onAfterPoll'>): this {
    return this.#set(hooks);
  }

  toConfig(): RuntimeConfig {
    return { ...this.#config };
  }

  /** Validates and creates the runtime. */
  build(): Runtime {
    return this.#create(this.#config);
  }
}
