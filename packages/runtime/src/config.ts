/**
 * Runtime configuration: the options users give, the `ZOKIO_*` environment variables that override them, and the
 * resolved config where every value remembers where it came from, so `rt.describe()` can say why.
 *
 * Precedence: environment > config object / builder > default. Names follow Tokio's builder where they fit.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { describeValue } from '@zokio/future';
import { FaultInjector, parseFaultOptions, type FaultOptions, type IoChoice } from '@zokio/io-driver';
import type { SlowPoll, TaskHooks, UnhandledErrorPolicy } from '@zokio/scheduler';

/**
 * Scheduler flavours: `current_thread` runs tasks on the main thread only; `multi_thread` adds the work-stealing
 * worker pool (`rt.spawnJob`, `spawnJob` inside tasks) — tasks spawned with `spawn` still run on the main thread,
 * as closures cannot cross threads. @category Runtime
 */
export type Flavor = 'current_thread' | 'multi_thread';

/**
 * Options of a {@link Runtime}; every field is optional.
 *
 * @example
 * ```ts
 * import { Runtime } from '@zokio/runtime';
 * const rt = Runtime.create({ flavor: 'current_thread', eventInterval: 61, unhandledError: 'shutdown' });
 * ```
 * @category Runtime
 */
export interface RuntimeConfig {
  /**
   * Which scheduler runs tasks. Env: `ZOKIO_FLAVOR`.
   * @default 'current_thread'
   */
  readonly flavor?: Flavor;
  /**
   * Task polls between yields to libuv. Env: `ZOKIO_EVENT_INTERVAL`.
   * @default 61
   */
  readonly eventInterval?: number;
  /**
   * Polls between checks of the remote queue first. Env: `ZOKIO_GLOBAL_QUEUE_INTERVAL`.
   * @default 31
   */
  readonly globalQueueInterval?: number;
  /**
   * What to do with an error of a task nobody awaits: `'log'`, `'shutdown'` (the runtime shuts down and
   * `blockOn` rejects with the error) or a function. Env: `ZOKIO_UNHANDLED_ERROR` (`log` | `shutdown`).
   * @default 'log'
   */
  readonly unhandledError?: UnhandledErrorPolicy;
  /**
   * Run the time driver (timer wheel) so `sleep`, `interval` and `timeout` work. Env: `ZOKIO_ENABLE_TIME`
   * (`true` | `false`).
   * @default true
   */
  readonly enableTime?: boolean;
  /**
   * Start with the clock paused: time moves only by `advance()`, or to the next timer when every task waits.
   * For tests. Needs `enableTime`. Env: `ZOKIO_START_PAUSED`.
   * @default false
   */
  readonly startPaused?: boolean;
  /**
   * The I/O driver backend: `'auto'` picks io_uring where the addon loads and the kernel allows it, else `js`.
   * Env: `ZOKIO_IO_DRIVER`.
   * @default 'auto'
   */
  readonly io?: IoChoice;
  /**
   * Worker threads of the `multi_thread` pool. Env: `ZOKIO_WORKER_THREADS`.
   * @default os.availableParallelism()
   */
  readonly workerThreads?: number;
  /**
   * The most threads of the blocking pool (`spawnBlocking`) at once; more calls wait in a queue. Env:
   * `ZOKIO_MAX_BLOCKING_THREADS`.
   * @default 64
   */
  readonly maxBlockingThreads?: number;
  /**
   * Milliseconds a blocking-pool thread stays idle before it exits. Env: `ZOKIO_THREAD_KEEP_ALIVE`.
   * @default 10000
   */
  readonly threadKeepAlive?: number;
  /** Called when a task is spawned (tracing, metrics). */
  readonly onTaskSpawn?: TaskHooks['onTaskSpawn'];
  /** Called when a task finishes: with a value, an error, or cancelled. */
  readonly onTaskTerminate?: TaskHooks['onTaskTerminate'];
  /** Called before each poll of a task. */
  readonly onBeforePoll?: TaskHooks['onBeforePoll'];
  /** Called after each poll of a task. */
  readonly onAfterPoll?: TaskHooks['onAfterPoll'];
  /**
   * Report polls longer than this many µs, naming the task and what it awaits (a task that computes without
   * yielding stalls all the others). Env: `ZOKIO_SLOW_POLL_THRESHOLD_US`. Off by default: timing a poll costs
   * two clock reads.
   */
  readonly slowPollThreshold?: number;
  /** Where slow polls go. @default a warning on stderr */
  readonly onSlowPoll?: (poll: SlowPoll) => void;
  /** Count poll durations in `rt.metrics().pollTimeHistogram`. Env: `ZOKIO_POLL_TIME_HISTOGRAM`. @default false */
  readonly pollTimeHistogram?: boolean;
  /**
   * Bytes of each arena of the I/O buffer pool (a multiple of 64 KiB; io_uring registers each arena once). Env:
   * `ZOKIO_BUFFER_ARENA_BYTES`.
   * @default 4194304 (4 MiB)
   */
  readonly bufferArenaBytes?: number;
  /**
   * The most bytes the I/O buffer pool reserves in arenas: reads and receives beyond it wait or fail with
   * `ENOBUFS` instead of growing memory. Env: `ZOKIO_BUFFER_POOL_MAX_BYTES`.
   * @default 67108864 (64 MiB)
   */
  readonly bufferPoolMaxBytes?: number;
  /**
   * How long an I/O operation waits for a pool buffer when the pool is at `bufferPoolMaxBytes`, before it fails
   * with `ENOBUFS` (a bounded wait turns a burst into latency, not errors; see `@zokio/memory`'s back-pressure).
   * `0` never waits. Env: `ZOKIO_BUFFER_POOL_MAX_WAIT_MS`.
   * @default 2000
   */
  readonly bufferPoolMaxWaitMs?: number;
  /**
   * For tests: inject I/O faults (failed submissions, short transfers, delayed and reordered completions) between
   * the I/O driver and its backend, from a seed — see `@zokio/io-driver`'s `FaultInjector`. Pool workers inject the
   * same plan into their own drivers. Env: `ZOKIO_IO_FAULTS` (`seed=42,rate=0.05,faults=fail+short,maxDelayMs=5`).
   * @default undefined (no faults)
   */
  readonly ioFaults?: FaultOptions;
  /**
   * Seeds the schedule's randomness (`select`'s random start, the only random choice in scheduling), so a run
   * that failed can be replayed with the same choices: `rt.describe()` prints the seed in use. Process-wide. Env:
   * `ZOKIO_SEED`.
   * @default a random seed per process
   */
  readonly seed?: number;
}

