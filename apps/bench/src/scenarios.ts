/**
 * The scenarios, after Tokio's `benches/rt_multi_threaded.rs`, `benches/spawn.rs`, `benches/sync_mpsc.rs` and
 * `benches/sync_semaphore.rs`, the I/O driver's, `@zokio/fs`'s, `@zokio/net`'s and `@zokio/http`'s, the worker
 * pool's, and their sizes.
 *
 * Shared by the runner (titles, units, how many operations a run is) and the contender scripts (the sizes to run).
 * Each contender implements every scenario with its own idioms; see the README for what each peer's equivalent is.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { serveTarget, SITE_FILES } from './http/site.js';

/** The scenario names, as given on the command line and written in results. */
export const RUNTIME_SCENARIOS = [
  'spawn',
  'yield_many',
  'ping_pong',
  'chained_spawn',
  'timers',
  'channel_ping_pong',
  'mpsc_contention',
  'semaphore',
] as const;

/** The I/O driver's scenarios: their own contenders (`IO_CONTENDERS`), each run at several variants. */
export const IO_SCENARIOS = ['driver_read', 'driver_nop'] as const;

/** `@zokio/fs` against Node's `fs`: whole small files, random reads, one big sequential read. */
export const FS_SCENARIOS = ['small_files', 'file_random_read', 'sequential_read'] as const;

/** `@zokio/net` against `node:net`: an echo server's round trips, and the memory of idle connections. */
export const NET_SCENARIOS = ['tcp_echo', 'conn_memory'] as const;

/**
 * Loaded by `wrk`: `@zokio/http` against `node:http` and a minimal HTTP server on `node:net` (`http_hello`), and
 * `@zokio/serve` against static file servers on `node:http` (`serve_static`).
 */
export const HTTP_SCENARIOS = ['http_hello', 'serve_static'] as const;

/**
 * Worker-thread pools: zokio's jobs (`rt.spawnJob` on a `multi_thread` runtime) against piscina, tinypool and
 * workerpool: tiny jobs (the cost of a round trip to a thread), ~5 ms jobs (the overhead around real work), and a
 * recursive fork-join at 1, 2, 4, … threads (how it scales).
 */
export const POOL_SCENARIOS = ['worker_tiny', 'worker_heavy', 'fork_join'] as const;

export const SCENARIOS = [
  ...RUNTIME_SCENARIOS,
  ...IO_SCENARIOS,
  ...FS_SCENARIOS,
  ...NET_SCENARIOS,
  ...HTTP_SCENARIOS,
  ...POOL_SCENARIOS,
] as const;

export type RuntimeScenarioName = (typeof RUNTIME_SCENARIOS)[number];
export type IoScenarioName = (typeof IO_SCENARIOS)[number];
export type FsScenarioName = (typeof FS_SCENARIOS)[number];
export type NetScenarioName = (typeof NET_SCENARIOS)[number];
export type HttpScenarioName = (typeof HTTP_SCENARIOS)[number];
export type PoolScenarioName = (typeof POOL_SCENARIOS)[number];
export type ScenarioName = (typeof SCENARIOS)[number];

/** The runtime scenarios' contenders, in report order; the first is their baseline. */
export const RUNTIME_CONTENDERS = ['promise', 'zokio', 'effect', 'effection'] as const;

/**
 * The I/O scenarios' contenders, in report order: zokio's raw driver on each backend, Node's two file-read APIs,
 * and fio (io_uring engine) where it is installed. `driver_read` divides by `fs.read`; `driver_nop` runs only the
 * two zokio backends.
 */
export const IO_CONTENDERS = ['fs.read', 'FileHandle.read', 'zokio-io_uring', 'zokio-js', 'fio'] as const;

/**
 * The `@zokio/fs` scenarios' contenders: Node's file APIs, and `@zokio/fs` on a runtime. A `zokio-…` contender
 * is named after the `@zokio/fs` call it makes and runs on the io_uring backend, unless its name ends in another
 * backend (`-epoll`, `-js`). Each scenario runs the ones of its `contenders` list.
 */
export const FS_CONTENDERS = [
  'fs.promises.readFile',
  'fs.readFileSync',
  'fs.read',
  'FileHandle.read',
  'fs.createReadStream',
  'zokio-readFile',
  'zokio-readFile-epoll',
  'zokio-readFile-js',
  'zokio-readAt',
  'zokio-readInto',
  'zokio-readOwned',
  'zokio-File.read',
] as const;

/**
 * The TCP scenarios' contenders: the server a load client talks to, each in its own process. `node:net` is
 * `net.createServer` with `socket.pipe(socket)` (the baseline); `zokio-<backend>` is a `TcpListener` on a runtime
 * with that I/O backend, one spawned task per connection (`read` → `writeAll`).
 */
export const NET_CONTENDERS = ['node:net', 'zokio-io_uring', 'zokio-epoll', 'zokio-js'] as const;

/**
 * The HTTP scenarios' contenders: the server `wrk` loads, each in its own process. `node:http` is
 * `http.createServer` (the baseline); `node:net` is a minimal HTTP server on `net.createServer` that answers every
 * request head with the same fixed response; `zokio-<backend>` is `HttpServer` from `@zokio/http` on a runtime with
 * that I/O backend.
 */
export const HTTP_CONTENDERS = ['node:http', 'node:net', 'zokio-io_uring', 'zokio-epoll'] as const;

/**
 * `serve_static`'s contenders: a static file server `wrk` loads, each in its own process, serving the same generated
 * site. `node:http+fs` is `http.createServer` with `fs.promises` `stat` and `readFile` on every request (the
 * baseline); `sirv` and `serve-static` are those middlewares on `http.createServer`; `zokio-<backend>` is
 * `staticFiles` from `@zokio/serve` on `HttpServer` from `@zokio/http`, on a runtime with that I/O backend.
 */
export const SERVE_CONTENDERS = ['node:http+fs', 'sirv', 'serve-static', 'zokio-io_uring', 'zokio-epoll'] as const;

/**
 * The worker-pool scenarios' contenders, each a pool of worker threads in the child's process: piscina (the
 * baseline), tinypool (a fork of piscina with fewer features), workerpool (`workerType: 'thread'`), and zokio's
 * `multi_thread` runtime (`rt.spawnJob`, and `spawnJob` from inside a job for `fork_join`).
 */
export const POOL_CONTENDERS = ['piscina', 'tinypool', 'workerpool', 'zokio'] as const;

/** `spawn`: N tasks suspend on one gate; the gate opens; all are joined. */
export interface SpawnParams {
  readonly tasks: number;
}

/** `yield_many`: `tasks` tasks each yield `yields` times, interleaved. */
export interface YieldManyParams {
  readonly tasks: number;
  readonly yields: number;
}

/** `ping_pong`: `pairs` pairs exchange one round trip over two one-shots; `rounds` times. */
export interface PingPongParams {
  readonly pairs: number;
  readonly rounds: number;
}

/** `chained_spawn`: each task of a chain `depth` long spawns the next; the last signals done; `rounds` times. */
export interface ChainedSpawnParams {
  readonly depth: number;
  readonly rounds: number;
}

/**
 * `timers`: `sleeps` sleeps of whole-millisecond durations drawn uniformly from 0 to `maxMs` (the same for every
 * contender: see `sleepDurations`), all started together, then all awaited.
 */
export interface TimersParams {
  readonly sleeps: number;
  readonly maxMs: number;
  /** Seed of the durations: every contender sleeps the same list. */
  readonly seed: number;
}

/** `channel_ping_pong`: one producer sends `messages` values through a channel of capacity 1 to one consumer. */
export interface ChannelPingPongParams {
  readonly messages: number;
}

/** `mpsc_contention`: `producers` tasks each send `perProducer` values into one channel of `capacity`; `rounds` times. */
export interface MpscContentionParams {
  readonly producers: number;
  readonly perProducer: number;
  readonly capacity: number;
  readonly rounds: number;
}

/** `semaphore`: `tasks` tasks each acquire one of `permits` permits, yield once and release, `iterations` times. */
export interface SemaphoreParams {
  readonly tasks: number;
  readonly permits: number;
  readonly iterations: number;
}

