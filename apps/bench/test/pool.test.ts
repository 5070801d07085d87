import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fibSeq, inc, spin, spinTimed, spinTimedNs } from '../src/pool/jobs.js';
import {
  calibrateSpin,
  forkJoinSplit,
  measure,
  parsePoolArgs,
  tinySum,
  type Pool,
  type PoolContender,
} from '../src/pool/harness.js';
import { peerPool, type JobName } from '../src/pool/peer.js';
import { parseChildResult, type ChildResult } from '../src/protocol.js';
import { charts, checkOverheadLimits, checkTargets, renderMarkdown, speedups } from '../src/report.js';
import {
  fibonacci,
  forkJoinLeaves,
  FULL,
  POOL_CONTENDERS,
  POOL_SCENARIOS,
  QUICK,
  SCENARIO_INFO,
  scenarioContenders,
  SCENARIOS,
  withMaxWorkers,
  workerCounts,
  type ScenarioName,
} from '../src/scenarios.js';
import type { RunRecord } from '../src/stats.js';
import { recordOf, reportOf, scenarioReport, variantReports } from './report-fixtures.js';

describe('the worker-pool scenarios’ sizes and contenders', () => {
  it('are three scenarios of four contenders, piscina the baseline', () => {
    expect(POOL_SCENARIOS).toEqual(['worker_tiny', 'worker_heavy', 'fork_join']);
    for (const s of POOL_SCENARIOS) {
      expect(SCENARIOS).toContain(s);
      expect(scenarioContenders(s)).toEqual(POOL_CONTENDERS);
      expect(scenarioContenders(s)[0]).toBe('piscina');
    }
    expect(SCENARIO_INFO.worker_tiny.checks).toEqual([{ contender: 'zokio', against: 'piscina', atLeast: 5 }]);
    expect(SCENARIO_INFO.worker_heavy.overheadLimits).toEqual([{ contender: 'zokio', atMostUs: 10 }]);
  });

  it('runs the sizes of the issue: 200,000 tiny jobs, 2,000 jobs of 5 ms, fib(36) cut off at 22', () => {
    expect(FULL.worker_tiny.jobs).toBe(200_000);
    expect(FULL.worker_heavy).toEqual({ jobs: 2_000, jobUs: 5_000 });
    expect(FULL.fork_join).toEqual({ n: 36, cutoff: 22 });
    expect(QUICK.worker_heavy.jobs).toBeLessThan(FULL.worker_heavy.jobs);
    expect(SCENARIO_INFO.fork_join.ops(FULL)).toBe(987);
  });

  it('measures fork_join at 1, 2, 4, … threads up to the cores, or to --workers', () => {
    expect(workerCounts(1)).toEqual([1]);
    expect(workerCounts(2)).toEqual([1, 2]);
    expect(workerCounts(6)).toEqual([1, 2, 4, 6]);
    expect(workerCounts(16)).toEqual([1, 2, 4, 8, 16]);
    expect(() => workerCounts(0)).toThrow(RangeError);
    const variants = SCENARIO_INFO.fork_join.variants!;
    expect(variants.values(FULL)).toEqual(workerCounts(availableParallelism()));
    expect(variants.values(withMaxWorkers(FULL, 8))).toEqual([1, 2, 4, 8]);
    expect(withMaxWorkers(FULL, undefined)).toBe(FULL);
    expect(variants.label(1)).toBe('1 thread');
    expect(variants.slug(4)).toBe('w4');
  });
});