/** Where a resolved value came from. @category Runtime */
export type Source = 'default' | 'config' | `env ${string}`;

/** A resolved value and its source. @category Runtime */
export interface Resolved<T> {
  readonly value: T;
  readonly source: Source;
}

/** Config with defaults and environment applied, every value validated. @category Runtime */
export interface ResolvedConfig {
  readonly flavor: Resolved<Flavor>;
  readonly eventInterval: Resolved<number>;
  readonly globalQueueInterval: Resolved<number>;
  readonly unhandledError: Resolved<UnhandledErrorPolicy>;
  readonly enableTime: Resolved<boolean>;
  readonly startPaused: Resolved<boolean>;
  readonly io: Resolved<IoChoice>;
  readonly workerThreads: Resolved<number>;
  readonly maxBlockingThreads: Resolved<number>;
  readonly threadKeepAlive: Resolved<number>;
  readonly slowPollThreshold: Resolved<number | undefined>;
  readonly pollTimeHistogram: Resolved<boolean>;
  readonly bufferArenaBytes: Resolved<number>;
  readonly bufferPoolMaxBytes: Resolved<number>;
  readonly bufferPoolMaxWaitMs: Resolved<number>;
  readonly ioFaults: Resolved<FaultOptions | undefined>;
  readonly seed: Resolved<number | undefined>;
  /** The task hooks given, or undefined when none (the scheduler then watches nothing). */
  readonly hooks: TaskHooks | undefined;
  readonly onSlowPoll: ((poll: SlowPoll) => void) | undefined;
}

const KNOWN = new Set([
  'flavor',
  'eventInterval',
  'globalQueueInterval',
  'unhandledError',
  'enableTime',
  'startPaused',
  'io',
  'workerThreads',
  'maxBlockingThreads',
  'threadKeepAlive',
  'onTaskSpawn',
  'onTaskTerminate',
  'onBeforePoll',
  'onAfterPoll',
  'slowPollThreshold',
  'onSlowPoll',
  'pollTimeHistogram',
  'bufferArenaBytes',
  'bufferPoolMaxBytes',
  'bufferPoolMaxWaitMs',
  'ioFaults',
  'seed',
]);

const IO_CHOICES: readonly IoChoice[] = ['auto', 'io_uring', 'epoll', 'js'];

function ioChoice(raw: unknown, where: string): IoChoice {
  if (IO_CHOICES.includes(raw as IoChoice)) return raw as IoChoice;
  throw new TypeError(`Expected io${where} to be one of ${IO_CHOICES.join(', ')}, got ${describeValue(raw)}`);
}