/**
 * `driver_read`: 4 KiB random reads from one page-cached file, `depth` reads in flight at every moment (when one
 * completes, the next is submitted), for each depth of `depths`. Offsets are whole blocks from a seeded generator
 * (`randomOffsets`), the same list for every contender and process.
 */
export interface DriverReadParams {
  readonly depths: readonly number[];
  /**
   * Reads per measured run, by contender, one per depth (same order as `depths`): chosen from the rates measured on
   * the 2-core reference machine so that each run lasts about a second. The rates differ 50-fold between
   * contenders, so one size for all would make the fastest runs a few milliseconds long.
   */
  readonly reads: Readonly<Record<string, readonly number[]>>;
  readonly fileBytes: number;
  readonly blockBytes: number;
  readonly seed: number;
  /** fio is time-based: how long each fio run lasts. */
  readonly fioSeconds: number;
}

/** `driver_nop`: nops submitted `batch` at a time in one tick; once all complete, the next batch; for each batch. */
export interface DriverNopParams {
  readonly batches: readonly number[];
  /** Nops per measured run, by contender, one per batch size (a multiple of it). */
  readonly ops: Readonly<Record<string, readonly number[]>>;
}

/**
 * `small_files`: a set of `files` files of seeded random sizes from `minBytes` to `maxBytes` (`smallFileSizes`),
 * created once; a run reads `reads` whole files (file `i % files` for the i-th), `depth` in flight at every moment.
 */
export interface SmallFilesParams {
  readonly files: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly seed: number;
  /** Whole files read per measured run: more than `files` goes round the set again. */
  readonly reads: number;
  /** Reads in flight for the concurrent contenders (`readFileSync` reads one at a time). */
  readonly depth: number;
}

/**
 * `file_random_read`: `driver_read` through `@zokio/fs` (`File.readAt`, `File.readOwned`) instead of the raw driver:
 * 4 KiB reads at seeded block-aligned offsets of the same file, `depth` in flight, for each depth of `depths`.
 */
export type FileRandomReadParams = Omit<DriverReadParams, 'fioSeconds'>;

/** `sequential_read`: the whole file of `fileBytes`, front to back, once per measured run. */
export interface SequentialReadParams {
  readonly fileBytes: number;
  /** Chunk of the `File.read` loop (`createReadStream` keeps its default `highWaterMark`). */
  readonly chunkBytes: number;
  /** Whole reads of the file before the measured one, to warm up (each one a 1 GiB buffer for the `readFile`s). */
  readonly warmupPasses: number;
}

/**
 * `tcp_echo`: `connections` connections to an echo server on 127.0.0.1, each sending `messageBytes`, waiting for
 * all of them to come back, and sending again; for each count of `connections`. A run is `warmupMs` of that, then
 * `durationMs` measured, or `maxRoundTrips` round trips if that comes first.
 */
export interface TcpEchoParams {
  readonly connections: readonly number[];
  readonly messageBytes: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** The bound on a measured run's round trips, whatever the rate. */
  readonly maxRoundTrips: number;
  /** The bound on connecting, warming up and draining, in the client; the child adds its own margin. */
  readonly timeoutMs: number;
}

/**
 * `conn_memory`: `connections` connections to the server, each checked by one round trip of `messageBytes`, then
 * held idle; the server's resident set after they are established and idle (after a full GC), less before. Fewer
 * connections where the per-process fd limit (`RLIMIT_NOFILE`) does not leave room for `connections` plus
 * `fdHeadroom` (the server and the client each hold one fd per connection).
 */
export interface ConnMemoryParams {
  readonly connections: number;
  readonly messageBytes: number;
  /** Connections opened, pinged and closed before the first sample, so the code paths are compiled. */
  readonly warmupConnections: number;
  /** How long the connections stay idle before the second sample. */
  readonly idleMs: number;
  /** The bound on establishing them all, in the client. */
  readonly timeoutMs: number;
  /** Fds kept free in each process besides one per connection (Node's own, the ring's, stdio). */
  readonly fdHeadroom: number;
}

/**
 * `http_hello`: `wrk` with one thread and N connections (N of `connections`) against a server answering every
 * `GET /` with `Hello, World!`: `warmupS` seconds of warm-up, then `durationS` seconds measured (wrk takes whole
 * seconds). The server is pinned to one CPU and wrk to another where the machine has two.
 */
export interface HttpHelloParams extends HttpLoad {
  readonly connections: readonly number[];
}

/** How wrk loads a server in the HTTP scenarios: its threads, the warm-up and measured runs, its timeout. */
export interface HttpLoad {
  /** wrk's `-t`. */
  readonly threads: number;
  readonly warmupS: number;
  readonly durationS: number;
  /** wrk's `--timeout`: a response later than this counts as a timeout error (wrk's default is 2 s). */
  readonly timeoutS: number;
}

/**
 * `serve_static`: `wrk` with one thread and `connections` connections against a static file server serving a
 * generated site (`http/site.ts`), requesting one file per variant: `files` are the variants, each the size in KiB
 * of the file requested (18: `GET /`, the index page; 100: `GET /assets/app.js`). Warm-up and measured runs as
 * `http_hello`'s.
 */
export interface ServeStaticParams extends HttpLoad {
  readonly connections: number;
  readonly files: readonly number[];
}

/** `worker_tiny`: `jobs` jobs that each return `x + 1`, all submitted at once, then all awaited. */
export interface WorkerTinyParams {
  readonly jobs: number;
}

/**
 * `worker_heavy`: `jobs` jobs of a busy loop sized (on the calling thread, before the run) to take `jobUs` µs, all
 * submitted at once to W = `availableParallelism()` threads, then all awaited.
 */
export interface WorkerHeavyParams {
  readonly jobs: number;
  /** The busy loop's target duration, µs: its iterations are calibrated to it, its real duration measured. */
  readonly jobUs: number;
}

/**
 * `fork_join`: fib(`n`) as a tree of jobs, each node above `cutoff` split in two, each at or below it computed
 * sequentially in one job; at 1, 2, 4, … threads up to `maxWorkers` (a variant each).
 */
export interface ForkJoinParams {
  readonly n: number;
  readonly cutoff: number;
  /** The largest thread count of the curve (the runner's `--workers`); `availableParallelism()` when absent. */
  readonly maxWorkers?: number;
}

export interface Params {
  readonly spawn: SpawnParams;
  readonly yield_many: YieldManyParams;
  readonly ping_pong: PingPongParams;
  readonly chained_spawn: ChainedSpawnParams;
  readonly timers: TimersParams;
  readonly channel_ping_pong: ChannelPingPongParams;
  readonly mpsc_contention: MpscContentionParams;
  readonly semaphore: SemaphoreParams;
  readonly driver_read: DriverReadParams;
  readonly driver_nop: DriverNopParams;
  readonly small_files: SmallFilesParams;
  readonly file_random_read: FileRandomReadParams;
  readonly sequential_read: SequentialReadParams;
  readonly tcp_echo: TcpEchoParams;
  readonly conn_memory: ConnMemoryParams;
  readonly http_hello: HttpHelloParams;
  readonly serve_static: ServeStaticParams;
  readonly worker_tiny: WorkerTinyParams;
  readonly worker_heavy: WorkerHeavyParams;
  readonly fork_join: ForkJoinParams;
}

/** The file `driver_read` reads: 1 GiB, in the page cache. `file_random_read` and `sequential_read` read it too. */
const BENCH_FILE = { fileBytes: 2 ** 30, blockBytes: 4096, seed: 0x5eed } as const;

/** What every `tcp_echo` run shares: 64-byte messages. */
const TCP_ECHO = { messageBytes: 64, timeoutMs: 20_000 } as const;

/** What every `conn_memory` run shares. */
const CONN_MEMORY = {
  messageBytes: 64,
  warmupConnections: 64,
  idleMs: 500,
  timeoutMs: 30_000,
  fdHeadroom: 256,
} as const;

/** The file set `small_files` reads: 10,000 files of 1 – 16 KiB, about 85 MB in all. */
const SMALL_FILES = { files: 10_000, minBytes: 1024, maxBytes: 16 * 1024, seed: 0x5eed, depth: 64 } as const;

/**
 * Sizes of the full run. Chosen so that 4 contenders × 8 scenarios × 5 rounds, each in a fresh process, finish in
 * about 7 minutes on a 2-core machine (most of it Effection's `spawn` and `ping_pong`, and the 1 s of `timers`).
 */