describe('fork_join’s tree', () => {
  it('has as many leaves as the split makes, and they add up to fib(n)', () => {
    for (const [n, cutoff] of [
      [36, 22],
      [32, 22],
      [30, 22],
      [10, 3],
      [22, 22],
      [5, 9],
    ] as const) {
      const leaves = forkJoinSplit(n, cutoff);
      expect(leaves).toHaveLength(forkJoinLeaves({ n, cutoff }));
      expect(leaves.every((k) => k <= cutoff)).toBe(true);
      expect(leaves.reduce((sum, k) => sum + fibSeq(k), 0)).toBe(fibonacci(n));
    }
    expect(forkJoinLeaves({ n: 32, cutoff: 22 })).toBe(144);
    expect(new Set(forkJoinSplit(36, 22))).toEqual(new Set([22, 21]));
    expect(() => forkJoinLeaves({ n: 10, cutoff: 0 })).toThrow(RangeError);
  });

  it('computes fib exactly', () => {
    expect([0, 1, 2, 3, 10, 22, 36].map(fibonacci)).toEqual([0, 1, 1, 2, 55, 17_711, 14_930_352]);
    expect(fibSeq(22)).toBe(17_711);
  });
});

describe('the jobs', () => {
  it('inc adds one; spin is a pure function of its iterations', () => {
    expect(inc(41)).toBe(42);
    expect(spin(1_000)).toBe(spin(1_000));
    expect(spin(1_000)).not.toBe(spin(1_001));
    expect(spin(0)).toBe(0x9e3779b9);
    expect(tinySum(4)).toBe(1 + 2 + 3 + 4);
  });

  it('calibrates spin to about the asked duration on this thread', () => {
    const iterations = calibrateSpin(2_000);
    expect(iterations).toBeGreaterThan(1_000);
    const start = performance.now();
    for (let i = 0; i < 5; i++) spin(iterations);
    const us = ((performance.now() - start) * 1000) / 5;
    // Loose: a shared machine may be busy.
    expect(us).toBeGreaterThan(500);
    expect(us).toBeLessThan(20_000);
  });
});

describe('parsePoolArgs', () => {
  it('reads the contender, the scenario and fork_join’s thread count', () => {
    expect(parsePoolArgs(['piscina', 'worker_tiny'])).toEqual({
      contender: 'piscina',
      scenario: 'worker_tiny',
      variant: undefined,
      params: FULL,
    });
    expect(parsePoolArgs(['zokio', 'fork_join', '--variant', '64', '--quick'])).toMatchObject({
      scenario: 'fork_join',
      variant: 64,
      params: QUICK,
    });
  });

  it('refuses a contender or scenario of another family, a variant where there is none, and no thread count', () => {
    expect(() => parsePoolArgs(['promise', 'worker_tiny'])).toThrow(/Expected a contender of worker_tiny/);
    expect(() => parsePoolArgs(['piscina', 'spawn'])).toThrow(/Expected a scenario of worker_tiny/);
    expect(() => parsePoolArgs(['piscina', 'worker_tiny', '--variant', '2'])).toThrow(/no --variant/);
    expect(parsePoolArgs(['piscina', 'worker_heavy', '--variant', '1']).variant).toBe(1); // by hand: a core for the main thread
    expect(() => parsePoolArgs(['piscina', 'fork_join'])).toThrow(/thread count ≥ 1/);
    expect(() => parsePoolArgs(['piscina', 'fork_join', '--variant', '0'])).toThrow(/thread count ≥ 1/);
    expect(() => parsePoolArgs(['piscina'])).toThrow(/Expected <contender> <scenario>/);
  });
});

/** A pool that runs each job on this thread, in a microtask: the harness's logic without threads. */
function inProcess(): { pool: Pool; calls: Map<JobName, number>; closed: () => boolean } {
  const calls = new Map<JobName, number>();
  let closed = false;
  const jobs = { inc, spinTimed, fibSeq };
  const pool = peerPool(
    (name, arg) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return Promise.resolve().then(() => jobs[name](arg));
    },
    () => {
      closed = true;
      return Promise.resolve();
    },
  );
  return { pool, calls, closed: () => closed };
}