/** Text is parsed only when it came from the environment (`where` names the variable); a config value is typed. */
function fromText(where: string): boolean {
  return where !== '';
}

function boolean(name: string): (raw: unknown, where: string) => boolean {
  return (raw, where) => {
    if (raw === true || (fromText(where) && (raw === 'true' || raw === '1'))) return true;
    if (raw === false || (fromText(where) && (raw === 'false' || raw === '0'))) return false;
    throw new TypeError(`Expected ${name}${where} to be true or false, got ${describeValue(raw)}`);
  };
}

function integer(name: string, raw: unknown, where: string, min = 1, max = 2 ** 30): number {
  // Decimal digits only from the environment: `Number` would also take '0x4', '0b11' and '1e3'.
  const value = typeof raw === 'string' && fromText(where) && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = `from ${min} to ${max === 2 ** 30 ? '2^30' : max === 0xffffffff ? '2^32 - 1' : max}`;
    throw new TypeError(`Expected ${name}${where} to be an integer ${range}, got ${describeValue(raw)}`);
  }
  return value;
}

function faultOptions(raw: unknown, where: string): FaultOptions {
  try {
    if (typeof raw === 'string') return parseFaultOptions(raw);
    new FaultInjector(raw as FaultOptions); // validates
    return raw as FaultOptions;
  } catch (error) {
    throw new TypeError(`Expected ioFaults${where} to be fault options: ${(error as Error).message}`, { cause: error });
  }
}

function flavor(raw: unknown, where: string): Flavor {
  if (raw === 'current_thread' || raw === 'multi_thread') return raw;
  throw new TypeError(`Expected flavor${where} to be 'current_thread' or 'multi_thread', got ${describeValue(raw)}`);
}

function policy(raw: unknown, where: string): UnhandledErrorPolicy {
  if (raw === 'log' || raw === 'shutdown' || typeof raw === 'function') return raw as UnhandledErrorPolicy;
  throw new TypeError(
    `Expected unhandledError${where} to be 'log', 'shutdown' or a function, got ${describeValue(raw)}`,
  );
}

function pick<T>(
  key: keyof RuntimeConfig,
  envName: string,
  config: RuntimeConfig,
  env: NodeJS.ProcessEnv,
  fallback: T,
  parse: (raw: unknown, where: string) => T,
): Resolved<T> {
  const fromEnv = env[envName];
  if (fromEnv !== undefined && fromEnv !== '')
    return { value: parse(fromEnv, ` (from ${envName})`), source: `env ${envName}` };
  const fromConfig = config[key];
  if (fromConfig !== undefined) return { value: parse(fromConfig, ''), source: 'config' };
  return { value: fallback, source: 'default' };
}

/**
 * Validates `config`, applies `ZOKIO_*` overrides from `env` and the defaults. Unknown keys and bad values throw a
 * `TypeError` saying what was expected and what was got.
 * @category Runtime
 */
export function resolveConfig(config: RuntimeConfig = {}, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  if (typeof env !== 'object' || env === null)
    throw new TypeError(`Expected the environment as an object (process.env), got ${describeValue(env)}`);
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new TypeError(`Expected the runtime config to be an object, got ${describeValue(config)}`);
  }
  for (const key of Object.keys(config)) {
    if (!KNOWN.has(key)) {
      throw new TypeError(
        `Expected a runtime config key (one of ${[...KNOWN].join(', ')}), got ${JSON.stringify(key)}`,
      );
    }
  }
  return {
    flavor: pick('flavor', 'ZOKIO_FLAVOR', config, env, 'current_thread', flavor),
    eventInterval: pick('eventInterval', 'ZOKIO_EVENT_INTERVAL', config, env, 61, (v, w) =>
      integer('eventInterval', v, w),
    ),
    globalQueueInterval: pick('globalQueueInterval', 'ZOKIO_GLOBAL_QUEUE_INTERVAL', config, env, 31, (v, w) =>
      integer('globalQueueInterval', v, w),
    ),
    unhandledError: pick('unhandledError', 'ZOKIO_UNHANDLED_ERROR', config, env, 'log', policy),
    ...timeOptions(config, env),
    io: pick('io', 'ZOKIO_IO_DRIVER', config, env, 'auto', ioChoice),
    workerThreads: pick('workerThreads', 'ZOKIO_WORKER_THREADS', config, env, availableParallelism(), (v, w) =>
      integer('workerThreads', v, w, 1, 1024),
    ),
    maxBlockingThreads: pick('maxBlockingThreads', 'ZOKIO_MAX_BLOCKING_THREADS', config, env, 64, (v, w) =>
      integer('maxBlockingThreads', v, w, 1, 1024),
    ),
    threadKeepAlive: pick('threadKeepAlive', 'ZOKIO_THREAD_KEEP_ALIVE', config, env, 10_000, (v, w) =>
      integer('threadKeepAlive', v, w, 0),
    ),
    slowPollThreshold: pick<number | undefined>(
      'slowPollThreshold',
      'ZOKIO_SLOW_POLL_THRESHOLD_US',
      config,
      env,
      undefined,
      (v, w) => integer('slowPollThreshold', v, w, 0),
    ),
    pollTimeHistogram: pick(
      'pollTimeHistogram',
      'ZOKIO_POLL_TIME_HISTOGRAM',
      config,
      env,
      false,
      boolean('pollTimeHistogram'),
    ),
    ...observers(config),
    ...bufferPool(config, env),
    ioFaults: pick<FaultOptions | undefined>('ioFaults', 'ZOKIO_IO_FAULTS', config, env, undefined, faultOptions),
    seed: pick<number | undefined>('seed', 'ZOKIO_SEED', config, env, undefined, (v, w) =>
      integer('seed', v, w, 1, 0xffffffff),
    ),
  };
}