export const FULL: Params = {
  spawn: { tasks: 1_000_000 },
  yield_many: { tasks: 200, yields: 1_000 },
  ping_pong: { pairs: 1_000, rounds: 50 },
  chained_spawn: { depth: 1_000, rounds: 200 },
  timers: { sleeps: 100_000, maxMs: 1_000, seed: 0x5eed },
  channel_ping_pong: { messages: 1_000_000 },
  // Tokio's `contention/bounded_full`: 5 producers × 1,000 messages into a channel of 100.
  mpsc_contention: { producers: 5, perProducer: 1_000, capacity: 100, rounds: 400 },
  semaphore: { tasks: 1_000, permits: 10, iterations: 500 },
  // About 1 s per run at the rates measured on the reference machine (2-core AMD EPYC, Node 20, Linux 6.18).
  driver_read: {
    depths: [1, 16, 64, 256],
    reads: {
      'fs.read': [20_000, 200_000, 300_000, 300_000],
      'FileHandle.read': [20_000, 100_000, 100_000, 100_000],
      'zokio-io_uring': [300_000, 800_000, 800_000, 800_000],
      'zokio-js': [25_000, 150_000, 300_000, 300_000],
    },
    ...BENCH_FILE,
    fioSeconds: 1,
  },
  driver_nop: {
    batches: [1, 8, 64],
    ops: { 'zokio-js': [400_000, 1_000_000, 1_600_000], 'zokio-io_uring': [500_000, 1_600_000, 2_560_000] },
  },
  // Five passes over the set: from about 0.5 s (readFileSync) to 2.5 s (fs.promises.readFile) per run.
  small_files: { ...SMALL_FILES, reads: 50_000 },
  // About 0.5 s per run at the rates measured on the reference machine: 48 children stay under a minute.
  file_random_read: {
    depths: [1, 16, 64, 256],
    reads: {
      'fs.read': [10_000, 100_000, 150_000, 150_000],
      'FileHandle.read': [10_000, 50_000, 50_000, 50_000],
      'zokio-readAt': [50_000, 150_000, 150_000, 150_000],
      'zokio-readInto': [50_000, 150_000, 200_000, 200_000],
      'zokio-readOwned': [100_000, 250_000, 250_000, 250_000],
    },
    ...BENCH_FILE,
  },
  sequential_read: { fileBytes: BENCH_FILE.fileBytes, chunkBytes: 64 * 1024, warmupPasses: 1 },
  // About 1.5 s of load per run (0.3 s warm-up, 1 s measured), bounded by count as well as time.
  tcp_echo: { ...TCP_ECHO, connections: [1, 64, 512], warmupMs: 300, durationMs: 1_000, maxRoundTrips: 2_000_000 },
  conn_memory: { ...CONN_MEMORY, connections: 10_000 },
  // 1 s of warm-up and 5 s measured per run: about 7 s per child with the server's start, 2.8 minutes for
  // 4 contenders × 2 connection counts × 3 rounds.
  http_hello: { connections: [50, 256], threads: 1, warmupS: 1, durationS: 5, timeoutS: 2 },
  // http_hello's wrk at 50 connections, for each of the two files: 5 contenders × 2 files × 3 rounds, about 7 s a
  // child.
  serve_static: { connections: 50, files: [18, 100], threads: 1, warmupS: 1, durationS: 5, timeoutS: 2 },
  // Under a second per run for piscina on the reference machine (2 cores: 2 threads).
  worker_tiny: { jobs: 200_000 },
  // 2,000 jobs × 5 ms on W threads: 10 s ÷ W of work per run (5 s on 2 cores).
  worker_heavy: { jobs: 2_000, jobUs: 5_000 },
  // fib(36) with leaves of fib(22) and fib(21): 987 leaf jobs of 0.1 – 0.4 ms, about 0.3 s of work in all.
  fork_join: { n: 36, cutoff: 22 },
};

/** Sizes of `--quick`: a smoke run that proves every contender works, not a measurement. */
export const QUICK: Params = {
  spawn: { tasks: 50_000 },
  yield_many: { tasks: 50, yields: 200 },
  ping_pong: { pairs: 1_000, rounds: 2 },
  chained_spawn: { depth: 1_000, rounds: 5 },
  timers: { sleeps: 10_000, maxMs: 100, seed: 0x5eed },
  channel_ping_pong: { messages: 20_000 },
  mpsc_contention: { producers: 5, perProducer: 1_000, capacity: 100, rounds: 4 },
  semaphore: { tasks: 1_000, permits: 10, iterations: 5 },
  driver_read: {
    depths: [1, 64],
    reads: {
      'fs.read': [2_000, 20_000],
      'FileHandle.read': [2_000, 10_000],
      'zokio-io_uring': [20_000, 50_000],
      'zokio-js': [2_000, 20_000],
    },
    ...BENCH_FILE,
    fioSeconds: 0.2,
  },
  driver_nop: {
    batches: [1, 64],
    ops: { 'zokio-js': [20_000, 64_000], 'zokio-io_uring': [20_000, 64_000] },
  },
  // The same set as the full run (created once), a fifth of it read.
  small_files: { ...SMALL_FILES, reads: 2_000 },
  file_random_read: {
    depths: [1, 64],
    reads: {
      'fs.read': [2_000, 20_000],
      'FileHandle.read': [2_000, 10_000],
      'zokio-readAt': [5_000, 20_000],
      'zokio-readInto': [5_000, 20_000],
      'zokio-readOwned': [5_000, 20_000],
    },
    ...BENCH_FILE,
  },
  // The same 1 GiB file (the runner prepares one file for every scenario), read once, no warm-up pass.
  sequential_read: { fileBytes: BENCH_FILE.fileBytes, chunkBytes: 64 * 1024, warmupPasses: 0 },
  tcp_echo: { ...TCP_ECHO, connections: [1, 64], warmupMs: 50, durationMs: 200, maxRoundTrips: 200_000 },
  conn_memory: { ...CONN_MEMORY, connections: 1_000, idleMs: 100 },
  // 1 s of warm-up and 2 s measured: about 3.5 s per child, under 30 s for the 8 children.
  http_hello: { ...FULL.http_hello, warmupS: 1, durationS: 2 },
  // The same: 1 s of warm-up and 2 s measured, 10 children.
  serve_static: { ...FULL.serve_static, warmupS: 1, durationS: 2 },
  worker_tiny: { jobs: 20_000 },
  worker_heavy: { jobs: 100, jobUs: 5_000 },
  fork_join: { n: 30, cutoff: 22 },
};

/** Sizes of the warm-up each child runs before its measured run, so the JIT has compiled the hot paths. */
export const WARMUP: Params = {
  // Small for spawn: Effection takes ~150 µs a task. A million-task run is long enough to tier up during it.
  spawn: { tasks: 10_000 },
  yield_many: { tasks: 200, yields: 200 },
  ping_pong: { pairs: 1_000, rounds: 5 },
  chained_spawn: { depth: 1_000, rounds: 20 },
  // Small and short for timers: the warm-up compiles the sleep path without growing the heap the measured run's
  // peak RSS is compared against (1,000 short sleeps hold well under 1 MB).
  timers: { sleeps: 1_000, maxMs: 10, seed: 0x5eed },
  channel_ping_pong: { messages: 20_000 },
  mpsc_contention: { producers: 5, perProducer: 1_000, capacity: 100, rounds: 10 },
  semaphore: { tasks: 1_000, permits: 10, iterations: 10 },
  // The I/O scenarios warm up on the first tenth of their measured run (see `io/harness.ts`): the sizes differ by
  // contender and variant, so these are unused.
  driver_read: FULL.driver_read,
  driver_nop: FULL.driver_nop,
  // So do the fs scenarios (see `fs/harness.ts`): a tenth of the run, or whole passes for `sequential_read`.
  small_files: FULL.small_files,
  file_random_read: FULL.file_random_read,
  sequential_read: FULL.sequential_read,
  // The TCP scenarios warm up inside the run (`warmupMs`, `warmupConnections`): unused.
  tcp_echo: FULL.tcp_echo,
  conn_memory: FULL.conn_memory,
  // So do the HTTP scenarios (`warmupS`, a wrk run of its own): unused.
  http_hello: FULL.http_hello,
  serve_static: FULL.serve_static,
  // The pool scenarios warm every thread up on a smaller run of the same jobs, on the pool they measure;
  // fork_join on two runs of the measured size instead (see the harness), so its entry here is unused.
  worker_tiny: { jobs: 20_000 },
  worker_heavy: { jobs: 50, jobUs: 5_000 },
  fork_join: { n: 32, cutoff: 22 },
};

