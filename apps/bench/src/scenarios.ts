/**
 * The four scenarios, after Tokio's `benches/rt_multi_threaded.rs` and `benches/spawn.rs`, and their sizes.
 *
 * Shared by the runner (titles, units, how many operations a run is) and the contender scripts (the sizes to run).
 * Each contender implements every scenario with its own idioms; see the README for what each peer's equivalent is.
 *
 * @module
 */

/** The scenario names, as given on the command line and written in results. */
export const SCENARIOS = ['spawn', 'yield_many', 'ping_pong', 'chained_spawn'] as const;

export type ScenarioName = (typeof SCENARIOS)[number];

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

export interface Params {
  readonly spawn: SpawnParams;
  readonly yield_many: YieldManyParams;
  readonly ping_pong: PingPongParams;
  readonly chained_spawn: ChainedSpawnParams;
}

/**
 * Sizes of the full run. Chosen so that 4 contenders × 4 scenarios × 5 rounds, each in a fresh process, finish in
 * about 4 minutes on a 2-core machine (most of it Effection's `spawn` and `ping_pong`).
 */
export const FULL: Params = {
  spawn: { tasks: 1_000_000 },
  yield_many: { tasks: 200, yields: 1_000 },
  ping_pong: { pairs: 1_000, rounds: 50 },
  chained_spawn: { depth: 1_000, rounds: 200 },
};

/** Sizes of `--quick`: a smoke run that proves every contender works, not a measurement. */
export const QUICK: Params = {
  spawn: { tasks: 50_000 },
  yield_many: { tasks: 50, yields: 200 },
  ping_pong: { pairs: 1_000, rounds: 2 },
  chained_spawn: { depth: 1_000, rounds: 5 },
};

/** Sizes of the warm-up each child runs before its measured run, so the JIT has compiled the hot paths. */
export const WARMUP: Params = {
  // Small for spawn: Effection takes ~150 µs a task. A million-task run is long enough to tier up during it.
  spawn: { tasks: 10_000 },
  yield_many: { tasks: 200, yields: 200 },
  ping_pong: { pairs: 1_000, rounds: 5 },
  chained_spawn: { depth: 1_000, rounds: 20 },
};

/** How a scenario is reported. */
export interface ScenarioInfo {
  readonly title: string;
  /** What one operation is, for `opsPerSec`: `tasks/s`, `yields/s`, … */
  readonly unit: string;
  /** Operations in one run of the given size: the numerator of `opsPerSec`. */
  ops(params: Params): number;
  /** The size of a run in words, for the report. */
  describe(params: Params): string;
  /** What a reader must know to read the Promise baseline of this scenario, printed under its table. */
  readonly caveat?: string;
  /** A second rate derived from the first (yield_many's tasks/s), if the scenario reports one. */
  readonly secondary?: { readonly unit: string; divisor(params: Params): number };
}

const fmt = (n: number) => n.toLocaleString('en-US');

export const SCENARIO_INFO: Readonly<Record<ScenarioName, ScenarioInfo>> = {
  spawn: {
    title: 'spawn: tasks suspended on one gate',
    unit: 'tasks/s',
    ops: (p) => p.spawn.tasks,
    describe: (p) => `${fmt(p.spawn.tasks)} tasks each wait once on a shared gate; the gate opens; all are joined`,
  },
  yield_many: {
    title: 'yield_many: tasks that yield to each other',
    unit: 'yields/s',
    ops: (p) => p.yield_many.tasks * p.yield_many.yields,
    describe: (p) => `${fmt(p.yield_many.tasks)} tasks × ${fmt(p.yield_many.yields)} yields each, interleaved`,
    secondary: { unit: 'tasks/s', divisor: (p) => p.yield_many.yields },
    caveat:
      "The Promise yield is `await null`, a microtask hop that never returns to libuv; zokio's scheduler returns to " +
      'libuv every 61 polls and Effect runs fibers in `setImmediate` batches, so that timers and sockets are not starved.',
  },
  ping_pong: {
    title: 'ping_pong: round trips over one-shot channels',
    unit: 'round trips/s',
    ops: (p) => p.ping_pong.pairs * p.ping_pong.rounds,
    describe: (p) =>
      `${fmt(p.ping_pong.pairs)} pairs (A spawns B, A→B and B→A over one-shots) × ${fmt(p.ping_pong.rounds)} rounds`,
  },
  chained_spawn: {
    title: 'chained_spawn: each task spawns the next',
    unit: 'spawns/s',
    ops: (p) => p.chained_spawn.depth * p.chained_spawn.rounds,
    describe: (p) =>
      `A chain ${fmt(p.chained_spawn.depth)} tasks deep, the last signals done, × ${fmt(p.chained_spawn.rounds)} rounds`,
    caveat:
      'A Promise "spawn" (calling an async function) runs at once on the caller\'s stack: the Promise chain is ' +
      'nested calls with no run queue, so its rate is the cost of an async call, not of scheduling a task.',
  },
};

export function isScenario(name: string): name is ScenarioName {
  return (SCENARIOS as readonly string[]).includes(name);
}
