/**
 * What every worker-pool contender script shares: `node --expose-gc dist/pool/<contender>.js <contender> <scenario>
 * [--variant W] [--quick]`. It starts the contender's pool — W threads for `fork_join` (its variant), else
 * W = `os.availableParallelism()` — warms every thread up on a smaller run of the same jobs, collects garbage, runs
 * the scenario at full size (checking every result), closes the pool, and prints one {@link ChildResult} line, the
 * same protocol as every other contender.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { parseChildCommand } from '../child-args.js';
import { childMain, contenderOf } from '../child-main.js';
import type { ChildResult } from '../protocol.js';
import {
  fibonacci,
  forkJoinLeaves,
  isPoolScenario,
  POOL_SCENARIOS,
  WARMUP,
  type Params,
  type PoolScenarioName,
} from '../scenarios.js';
import { median } from '../stats.js';
import { spin, spinTimedNs } from './jobs.js';

/** A started pool of worker threads: the three scenarios, each resolving with what its jobs added up to. */
export interface Pool {
  /** `inc(i)` for every i < `jobs`, each submitted before any is awaited; then all awaited. The sum of the results. */
  tiny(jobs: number): Promise<number>;
  /** `jobs` × `spinTimed(iterations)`, each submitted before any is awaited; then all awaited. The sum of the results. */
  heavy(jobs: number, iterations: number): Promise<number>;
  /** fib(`n`) as a tree of jobs, each node at or below `cutoff` computed sequentially in one job. */
  forkJoin(n: number, cutoff: number): Promise<number>;
  /** Stops the threads. */
  close(): Promise<void>;
}

/** One contender: how it starts a pool of `workers` threads. */
export interface PoolContender {
  readonly name: string;
  open(workers: number): Pool | Promise<Pool>;
}

/** What the command line asks for. */
export interface PoolArgs {
  readonly contender: string;
  readonly scenario: PoolScenarioName;
  /** `fork_join`'s thread count; absent for the others. */
  readonly variant: number | undefined;
  readonly params: Params;
}

export const POOL_USAGE = `usage: node --expose-gc <script>.js <contender> <${POOL_SCENARIOS.join('|')}> [--variant W] [--quick]`;

/**
 * Reads `<contender> <scenario> [--variant W] [--quick]`. Throws an `Error` saying what was expected and what was
 * got. `fork_join` takes any thread count ≥ 1 (the runner's `--workers` may go past the cores); the others none.
 */
export function parsePoolArgs(argv: readonly string[]): PoolArgs {
  const { contender, scenario, params, values } = parseChildCommand(argv, POOL_SCENARIOS, isPoolScenario);
  const given = values['variant'];
  let variant: number | undefined;
  if (scenario === 'fork_join') {
    variant = Number(given);
    if (given === undefined || !Number.isInteger(variant) || variant < 1) {
      throw new Error(`Expected --variant to be a thread count ≥ 1 for fork_join, got ${JSON.stringify(given)}`);
    }
  } else if (scenario === 'worker_heavy' && given !== undefined) {
    // By hand only: fewer threads than cores leave the main thread a core of its own (see the README).
    variant = Number(given);
    if (!Number.isInteger(variant) || variant < 1)
      throw new Error(`Expected --variant to be a thread count ≥ 1, got ${JSON.stringify(given)}`);
  } else if (given !== undefined) {
    throw new Error(`Expected no --variant for ${scenario}, got ${JSON.stringify(given)}`);
  }
  return { contender, scenario, variant, params };
}

function collect(): void {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('Expected node to run with --expose-gc, got no global.gc');
  void gc();
  void gc();
}

/** Throws unless a run's jobs added up to what they must. */
export function checkSum(what: string, got: number, expected: number): void {
  if (got !== expected) throw new Error(`Expected ${what} to add up to ${expected}, got ${got}`);
}

/** 1 + 2 + … + `jobs`: what `inc(0)` … `inc(jobs − 1)` add up to. */
export function tinySum(jobs: number): number {
  return (jobs * (jobs + 1)) / 2;
}

/**
 * The median of `runs` timed calls of `spin(iterations)` on this thread, in µs. Every result is checked against the
 * first, so that no call can be optimized away.
 */
export function timeSpin(iterations: number, runs: number): number {
  const expected = spin(iterations);
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    const got = spin(iterations);
    times.push((performance.now() - start) * 1000);
    checkSum(`spin(${iterations})`, got, expected);
  }
  return median(times);
}

/**
 * The iterations of `spin` that take about `targetUs` µs on this thread: warmed up (so the loop is optimized), then
 * scaled by the measured time a few times over.
 */