/** How a scenario is reported. */
export interface ScenarioInfo {
  readonly title: string;
  /** What one operation is, for `opsPerSec`: `tasks/s`, `yields/s`, … */
  readonly unit: string;
  /**
   * Operations in one run of the given size: the numerator of `opsPerSec`. The I/O scenarios size each run by
   * contender and variant (`run`); the others ignore it.
   */
  ops(params: Params, run?: { readonly contender: string; readonly variant: number }): number;
  /** The size of a run in words, for the report. */
  describe(params: Params): string;
  /** What a reader must know to read the Promise baseline of this scenario, printed under its table. */
  readonly caveat?: string;
  /** A second rate derived from the first (yield_many's tasks/s), if the scenario reports one. */
  readonly secondary?: { readonly unit: string; divisor(params: Params): number };
  /**
   * What a run is judged by. `throughput`: operations per second. `cost`: the run's length is fixed by the scenario
   * (the longest sleep), so it is judged by what it costs instead: CPU time, peak RSS growth, and how late each
   * timer wakes. A child measures CPU and RSS only for a `cost` scenario. `memory`: what a resource costs to hold
   * (`conn_memory`: bytes per idle connection); its rate is a side figure. `overhead`: the time a pool spends per
   * job beyond the job's own (`worker_heavy`), lower is better; its rate is a side figure.
   */
  readonly measures: 'throughput' | 'cost' | 'memory' | 'overhead';
  /** A second contender to divide by, besides the baseline, when the scenario's target is phrased against it. */
  readonly alsoAgainst?: string;
  /** The target this scenario tracks, printed under its table. */
  readonly target?: string;
  /** Who runs it, in report order, if not the runtime contenders; the first is the baseline of its ratios. */
  readonly contenders?: readonly string[];
  /** Each variant (a queue depth, a batch size) is measured and reported on its own: one table and chart each. */
  readonly variants?: Variants;
  /** Rounds when `--rounds` is not given, if not the runner's default. */
  readonly rounds?: number;
  /** Targets checked against the medians, each reported as met or not. */
  readonly checks?: readonly TargetCheck[];
  /** Also print the wall time per operation (1 / throughput), in ns. */
  readonly nsPerOp?: boolean;
  /** `memory` scenarios: bounds on a contender's bytes per connection, each reported as met or not. */
  readonly limits?: readonly MemoryLimit[];
  /** `overhead` scenarios: bounds on a contender's overhead per job, each reported as met or not. */
  readonly overheadLimits?: readonly OverheadLimit[];
  /** The variants are thread counts: also report each contender's speed-up over its own run at 1 thread. */
  readonly speedup?: boolean;
}

/** A target of the form "`contender` spends ≤ `atMostUs` µs per job beyond the job itself". */
export interface OverheadLimit {
  readonly contender: string;
  readonly atMostUs: number;
}

/** A target of the form "`contender` holds ≤ `atMostBytes` per connection". */
export interface MemoryLimit {
  readonly contender: string;
  readonly atMostBytes: number;
}

/** The variants of a scenario: what varies, and its values. */
export interface Variants {
  /** `queue depth`, `batch`. */
  readonly name: string;
  values(params: Params): readonly number[];
  /** For headings and chart titles: `64 in flight`. */
  label(value: number): string;
  /** For chart file names: `qd64`. */
  slug(value: number): string;
}

/** A target of the form "`contender` ≥ `atLeast` × `against` [at `variant`]". */
export interface TargetCheck {
  readonly contender: string;
  readonly against: string;
  /** The variant it is checked at; none for a scenario without variants. */
  readonly variant?: number;
  readonly atLeast: number;
}

const fmt = (n: number) => n.toLocaleString('en-US');

const RUNTIME_INFO: Readonly<Record<RuntimeScenarioName, ScenarioInfo>> = {
  spawn: {
    title: 'spawn: tasks suspended on one gate',
    unit: 'tasks/s',
    ops: (p) => p.spawn.tasks,
    measures: 'throughput',
    describe: (p) => `${fmt(p.spawn.tasks)} tasks each wait once on a shared gate; the gate opens; all are joined`,
  },
  yield_many: {
    title: 'yield_many: tasks that yield to each other',
    unit: 'yields/s',
    ops: (p) => p.yield_many.tasks * p.yield_many.yields,
    describe: (p) => `${fmt(p.yield_many.tasks)} tasks × ${fmt(p.yield_many.yields)} yields each, interleaved`,
    secondary: { unit: 'tasks/s', divisor: (p) => p.yield_many.yields },
    measures: 'throughput',
    caveat:
      "The Promise yield is `await null`, a microtask hop that never returns to libuv; zokio's scheduler returns to " +
      'libuv every 61 polls and Effect runs fibers in `setImmediate` batches, so that timers and sockets are not starved.',
  },
  ping_pong: {
    title: 'ping_pong: round trips over one-shot channels',
    unit: 'round trips/s',
    ops: (p) => p.ping_pong.pairs * p.ping_pong.rounds,
    measures: 'throughput',
    describe: (p) =>
      `${fmt(p.ping_pong.pairs)} pairs (A spawns B, A→B and B→A over one-shots) × ${fmt(p.ping_pong.rounds)} rounds`,
  },
  chained_spawn: {
    title: 'chained_spawn: each task spawns the next',
    unit: 'spawns/s',
    ops: (p) => p.chained_spawn.depth * p.chained_spawn.rounds,
    measures: 'throughput',
    describe: (p) =>
      `A chain ${fmt(p.chained_spawn.depth)} tasks deep, the last signals done, × ${fmt(p.chained_spawn.rounds)} rounds`,
    caveat:
      'A Promise "spawn" (calling an async function) runs at once on the caller\'s stack: the Promise chain is ' +
      'nested calls with no run queue, so its rate is the cost of an async call, not of scheduling a task.',
  },
  timers: {
    title: 'timers: concurrent sleeps',
    unit: 'sleeps/s',
    ops: (p) => p.timers.sleeps,
    measures: 'cost',
    describe: (p) =>
      `${fmt(p.timers.sleeps)} concurrent sleeps of 0 – ${fmt(p.timers.maxMs)} ms (seeded, the same for everyone), ` +
      'one task each, all started together, then all awaited',
    target: 'zokio CPU time ≤ 0.5× and peak RSS growth ≤ 0.5× those of `setTimeout`, overshoot no worse.',
    caveat:
      'Overshoot is wake time − requested deadline, both read with `performance.now()` in the task, so it includes ' +
      'getting the task running again. Sleeps shorter than the time it takes to start all of them wake late by ' +
      'that start-up burst (nothing fires while a synchronous loop starts timers): it shows in p99 and max.',
  },
  channel_ping_pong: {
    title: 'channel_ping_pong: messages through a channel of capacity 1',
    unit: 'messages/s',
    ops: (p) => p.channel_ping_pong.messages,
    measures: 'throughput',
    alsoAgainst: 'effect',
    describe: (p) =>
      `One producer sends ${fmt(p.channel_ping_pong.messages)} messages through a bounded channel of capacity 1 to ` +
      'one consumer: every send after the first waits for the consumer to take the last',
    target: 'zokio ≥ 4× Effect `Queue.bounded(1)`.',
    caveat:
      'Node has no channel: the Promise and Effection contenders use a minimal bounded queue written for the bench ' +
      '(`src/contenders/promise-sync.ts`, `effection-sync.ts`).',
  },
  mpsc_contention: {
    title: 'mpsc_contention: producers contending for a bounded channel',
    unit: 'messages/s',
    ops: (p) => p.mpsc_contention.producers * p.mpsc_contention.perProducer * p.mpsc_contention.rounds,
    measures: 'throughput',
    alsoAgainst: 'effect',
    describe: (p) => {
      const m = p.mpsc_contention;
      return (
        `${fmt(m.producers)} producers × ${fmt(m.perProducer)} messages into one channel of capacity ` +
        `${fmt(m.capacity)}, one consumer (Tokio's \`contention/bounded_full\`), × ${fmt(m.rounds)} rounds`
      );
    },
    caveat:
      'Node has no channel: the Promise and Effection contenders use a minimal bounded queue written for the bench ' +
      '(`src/contenders/promise-sync.ts`, `effection-sync.ts`).',
  },
  semaphore: {
    title: 'semaphore: tasks contending for permits',
    unit: 'acquisitions/s',
    ops: (p) => p.semaphore.tasks * p.semaphore.iterations,
    measures: 'throughput',
    alsoAgainst: 'effect',
    describe: (p) => {
      const s = p.semaphore;
      return (
        `${fmt(s.tasks)} tasks × ${fmt(s.iterations)} times: acquire one of ${fmt(s.permits)} permits, yield once, ` +
        'release'
      );
    },
    caveat:
      'Node has no semaphore: the Promise and Effection contenders use a minimal FIFO semaphore written for the ' +
      'bench (`src/contenders/promise-sync.ts`, `effection-sync.ts`).',
  },
};