describe('peerPool and measure', () => {
  // The children run with --expose-gc; the test process does not.
  beforeAll(() => vi.stubGlobal('gc', () => undefined));
  afterAll(() => vi.unstubAllGlobals());

  it('submits every job, sums the results, and splits fork_join on the main thread', async () => {
    const { pool, calls } = inProcess();
    expect(await pool.tiny(1_000)).toBe(tinySum(1_000));
    expect(spinTimedNs(await pool.heavy(3, 100_000), 3, 100_000)).toBeGreaterThan(0);
    expect(await pool.forkJoin(30, 22)).toBe(fibonacci(30));
    expect(Object.fromEntries(calls)).toEqual({
      inc: 1_000,
      spinTimed: 3,
      fibSeq: forkJoinLeaves({ n: 30, cutoff: 22 }),
    });
  });

  const contender = (made: ReturnType<typeof inProcess>, seen: number[]): PoolContender => ({
    name: 'piscina',
    open: (workers) => {
      seen.push(workers);
      return made.pool;
    },
  });

  it('measures worker_tiny and fork_join, prints a line the runner reads, and closes the pool', async () => {
    const made = inProcess();
    const seen: number[] = [];
    const tiny = await measure(contender(made, seen), parsePoolArgs(['piscina', 'worker_tiny', '--quick']));
    expect(tiny).toMatchObject({ contender: 'piscina', scenario: 'worker_tiny', n: QUICK.worker_tiny.jobs });
    expect(tiny.workers).toBe(availableParallelism());
    expect(made.closed()).toBe(true);
    const fork = await measure(contender(inProcess(), seen), parsePoolArgs(['piscina', 'fork_join', '--variant', '3']));
    expect(fork).toMatchObject({ scenario: 'fork_join', variant: 3, workers: 3, n: 987 });
    expect(seen).toEqual([availableParallelism(), 3]);
    expect(parseChildResult(JSON.stringify(fork))).toEqual(fork);
  });

  it('measures worker_heavy’s overhead from the job’s own duration', async () => {
    const result = await measure(contender(inProcess(), []), parsePoolArgs(['piscina', 'worker_heavy', '--quick']));
    const { n, elapsedMs, workers, jobUs, overheadUsPerJob } = result;
    expect(n).toBe(QUICK.worker_heavy.jobs);
    expect(jobUs).toBeGreaterThan(0);
    expect(overheadUsPerJob).toBeCloseTo((elapsedMs * 1000 * workers! - n * jobUs!) / n, 6);
    expect(parseChildResult(JSON.stringify(result))).toEqual(result);
  }, 30_000);

  it('fails a run whose jobs do not add up', async () => {
    const wrong: Pool = { ...inProcess().pool, tiny: () => Promise.resolve(1) };
    const args = parsePoolArgs(['piscina', 'worker_tiny', '--quick']);
    await expect(measure({ name: 'piscina', open: () => wrong }, args)).rejects.toThrow(/add up to/);
  });
});

const fail = { ok: false, status: 'failed', message: 'boom' } as const;

function record(scenario: ScenarioName, contender: string, result: Partial<ChildResult>, variant?: number): RunRecord {
  return recordOf({
    contender,
    scenario,
    n: 1_000,
    opsPerSec: 1_000,
    elapsedMs: 1_000,
    ...(variant === undefined ? {} : { variant }),
    ...result,
  });
}