export function calibrateSpin(targetUs: number): number {
  timeSpin(10_000, 200);
  let iterations = 1_000_000;
  for (let round = 0; round < 5; round++) {
    const us = timeSpin(iterations, 5);
    iterations = Math.max(1, Math.round((iterations * targetUs) / Math.max(us, 1)));
  }
  return iterations;
}

/**
 * The leaves of `fork_join`'s tree for fib(`n`): the main thread's split for the peers, which cannot submit from a
 * worker. Depth first, left (n − 1) before right (n − 2), as the nested form forks.
 */
export function forkJoinSplit(n: number, cutoff: number): number[] {
  const leaves: number[] = [];
  const split = (k: number): void => {
    if (k <= cutoff) leaves.push(k);
    else {
      split(k - 1);
      split(k - 2);
    }
  };
  split(n);
  return leaves;
}

/** Resolves after `ms`, without holding the process open. */
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** How long a pool may take to close before the child goes on (and exits, which ends its threads). */
const CLOSE_LIMIT_MS = 5_000;

/** Starts `contender`'s pool, warms it up, measures one run; returns what it prints. */
export async function measure(contender: PoolContender, args: PoolArgs): Promise<ChildResult> {
  const { scenario, params } = args;
  const workers = args.variant ?? availableParallelism();
  let iterations = 0;
  if (scenario === 'worker_heavy') {
    // Calibrated first, on a quiet machine: the pool's threads are not started yet.
    iterations = calibrateSpin(params.worker_heavy.jobUs);
  }
  const pool = await contender.open(workers);
  try {
    const base = { contender: contender.name, scenario, workers };
    switch (scenario) {
      case 'worker_tiny': {
        const warm = WARMUP.worker_tiny.jobs;
        checkSum('the warm-up', await pool.tiny(warm), tinySum(warm));
        collect();
        const { jobs } = params.worker_tiny;
        const start = performance.now();
        const sum = await pool.tiny(jobs);
        const elapsedMs = performance.now() - start;
        checkSum(`${jobs} inc jobs`, sum, tinySum(jobs));
        return { ...base, n: jobs, opsPerSec: jobs / (elapsedMs / 1000), elapsedMs };
      }
      case 'worker_heavy': {
        const warm = WARMUP.worker_heavy.jobs;
        spinTimedNs(await pool.heavy(warm, iterations), warm, iterations); // checks the sum
        collect();
        const { jobs } = params.worker_heavy;
        const start = performance.now();
        const sum = await pool.heavy(jobs, iterations);
        const elapsedMs = performance.now() - start;
        // What the jobs took on their own threads (each timed itself): a busy core running the loop slower than
        // this thread did alone is not the pool's overhead; the gaps between jobs, and the round trips, are.
        const jobUs = spinTimedNs(sum, jobs, iterations) / 1000 / jobs;
        const overheadUsPerJob = (elapsedMs * 1000 * workers - jobs * jobUs) / jobs;
        return { ...base, n: jobs, opsPerSec: jobs / (elapsedMs / 1000), elapsedMs, jobUs, overheadUsPerJob };
      }
      case 'fork_join': {
        const { cutoff } = params.fork_join;
        // Warmed up at the measured size, twice: each thread tiers its own copy of the code up, and on few cores
        // V8's background compiler shares them with the workers — a first full-size run measures that, not the pool.
        const warm = params.fork_join.n;
        for (let round = 0; round < 2; round++)
          checkSum(`the warm-up fib(${warm})`, await pool.forkJoin(warm, cutoff), fibonacci(warm));
        collect();
        const { n } = params.fork_join;
        const start = performance.now();
        const fib = await pool.forkJoin(n, cutoff);
        const elapsedMs = performance.now() - start;
        checkSum(`fib(${n})`, fib, fibonacci(n));
        const leaves = forkJoinLeaves(params.fork_join);
        return { ...base, variant: workers, n: leaves, opsPerSec: leaves / (elapsedMs / 1000), elapsedMs };
      }
    }
  } finally {
    // Bounded: a pool that does not close in time is left to the process's exit, which ends its threads.
    const closing = pool.close().catch((error: unknown) => {
      process.stderr.write(`closing the pool failed: ${error instanceof Error ? error.message : String(error)}\n`);
    });
    await Promise.race([closing, delay(CLOSE_LIMIT_MS)]);
  }
}

/** The entry point of a pool contender script: runs the one asked for and prints its line. */
export function poolMain(contenders: Readonly<Record<string, () => PoolContender>>): void {
  childMain({
    usage: POOL_USAGE,
    parse: parsePoolArgs,
    measure: (args) => measure(contenderOf(contenders, args.contender)(), args),
  });
}