const contenderSize = (sizes: Readonly<Record<string, readonly number[]>>, variants: readonly number[]) =>
  function size(run?: { readonly contender: string; readonly variant: number }): number {
    const mine = run === undefined ? undefined : sizes[run.contender];
    const at = run === undefined ? -1 : variants.indexOf(run.variant);
    const n = at < 0 ? undefined : mine?.[at];
    if (n === undefined) throw new RangeError(`Expected a size for ${JSON.stringify(run)}, got none`);
    return n;
  };

const IO_INFO: Readonly<Record<IoScenarioName, ScenarioInfo>> = {
  driver_read: {
    title: 'driver_read: 4 KiB random reads from a page-cached 1 GiB file',
    unit: 'reads/s',
    ops: (p, run) => contenderSize(p.driver_read.reads, p.driver_read.depths)(run),
    measures: 'throughput',
    contenders: IO_CONTENDERS,
    alsoAgainst: 'fio',
    variants: {
      name: 'queue depth',
      values: (p) => p.driver_read.depths,
      label: (d) => `${d} in flight`,
      slug: (d) => `qd${d}`,
    },
    rounds: 3,
    describe: (p) => {
      const r = p.driver_read;
      return (
        `${fmt(r.blockBytes)}-byte reads at block-aligned offsets drawn from a seeded generator (the same list for ` +
        `every contender) over a ${fmt(r.fileBytes / 2 ** 20)} MiB file read through once before the run (so it is ` +
        `in the page cache); exactly N reads in flight, each completion submitting the next. Each contender reads a ` +
        `fixed count sized to last about 1 s (the \`n\` column); fio runs ${r.fioSeconds} s`
      );
    },
    checks: [
      { contender: 'zokio-io_uring', against: 'fs.read', variant: 1, atLeast: 5 },
      { contender: 'zokio-io_uring', against: 'fs.read', variant: 64, atLeast: 1.5 },
      { contender: 'zokio-io_uring', against: 'fio', variant: 64, atLeast: 0.8 },
    ],
    target: 'io_uring backend ≥ 5× `fs.read` at 1 in flight, ≥ 1.5× `fs.read` at 64, ≥ 0.8× fio at 64.',
    caveat:
      "`fs.read` is N concurrent callback chains and `FileHandle.read` N concurrent async loops, each on libuv's " +
      'thread pool (4 threads); the zokio contenders drive `IoDriver.read` directly (one handler object per slot, ' +
      'buffers from its pool), no runtime or future on top. fio (`--ioengine=io_uring --direct=0 --invalidate=0`, ' +
      'time-based) draws its own random offsets and keeps a random map of blocks read.',
  },
  driver_nop: {
    title: 'driver_nop: batched nops through the driver',
    unit: 'nops/s',
    ops: (p, run) => contenderSize(p.driver_nop.ops, p.driver_nop.batches)(run),
    measures: 'throughput',
    // The js backend first: the baseline of the ratios.
    contenders: ['zokio-js', 'zokio-io_uring'],
    variants: {
      name: 'batch',
      values: (p) => p.driver_nop.batches,
      label: (b) => `batches of ${b}`,
      slug: (b) => `batch${b}`,
    },
    rounds: 3,
    nsPerOp: true,
    describe: () =>
      'A batch of nops submitted in one tick (one flush), then nothing until all of them complete, then the next ' +
      'batch: the cost of a round trip through the driver and its backend, shared by the ops of a batch',
    caveat:
      'Ratios are against the js backend, whose nop completes in the next `setImmediate`; an io_uring nop is one ' +
      'SQE, completed by the kernel and reaped when libuv sees the ring fd readable.',
  },
};

/** `16 KiB`, `1 GiB`: bytes in the largest binary unit that keeps three significant digits above 1. */
const binary = (bytes: number) => {
  const [scale, unit] = bytes >= 2 ** 30 ? [2 ** 30, 'GiB'] : bytes >= 2 ** 20 ? [2 ** 20, 'MiB'] : [1024, 'KiB'];
  return `${Number((bytes / scale).toPrecision(3))} ${unit}`;
};

/** `small_files`' contenders, in report order: the first is the baseline. */
const SMALL_FILES_CONTENDERS = [
  'fs.promises.readFile',
  'fs.readFileSync',
  'zokio-readFile',
  'zokio-readFile-epoll',
  'zokio-readFile-js',
] as const;