describe('the report of the worker-pool scenarios', () => {
  const contenders = [...POOL_CONTENDERS];
  const tinyRecords = [
    record('worker_tiny', 'piscina', { opsPerSec: 100_000, workers: 2 }),
    record('worker_tiny', 'tinypool', { opsPerSec: 80_000, workers: 2 }),
    record('worker_tiny', 'workerpool', { opsPerSec: 50_000, workers: 2 }),
    record('worker_tiny', 'zokio', { opsPerSec: 600_000, workers: 2 }),
  ];
  const tiny = scenarioReport(tinyRecords, 'worker_tiny', contenders, 'piscina');
  const heavy = (contender: string, overheadUsPerJob: number) =>
    record('worker_heavy', contender, { opsPerSec: 390, workers: 2, jobUs: 5_010, overheadUsPerJob });
  const heavyRecords = [heavy('piscina', 35.5), heavy('tinypool', 41), heavy('workerpool', 120), heavy('zokio', 8.25)];
  const heavyReport = scenarioReport(heavyRecords, 'worker_heavy', contenders, 'piscina');
  // Leaves per second at 1 and 2 threads: piscina 1.6× faster at 2, zokio 1.9×; workerpool failed at 2.
  const rates: Record<string, [number, number | undefined]> = {
    piscina: [3_000, 4_800],
    tinypool: [2_900, 4_000],
    workerpool: [2_500, undefined],
    zokio: [3_100, 5_890],
  };
  const forkRecords: RunRecord[] = [1, 2].flatMap((w, i) =>
    contenders.flatMap((c) => {
      const rate = rates[c]![i];
      if (rate !== undefined) return [record('fork_join', c, { n: 987, opsPerSec: rate, workers: w }, w)];
      return [{ scenario: 'fork_join', contender: c, round: 1, variant: w, wallMs: 1, outcome: fail }] as RunRecord[];
    }),
  );
  const fork = variantReports(forkRecords, 'fork_join', [1, 2], contenders, 'piscina');
  const report = reportOf({
    command: 'node dist/run.js --scenario worker_tiny --scenario worker_heavy --scenario fork_join',
    rounds: 1,
    contenders,
    params: withMaxWorkers(FULL, 2),
    scenarios: [tiny, heavyReport, ...fork],
    runs: [...tinyRecords, ...heavyRecords, ...forkRecords],
  });
  const markdown = renderMarkdown(report);

  it('divides worker_tiny by piscina, with the threads each pool ran, and checks zokio ≥ 5×', () => {
    expect(markdown).toContain('| contender | workers | median jobs/s | min – max | × piscina (higher is faster) |');
    expect(markdown).toMatch(/\| zokio \| 2 \| 600 k \| [^|]+ \| 6\.00× \| 1\/1 \|/);
    expect(checkTargets(SCENARIO_INFO.worker_tiny.checks ?? [], [tiny]).map((r) => r.met)).toEqual([true]);
    expect(markdown).toContain('- zokio ≥ 5× piscina: 6.00×, **met**');
  });

  it('prints worker_heavy’s overhead per job and checks zokio ≤ 10 µs', () => {
    expect(markdown).toContain(
      '| contender | workers | median overhead per job | min – max | job (timed on its worker) |',
    );
    expect(markdown).toMatch(/\| zokio \| 2 \| 8\.25 µs \| 8\.25 µs – 8\.25 µs \| 5010 µs \| 390 \| 1\/1 \|/);
    expect(markdown).toContain('- zokio ≤ 10 µs per job: 8.25 µs, **met**');
    const results = checkOverheadLimits(SCENARIO_INFO.worker_heavy.overheadLimits ?? [], heavyReport);
    expect(results.map((r) => [r.us, r.met])).toEqual([[8.25, true]]);
  });

  it('prints fork_join’s speed-up over each contender’s own run at one thread', () => {
    const [one, two] = speedups(fork, 'zokio');
    expect(one).toBe(1);
    expect(two).toBeCloseTo(1.9, 12);
    expect(speedups(fork, 'workerpool')).toEqual([1, undefined]);
    expect(markdown).toContain('| contender | 1 thread | 2 threads |');
    expect(markdown).toContain('| zokio | 318 ms (1.00×) | 168 ms (1.90×) |');
    expect(markdown).toContain('| piscina | 329 ms (1.00×) | 206 ms (1.60×) |');
    expect(markdown).toMatch(/\| workerpool \| 395 ms \(1\.00×\) \| failed \(failed\) \|/);
    expect(markdown).toContain('fib(36) as a tree of jobs');
  });

  it('draws an overhead chart for worker_heavy and one chart per thread count for fork_join', () => {
    expect(charts(report, heavyReport).map((c) => c.file)).toEqual(['worker_heavy.svg']);
    expect(charts(report, fork[1]!).map((c) => c.file)).toEqual(['fork_join-w2.svg']);
    expect(charts(report, heavyReport)[0]!.svg).toContain('8.25 µs');
  });
});