function bufferPool(
  config: RuntimeConfig,
  env: NodeJS.ProcessEnv,
): Pick<ResolvedConfig, 'bufferArenaBytes' | 'bufferPoolMaxBytes' | 'bufferPoolMaxWaitMs'> {
  const arena = pick('bufferArenaBytes', 'ZOKIO_BUFFER_ARENA_BYTES', config, env, 4 << 20, (v, w) => {
    const bytes = integer('bufferArenaBytes', v, w, 1 << 16, 1 << 30);
    if (bytes % (1 << 16) !== 0)
      throw new TypeError(`Expected bufferArenaBytes${w} to be a multiple of 65536 (64 KiB), got number ${bytes}`);
    return bytes;
  });
  const max = pick('bufferPoolMaxBytes', 'ZOKIO_BUFFER_POOL_MAX_BYTES', config, env, 64 << 20, (v, w) =>
    integer('bufferPoolMaxBytes', v, w, 1 << 16, 2 ** 40),
  );
  if (max.value < arena.value)
    throw new TypeError(
      `Expected bufferPoolMaxBytes (${max.source}) to be at least bufferArenaBytes (${arena.value}), got ${max.value}`,
    );
  const maxWait = pick('bufferPoolMaxWaitMs', 'ZOKIO_BUFFER_POOL_MAX_WAIT_MS', config, env, 2000, (v, w) =>
    integer('bufferPoolMaxWaitMs', v, w, 0, 3_600_000),
  );
  return { bufferArenaBytes: arena, bufferPoolMaxBytes: max, bufferPoolMaxWaitMs: maxWait };
}

function observers(config: RuntimeConfig): Pick<ResolvedConfig, 'hooks' | 'onSlowPoll'> {
  const hooks: { -readonly [K in keyof TaskHooks]: TaskHooks[K] } = {};
  for (const name of ['onTaskSpawn', 'onTaskTerminate', 'onBeforePoll', 'onAfterPoll'] as const) {
    const hook = config[name];
    if (hook === undefined) continue;
    if (typeof hook !== 'function')
      throw new TypeError(`Expected ${name} to be a function, got ${describeValue(hook)}`);
    hooks[name] = hook;
  }
  const onSlowPoll = config.onSlowPoll;
  if (onSlowPoll !== undefined && typeof onSlowPoll !== 'function')
    throw new TypeError(`Expected onSlowPoll to be a function, got ${describeValue(onSlowPoll)}`);
  return { hooks: Object.keys(hooks).length === 0 ? undefined : hooks, onSlowPoll };
}

function timeOptions(
  config: RuntimeConfig,
  env: NodeJS.ProcessEnv,
): Pick<ResolvedConfig, 'enableTime' | 'startPaused'> {
  const enableTime = pick('enableTime', 'ZOKIO_ENABLE_TIME', config, env, true, boolean('enableTime'));
  const startPaused = pick('startPaused', 'ZOKIO_START_PAUSED', config, env, false, boolean('startPaused'));
  if (startPaused.value && !enableTime.value) {
    throw new TypeError(
      `Expected enableTime to be true when startPaused is true, got enableTime false (${enableTime.source}): a paused clock needs the time driver`,
    );
  }
  return { enableTime, startPaused };
}