const FS_INFO: Readonly<Record<FsScenarioName, ScenarioInfo>> = {
  small_files: {
    title: 'small_files: whole-file reads of 10,000 small files',
    unit: 'files/s',
    ops: (p) => p.small_files.reads,
    measures: 'throughput',
    contenders: SMALL_FILES_CONTENDERS,
    alsoAgainst: 'fs.readFileSync',
    rounds: 3,
    describe: (p) => {
      const f = p.small_files;
      return (
        `${fmt(f.reads)} whole-file reads (${Number((f.reads / f.files).toPrecision(3))} passes) over a set of ` +
        `${fmt(f.files)} files of ${binary(f.minBytes)} – ${binary(f.maxBytes)} (seeded sizes, created once, read through ` +
        `before the first child, so in the page cache); exactly ${f.depth} reads in flight (\`fs.readFileSync\`: one ` +
        'at a time), each completion starting the next file'
      );
    },
    checks: [
      { contender: 'zokio-readFile', against: 'fs.promises.readFile', atLeast: 3 },
      { contender: 'zokio-readFile', against: 'fs.readFileSync', atLeast: 1 },
    ],
    target: 'zokio `readFile` (io_uring) ≥ 3× `fs.promises.readFile` and ≥ 1× a `readFileSync` loop.',
    caveat:
      "`fs.promises.readFile` is 64 concurrent async loops: open, fstat, read and close, each a trip to libuv's " +
      'thread pool (4 threads) and back. zokio `readFile` is 64 spawned tasks on one runtime: open, a read of up to ' +
      '64 KiB, a read that finds the end, then close (no statx); `-epoll` and `-js` are the same calls on ' +
      "the other backends (epoll's native thread pool for files, Node's callback `fs`).",
  },
  file_random_read: {
    title: 'file_random_read: 4 KiB random reads through @zokio/fs',
    unit: 'reads/s',
    ops: (p, run) => contenderSize(p.file_random_read.reads, p.file_random_read.depths)(run),
    measures: 'throughput',
    contenders: ['fs.read', 'FileHandle.read', 'zokio-readAt', 'zokio-readInto', 'zokio-readOwned'],
    variants: {
      name: 'queue depth',
      values: (p) => p.file_random_read.depths,
      label: (d) => `${d} in flight`,
      slug: (d) => `qd${d}`,
    },
    rounds: 3,
    describe: (p) => {
      const r = p.file_random_read;
      return (
        `\`driver_read\` through \`@zokio/fs\` on a runtime: ${fmt(r.blockBytes)}-byte reads at block-aligned offsets ` +
        `from the same seeded generator, of the same ${binary(r.fileBytes)} page-cached file, one open ` +
        `file; exactly N reads in flight (N tasks, each reading its next when the last completes). Each contender ` +
        `reads a fixed count sized to last about 0.5 s (the \`n\` column)`
      );
    },
    checks: [
      { contender: 'zokio-readAt', against: 'fs.read', variant: 1, atLeast: 5 },
      { contender: 'zokio-readAt', against: 'fs.read', variant: 64, atLeast: 1.5 },
      { contender: 'zokio-readInto', against: 'fs.read', variant: 1, atLeast: 5 },
      { contender: 'zokio-readInto', against: 'fs.read', variant: 64, atLeast: 1.5 },
      { contender: 'zokio-readOwned', against: 'fs.read', variant: 1, atLeast: 5 },
      { contender: 'zokio-readOwned', against: 'fs.read', variant: 64, atLeast: 1.5 },
    ],
    target:
      '`File.readAt` (io_uring) ≥ 5× `fs.read` at 1 in flight and ≥ 1.5× at 64; `readInto` (no allocation) and ' +
      '`readOwned` (no copy) checked against the same.',
    caveat:
      '`fs.read` and `FileHandle.read` are the `driver_read` contenders, unchanged: each chain reads into the one ' +
      '`Buffer` it holds. `zokio-readAt` is `yield* file.readAt(offset, 4096)`: a new `Buffer` per read, copied ' +
      'from a pool buffer. `zokio-readInto` is `yield* file.readInto(buf, { position })`: copied into the one ' +
      '`Buffer` its task holds, as `fs.read`. `zokio-readOwned` is `yield* file.readOwned(buf, offset)`: read into ' +
      'the one pool buffer its task holds, no copy. All on io_uring, one spawned task per read in flight.',
  },
  sequential_read: {
    title: 'sequential_read: the whole 1 GiB file, front to back',
    unit: 'bytes/s',
    ops: (p) => p.sequential_read.fileBytes,
    measures: 'throughput',
    contenders: ['fs.promises.readFile', 'fs.createReadStream', 'zokio-readFile', 'zokio-File.read'],
    alsoAgainst: 'fs.createReadStream',
    rounds: 3,
    describe: (p) => {
      const s = p.sequential_read;
      return (
        `The whole ${binary(s.fileBytes)} page-cached file read once, open to close: into one buffer ` +
        `(\`fs.promises.readFile\`, zokio \`readFile\`), or in chunks, each dropped (\`fs.createReadStream\` at its ` +
        `default 64 KiB \`highWaterMark\`, zokio \`File.read(${fmt(s.chunkBytes)})\` in a loop at the fd's offset)` +
        (s.warmupPasses > 0 ? `, after ${s.warmupPasses} warm-up pass${s.warmupPasses === 1 ? '' : 'es'}` : '')
      );
    },
    checks: [
      { contender: 'zokio-readFile', against: 'fs.promises.readFile', atLeast: 1 },
      { contender: 'zokio-readFile', against: 'fs.createReadStream', atLeast: 1 },
      { contender: 'zokio-File.read', against: 'fs.promises.readFile', atLeast: 1 },
      { contender: 'zokio-File.read', against: 'fs.createReadStream', atLeast: 1 },
    ],
    target: 'zokio (io_uring) ≥ 1× `fs.promises.readFile` and ≥ 1× `fs.createReadStream`.',
    caveat:
      'The two whole-file reads allocate a 1 GiB buffer per run, and touching its pages for the first time is a ' +
      "good part of their time; the chunked reads' 64 KiB buffers are reused by the allocator. zokio `readFile` " +
      'keeps 16 reads of 64 KiB in flight (a rolling window), each into a pool buffer then copied into the result; ' +
      "Node's `readFile` reads 512 KiB at a time, one at a time, straight into the result. zokio `File.read` " +
      'copies each chunk out of a pool buffer into a new `Buffer`; `createReadStream` reads each into a new one.',
  },
};

const NET_INFO: Readonly<Record<NetScenarioName, ScenarioInfo>> = {
  tcp_echo: {
    title: 'tcp_echo: 64-byte ping-pong with an echo server',
    unit: 'round trips/s',
    // Time-bounded: the count is what the client got through, so a run reports its own `n`.
    ops: (p) => p.tcp_echo.maxRoundTrips,
    measures: 'throughput',
    contenders: NET_CONTENDERS,
    variants: {
      name: 'connection count',
      values: (p) => p.tcp_echo.connections,
      label: (c) => `${fmt(c)} connection${c === 1 ? '' : 's'}`,
      slug: (c) => `c${c}`,
    },
    rounds: 3,
    describe: (p) => {
      const e = p.tcp_echo;
      return (
        `N connections to an echo server on 127.0.0.1, each sending ${fmt(e.messageBytes)} bytes, waiting for all ` +
        `${fmt(e.messageBytes)} to come back and sending again, driven by one C++ client thread (epoll, ` +
        `\`TCP_NODELAY\`) in its own process; ${fmt(e.warmupMs)} ms of warm-up, then ${fmt(e.durationMs)} ms (at ` +
        `most ${fmt(e.maxRoundTrips)} round trips) measured. Each server is its own \`node --expose-gc\` process; ` +
        'round trips/s over the measured run, and each run’s median and p99 round-trip time'
      );
    },
    checks: [
      { contender: 'zokio-io_uring', against: 'node:net', variant: 64, atLeast: 1.3 },
      { contender: 'zokio-io_uring', against: 'node:net', variant: 512, atLeast: 1.3 },
    ],
    target: 'zokio (io_uring) ≥ 1.3× `node:net` at 64 and at 512 connections.',
    caveat:
      '`node:net` is `net.createServer` with `setNoDelay(true)` and `socket.pipe(socket)`. zokio is `TcpListener.bind` ' +
      'and one spawned task per connection: `setNoDelay()`, then `read()` → `writeAll(chunk)` until the end, on ' +
      '`Runtime.create({ io })` with the backend its name ends in. The client and the server share the machine’s ' +
      'cores with whatever else runs. `client CPU` is the load client’s CPU time over the measured run ÷ its ' +
      'length: under 100 %, the client was not what bounded the rate (one `send`, one `recv` and a share of an ' +
      '`epoll_wait` per round trip, most of it kernel time for the loopback).',
  },
  conn_memory: {
    title: 'conn_memory: what an idle connection costs the server',
    unit: 'connections/s',
    ops: (p) => p.conn_memory.connections,
    measures: 'memory',
    contenders: NET_CONTENDERS,
    rounds: 3,
    describe: (p) => {
      const m = p.conn_memory;
      return (
        `${fmt(m.connections)} connections to the server on 127.0.0.1 (fewer where the fd limit has no room: see ` +
        `the connections column), opened 128 at a time by the C++ client, each checked by one ${fmt(m.messageBytes)}-` +
        `byte round trip, then held idle ${fmt(m.idleMs)} ms. The server's resident set (and V8 heap + external) ` +
        'after `gc()` with them all idle, less the same before the first (after a warm-up of ' +
        `${fmt(m.warmupConnections)} connections opened, pinged and closed), divided by the connections`
      );
    },
    limits: [
      { contender: 'zokio-io_uring', atMostBytes: 1024 },
      { contender: 'zokio-epoll', atMostBytes: 1024 },
      { contender: 'zokio-js', atMostBytes: 1024 },
    ],
    target: 'zokio ≤ 1 KiB of server memory (RSS growth) per idle connection.',
    caveat:
      "Resident set, not heap: it counts the server's JS objects, buffer pool, ring or epoll set and native " +
      'allocations; the kernel’s socket buffers are not in it. A zokio connection is a spawned task waiting in ' +
      '`read()`, a receive in flight that takes one of the driver’s provided buffers only when data arrives; a ' +
      '`node:net` socket is a `Socket` object and a libuv handle, reading into a buffer allocated when data arrives.',
  },
};

const HTTP_INFO: Readonly<Record<HttpScenarioName, ScenarioInfo>> = {
  http_hello: {
    title: 'http_hello: `Hello, World!` under wrk',
    unit: 'requests/s',
    // Time-bounded: the count is what wrk got through, so a run reports its own `n`.
    ops: () => 0,
    measures: 'throughput',
    contenders: HTTP_CONTENDERS,
    alsoAgainst: 'node:net',
    variants: {
      name: 'connection count',
      values: (p) => p.http_hello.connections,
      label: (c) => `${fmt(c)} connection${c === 1 ? '' : 's'}`,
      slug: (c) => `c${c}`,
    },
    rounds: 3,
    describe: (p) => {
      const h = p.http_hello;
      return (
        `\`wrk -t${h.threads} -cN --latency\` (N = ${h.connections.join(', ')}) against a server on 127.0.0.1 that ` +
        'answers every `GET /` with `200`, `date`, `content-type: text/plain`, `content-length: 13` and ' +
        `\`Hello, World!\`, keep-alive: ${h.warmupS} s of warm-up, then a fresh wrk run of ${h.durationS} s measured. ` +
        'Each server is its own `node` process, pinned to one CPU with `taskset` and wrk to another (where there are ' +
        "two); requests/s and latency are wrk's, server CPU is the server process's user + system time over the " +
        'measured run (`/proc/<pid>/stat`), per request and as a share of one core'
      );
    },
    checks: [
      { contender: 'zokio-io_uring', against: 'node:http', variant: 50, atLeast: 1.8 },
      { contender: 'zokio-io_uring', against: 'node:http', variant: 256, atLeast: 1.8 },
      { contender: 'zokio-io_uring', against: 'node:net', variant: 50, atLeast: 1.1 },
      { contender: 'zokio-io_uring', against: 'node:net', variant: 256, atLeast: 1.1 },
    ],
    target: 'zokio (io_uring) ≥ 1.8× `node:http` and ≥ 1.1× the minimal `node:net` server, at 50 and 256 connections.',
    caveat:
      "`node:http` is `http.createServer` with `res.writeHead(200, { 'content-type': 'text/plain', " +
      "'content-length': 13 })` and `res.end('Hello, World!')` (the length given: `writeHead` without one commits " +
      'Node to chunked framing), Node’s defaults otherwise: its response also carries `Connection: keep-alive` and ' +
      '`Keep-Alive: timeout=5` (162 bytes to the others’ 115). `node:net` is `net.createServer`, `setNoDelay(true)`, ' +
      'and per `data` event one `write` of the fixed response for every complete request head (`\\r\\n\\r\\n`) ' +
      'received, its `date` formatted once a second: no parsing beyond that, no bodies, no limits or timeouts, the ' +
      "floor of an HTTP server on `node:net`. zokio is `HttpServer.bind('127.0.0.1:0', () => ready(RESPONSE))` " +
      'from `@zokio/http` with its default limits and timeouts (it closes a connection after 10,000 requests: wrk ' +
      'reconnects), on `Runtime.create({ io })` with the backend its name ends in. `wrk CPU` and `server CPU` are ' +
      'each process’s CPU time over the measured run ÷ its length: wrk under 100 % was not what bounded the rate; a ' +
      'server under 100 % was waiting for work, or for a CPU something else held.',
  },
  serve_static: {
    title: 'serve_static: a static site under wrk',
    unit: 'requests/s',
    // Time-bounded: the count is what wrk got through, so a run reports its own `n`.
    ops: () => 0,
    measures: 'throughput',
    contenders: SERVE_CONTENDERS,
    alsoAgainst: 'sirv',
    variants: {
      name: 'file',
      values: (p) => p.serve_static.files,
      label: (kib) => `GET ${serveTarget(kib).url} (${fmt(kib)} KiB)`,
      slug: (kib) => `${kib}k`,
    },
    rounds: 3,
    describe: (p) => {
      const s = p.serve_static;
      const files = SITE_FILES.map((f) => `\`${f.path}\` (${binary(f.bytes)})`).join(', ');
      return (
        `\`wrk -t${s.threads} -c${s.connections} --latency\` against a static file server on 127.0.0.1 serving a ` +
        `generated site written to a temporary directory before the run (${files}), requesting one file per ` +
        `table (\`GET /\`, the index page, or \`GET /assets/app.js\`), keep-alive, no \`Accept-Encoding\`: ` +
        `${s.warmupS} s of warm-up, then a fresh wrk run of ${s.durationS} s measured. Each server's answer is ` +
        'checked once first (`200`, the media type, `content-length`, an `etag`, the body byte for byte). Each ' +
        'server is its own `node` process, pinned to one CPU with `taskset` and wrk to another (where there are ' +
        "two); requests/s and latency are wrk's, server CPU is the server process's user + system time over the " +
        'measured run (`/proc/<pid>/stat`, every thread), per request and as a share of one core'
      );
    },
    caveat:
      '`node:http+fs` is `http.createServer` with what a Node program writes: on every request ' +
      '`fs.promises.stat`, then `fs.promises.readFile` (open, fstat, read, close: each a trip to libuv’s thread ' +
      'pool), then `res.writeHead(200, { content-type, content-length, etag })` and `res.end(body)`. `sirv` ' +
      "(production mode, `etag: true`) walks the directory once at start-up and keeps each file's headers, then " +
      'per request `fs.createReadStream(file).pipe(res)`: no `stat`, but open, read and close on the thread pool. ' +
      '`serve-static` (Express’s) `stat`s the file and streams it on every request, with `ETag`, `Last-Modified`, ' +
      '`Cache-Control` and `Accept-Ranges`. zokio is `staticFiles(root)` from `@zokio/serve` with its defaults on ' +
      "`HttpServer.bind('127.0.0.1:0', handler)`, on `Runtime.create({ io })` with the backend its name ends in: " +
      'it remembers what a path resolved to for 1 s (a `realpath` and a `statx` once a second) and keeps files up ' +
      'to 256 KiB in memory by their validators, so a warm request reads no file at all; the peers read the file ' +
      'on every request. Both files here are under 256 KiB.',
  },
};

const POOL_INFO: Readonly<Record<PoolScenarioName, ScenarioInfo>> = {
  worker_tiny: {
    title: 'worker_tiny: tiny jobs on a pool of worker threads',
    unit: 'jobs/s',
    ops: (p) => p.worker_tiny.jobs,
    measures: 'throughput',
    contenders: POOL_CONTENDERS,
    rounds: 3,
    describe: (p) =>
      `${fmt(p.worker_tiny.jobs)} jobs that each return \`x + 1\`, submitted to a pool of W = ` +
      '`os.availableParallelism()` worker threads (the `workers` column) as fast as its API takes them, nothing ' +
      'awaited in between, then all awaited and their results summed and checked; the pool is started and warmed ' +
      `up (${fmt(WARMUP.worker_tiny.jobs)} jobs) before the clock starts`,
    checks: [{ contender: 'zokio', against: 'piscina', atLeast: 5 }],
    target: 'zokio ≥ 5× piscina.',
    caveat:
      'Every job is a round trip to a thread and back: the job itself is nothing. piscina and tinypool are ' +
      "`pool.run(i, { name: 'inc' })` (`minThreads` = `maxThreads` = W, their defaults otherwise: one task per " +
      "thread at a time, an unbounded queue); workerpool is `pool.exec('inc', [i])` (`workerType: 'thread'`, " +
      "`minWorkers` = `maxWorkers` = W); zokio is `rt.spawnJob(url, 'inc', [i])` on " +
      "`Runtime.create({ flavor: 'multi_thread', workerThreads: W })`, every handle then joined in one `rt.blockOn`. " +
      'tinypool and workerpool queue tasks in an array taken from the front with `shift()`, which moves what is ' +
      'left once the array is large: with 200,000 queued at once, their rate falls with the length of the queue ' +
      '(piscina queues in a ring buffer).',
  },
  worker_heavy: {
    title: 'worker_heavy: 5 ms jobs, and what the pool adds to each',
    unit: 'jobs/s',
    ops: (p) => p.worker_heavy.jobs,
    measures: 'overhead',
    contenders: POOL_CONTENDERS,
    rounds: 3,
    describe: (p) => {
      const h = p.worker_heavy;
      return (
        `${fmt(h.jobs)} jobs of a busy loop (xorshift, no allocation) sized to take about ${fmt(h.jobUs / 1000)} ms, ` +
        'all submitted at once to a pool of W = `os.availableParallelism()` worker threads, then all awaited. The ' +
        "loop's iterations are calibrated on the calling thread before the run; each job times itself on the thread " +
        'that runs it (the `job` column is the mean). Overhead per job = (wall × W − Σ job) ÷ jobs: the time a ' +
        'thread was not running a job — dispatch, round trips, idle gaps — per job'
      );
    },
    overheadLimits: [{ contender: 'zokio', atMostUs: 10 }],
    target: 'zokio ≤ 10 µs of overhead per job.',
    caveat:
      'The main thread that submits and awaits the jobs shares the cores with the W workers, so what it spends ' +
      'shows as overhead too (with W = the core count, every microsecond it runs is one a worker could not), and so ' +
      'does whatever else the machine runs. A loop slowed by W threads running at once (shared caches, SMT ' +
      'siblings, clock boost) is not counted: the jobs time themselves where they run.',
  },
  fork_join: {
    title: 'fork_join: a recursive parallel fib, at 1, 2, 4, … threads',
    unit: 'leaf jobs/s',
    ops: (p) => forkJoinLeaves(p.fork_join),
    measures: 'throughput',
    contenders: POOL_CONTENDERS,
    variants: {
      name: 'thread count',
      values: (p) => workerCounts(p.fork_join.maxWorkers ?? availableParallelism()),
      label: (w) => `${fmt(w)} thread${w === 1 ? '' : 's'}`,
      slug: (w) => `w${w}`,
    },
    speedup: true,
    rounds: 3,
    describe: (p) => {
      const f = p.fork_join;
      return (
        `fib(${f.n}) as a tree of jobs: a node above ${f.cutoff} is split into fib(n − 1) + fib(n − 2), a node at ` +
        `or below it is computed sequentially in one job (${fmt(forkJoinLeaves(f))} such leaves, fib(${f.cutoff}) ` +
        `and fib(${f.cutoff - 1})), on pools of 1, 2, 4, … threads up to ${f.maxWorkers === undefined ? '`os.availableParallelism()`' : fmt(f.maxWorkers)} ` +
        `(\`--workers\` raises it). zokio forks from inside the jobs: each node above the cut-off is a job that ` +
        '`spawnJob`s its two children and joins them; the peers cannot submit from a worker, so their main ' +
        'thread splits the tree down to the cut-off, submits every leaf at once and sums the results. Each pool is ' +
        'warmed up by two runs of the measured size first'
      );
    },
    caveat:
      'Speed-up is each contender’s own run at 1 thread ÷ its run at N (time, median over the rounds): 1.00× at 1, ' +
      'ideally N× at N up to the core count. zokio runs the nested form, ' +
      `${fmt(2 * forkJoinLeaves(FULL.fork_join) - 1)} jobs for the full size (every node of the tree a job, ` +
      'the inner ones waiting on their children without holding a thread); the peers the flat form, one job per ' +
      'leaf and the splitting and summing on the main thread: the same leaves, the same arithmetic.',
  },
};

export const SCENARIO_INFO: Readonly<Record<ScenarioName, ScenarioInfo>> = {
  ...RUNTIME_INFO,
  ...IO_INFO,
  ...FS_INFO,
  ...NET_INFO,
  ...HTTP_INFO,
  ...POOL_INFO,
};

/** The contenders of `scenario`, in report order; the first is the baseline of its ratios. */
export function scenarioContenders(scenario: ScenarioName): readonly string[] {
  return SCENARIO_INFO[scenario].contenders ?? RUNTIME_CONTENDERS;
}

/**
 * `count` byte offsets of whole `blockBytes` blocks in a file of `fileBytes`, uniform, from a seeded generator
 * (mulberry32, as `sleepDurations`): every contender, in every process, reads the same list.
 */
export function randomOffsets(
  count: number,
  { fileBytes, blockBytes, seed }: Pick<DriverReadParams, 'fileBytes' | 'blockBytes' | 'seed'>,
): Float64Array {
  const blocks = Math.floor(fileBytes / blockBytes);
  if (!(blocks >= 1))
    throw new RangeError(`Expected a file of at least one ${blockBytes}-byte block, got ${fileBytes}`);
  const offsets = new Float64Array(count);
  const next = mulberry32(seed);
  for (let i = 0; i < count; i++) offsets[i] = Math.floor(next() * blocks) * blockBytes;
  return offsets;
}

/**
 * The sizes of `small_files`' set: `files` whole byte counts, uniform from `minBytes` to `maxBytes` inclusive, from
 * a seeded generator (mulberry32), so that every run creates (and checks for) the same files.
 */
export function smallFileSizes({
  files,
  minBytes,
  maxBytes,
  seed,
}: Pick<SmallFilesParams, 'files' | 'minBytes' | 'maxBytes' | 'seed'>): Uint32Array {
  if (!Number.isInteger(files) || files < 1) throw new RangeError(`Expected at least one file, got ${files}`);
  if (!Number.isInteger(minBytes) || !Number.isInteger(maxBytes) || minBytes < 1 || maxBytes < minBytes) {
    throw new RangeError(`Expected whole sizes with 1 ≤ minBytes ≤ maxBytes, got ${minBytes} – ${maxBytes}`);
  }
  const sizes = new Uint32Array(files);
  const next = mulberry32(seed);
  for (let i = 0; i < files; i++) sizes[i] = minBytes + Math.floor(next() * (maxBytes - minBytes + 1));
  return sizes;
}

/**
 * The durations of a `timers` run: `sleeps` whole milliseconds, uniform from 0 to `maxMs` inclusive, drawn from a
 * seeded generator (mulberry32), so that every contender, in every process, sleeps the same list.
 */
export function sleepDurations({ sleeps, maxMs, seed }: TimersParams): Uint32Array {
  const durations = new Uint32Array(sleeps);
  const next = mulberry32(seed);
  for (let i = 0; i < sleeps; i++) durations[i] = Math.floor(next() * (maxMs + 1));
  return durations;
}

/** mulberry32: 32 bits of state, fast, and even enough for spreading timers over a second or reads over a file. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export function isScenario(name: string): name is ScenarioName {
  return (SCENARIOS as readonly string[]).includes(name);
}

export function isFsScenario(name: string): name is FsScenarioName {
  return (FS_SCENARIOS as readonly string[]).includes(name);
}

export function isNetScenario(name: string): name is NetScenarioName {
  return (NET_SCENARIOS as readonly string[]).includes(name);
}

export function isHttpScenario(name: string): name is HttpScenarioName {
  return (HTTP_SCENARIOS as readonly string[]).includes(name);
}

export function isPoolScenario(name: string): name is PoolScenarioName {
  return (POOL_SCENARIOS as readonly string[]).includes(name);
}

/** `fork_join`'s thread counts up to `max`: the powers of two below it, then `max` itself (1, 2, 4, 6 for 6). */
export function workerCounts(max: number): number[] {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`Expected a whole thread count ≥ 1, got ${max}`);
  const counts: number[] = [];
  for (let w = 1; w < max; w *= 2) counts.push(w);
  counts.push(max);
  return counts;
}

/** `params` with `fork_join`'s curve going up to `maxWorkers` threads (the runner's `--workers`), if given. */
export function withMaxWorkers(params: Params, maxWorkers: number | undefined): Params {
  return maxWorkers === undefined ? params : { ...params, fork_join: { ...params.fork_join, maxWorkers } };
}

/**
 * The leaves of `fork_join`'s tree: the nodes at or below `cutoff` reached by splitting fib(`n`), each a job that
 * computes its fib sequentially (1 when `n` itself is at or below the cut-off). A tree of L leaves has L − 1 inner
 * nodes.
 */
export function forkJoinLeaves({ n, cutoff }: Pick<ForkJoinParams, 'n' | 'cutoff'>): number {
  if (!Number.isInteger(n) || !Number.isInteger(cutoff) || cutoff < 1 || n < 0) {
    throw new RangeError(`Expected whole n ≥ 0 and cutoff ≥ 1, got n = ${n}, cutoff = ${cutoff}`);
  }
  if (n <= cutoff) return 1;
  // L(k) = 1 for k ≤ cutoff, else L(k − 1) + L(k − 2): walk up from the two leaves above which splitting starts.
  let [below, at] = [1, 1]; // L(cutoff − 1), L(cutoff)
  for (let k = cutoff + 1; k <= n; k++) [below, at] = [at, below + at];
  return at;
}

/** fib(`n`) by iteration, exact up to fib(78): what a `fork_join` run must add up to. */
export function fibonacci(n: number): number {
  let [a, b] = [0, 1];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}
