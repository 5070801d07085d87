import { describe, expect, it } from 'vitest';
import { applyCap } from '../src/contenders/harness.js';
import { parseChildResult, type ChildResult } from '../src/protocol.js';
import { charts, renderMarkdown } from '../src/report.js';
import { FULL, QUICK, sleepDurations, type ScenarioName } from '../src/scenarios.js';
import {
  formatBytes,
  formatMs,
  lateness,
  quantile,
  summarizeScenario,
  type Outcome,
  type RunRecord,
} from '../src/stats.js';
import { reportOf } from './report-fixtures.js';

describe('sleepDurations', () => {
  const params = { sleeps: 10_000, maxMs: 1_000, seed: 42 };

  it('draws the same whole-millisecond durations for the same seed, in every process', () => {
    expect(sleepDurations(params)).toEqual(sleepDurations(params));
    expect(sleepDurations({ ...params, seed: 43 })).not.toEqual(sleepDurations(params));
    expect([...sleepDurations({ sleeps: 5, maxMs: 1_000, seed: 0x5eed })]).toEqual([710, 286, 952, 101, 378]);
  });

  it('spreads them evenly from 0 to maxMs inclusive', () => {
    const durations = [...sleepDurations(params)];
    expect(Math.min(...durations)).toBe(0);
    expect(Math.max(...durations)).toBe(1_000);
    const mean = durations.reduce((a, b) => a + b, 0) / durations.length;
    expect(mean).toBeGreaterThan(480);
    expect(mean).toBeLessThan(520);
  });
});

describe('quantile and lateness', () => {
  it('takes the nearest rank: p99 of 100 values is the 99th smallest', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(sorted, 0.99)).toBe(99);
    expect(quantile(sorted, 0.5)).toBe(50);
    expect(quantile(sorted, 1)).toBe(100);
    expect(quantile(sorted, 0)).toBe(1);
  });

  it('refuses an empty list and a quantile outside 0 to 1', () => {
    expect(() => quantile([], 0.5)).toThrow(RangeError);
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });

  it('counts the fraction that woke early (before the deadline, not at it)', () => {
    expect(lateness(Float64Array.from([-2, -1, 0, 1])).early).toBe(0.5);
  });

  it('summarizes how late timers woke, early ones (negative) included', () => {
    const samples = Float64Array.from({ length: 1_000 }, (_, i) => (i === 0 ? -0.5 : i === 999 ? 80 : i / 1_000));
    // Sorted: −0.5, 0.001 … 0.998, 80. The 500th is 0.499, the 990th 0.989.
    expect(lateness(samples)).toEqual({ median: 0.499, p99: 0.989, max: 80, early: 0.001 });
  });
});

describe('formatMs and formatBytes', () => {
  it('prints milliseconds with three significant digits, whole ones from 100 ms', () => {
    expect(formatMs(0.28181)).toBe('0.282 ms');
    expect(formatMs(31.66)).toBe('31.7 ms');
    expect(formatMs(1227.4)).toBe('1227 ms');
  });

  it('prints three digits in the largest unit that keeps them: no 1.00e+3 where a value rounds to 1000', () => {
    expect(formatBytes(77_455_360)).toBe('73.9 MiB');
    expect(formatBytes(2048)).toBe('2.00 KiB');
    expect(formatBytes(999.4 * 1024)).toBe('999 KiB');
    expect(formatBytes(1023.9 * 1024)).toBe('1.00 MiB');
    expect(formatBytes(-1023.9 * 1024)).toBe('-1.00 MiB');
    expect(formatBytes(1000 * 1024 ** 2)).toBe('0.977 GiB');
  });
});

describe('parseChildResult with cost metrics', () => {
  const timers = {
    contender: 'zokio',
    scenario: 'timers',
    n: 100_000,
    opsPerSec: 85_000,
    elapsedMs: 1_170,
    cpuMs: 478,
    peakRssBytes: 77_455_360,
    overshootMs: { median: 1.3, p99: 31.7, max: 93.1, early: 0 },
  };

  it('reads CPU time, peak RSS growth and overshoot', () => {
    expect(parseChildResult(JSON.stringify(timers))).toEqual(timers);
  });

  it('refuses an overshoot without its three statistics', () => {
    const line = JSON.stringify({ ...timers, overshootMs: { median: 1 } });
    expect(() => parseChildResult(line)).toThrow(/Expected \{contender, scenario/);
  });

  it('keeps only the statistics it knows of an overshoot', () => {
    const line = JSON.stringify({ ...timers, overshootMs: { ...timers.overshootMs, p50: 1 } });
    expect(parseChildResult(line).overshootMs).toEqual(timers.overshootMs);
  });
});

describe('applyCap', () => {
  const caps = { timers: { max: { sleeps: 10_000 }, reason: 'too slow' } };

  it('cuts only the capped field, and says so', () => {
    const { params, note } = applyCap(caps, 'timers', FULL);
    expect(params.timers).toEqual({ ...FULL.timers, sleeps: 10_000 });
    expect(params.spawn).toBe(FULL.spawn);
    expect(note).toBe('timers run with 10,000 sleeps, not 100,000: too slow');
  });

  it('leaves a size already within the cap alone, without a note', () => {
    expect(applyCap(caps, 'timers', QUICK)).toEqual({ params: QUICK });
    expect(applyCap(caps, 'spawn', FULL)).toEqual({ params: FULL });
    expect(applyCap(undefined, 'timers', FULL)).toEqual({ params: FULL });
  });
});

function record(scenario: ScenarioName, contender: string, round: number, result: Partial<ChildResult>): RunRecord {
  const outcome: Outcome = {
    ok: true,
    result: { contender, scenario, n: 1_000, opsPerSec: 1, elapsedMs: 1, ...result },
  };
  return { scenario, contender, round, wallMs: 1, outcome };
}

const lateBy = (median: number) => ({ median, p99: median * 10, max: median * 100, early: median / 10 });

const timersRecords: RunRecord[] = [
  record('timers', 'promise', 1, { cpuMs: 100, peakRssBytes: 4_000, overshootMs: lateBy(1) }),
  record('timers', 'promise', 2, { cpuMs: 120, peakRssBytes: 6_000, overshootMs: lateBy(3) }),
  record('timers', 'zokio', 1, { cpuMs: 50, peakRssBytes: 2_000, overshootMs: lateBy(2) }),
  record('timers', 'zokio', 2, { cpuMs: 60, peakRssBytes: 2_000, overshootMs: lateBy(2) }),
  // A capped contender: a tenth of the sleeps for the same CPU time costs ten times as much per sleep.
  record('timers', 'effection', 1, { n: 100, cpuMs: 110, peakRssBytes: 500, overshootMs: lateBy(4) }),
];

describe('summarizeScenario with cost metrics', () => {
  const [promise, zokio, effection] = summarizeScenario(
    timersRecords,
    'timers',
    ['promise', 'zokio', 'effection'],
    'promise',
  );

  it('takes the median of CPU time, RSS growth and each overshoot statistic over the rounds', () => {
    expect(promise?.cpuMs).toEqual({ median: 110, min: 100, max: 120, samples: 2 });
    expect(promise?.peakRssBytes?.median).toBe(5_000);
    expect(promise?.overshootMs?.median).toEqual({ median: 2, min: 1, max: 3, samples: 2 });
    expect(promise?.overshootMs?.max.median).toBe(200);
    expect(promise?.overshootMs?.early.median).toBe(0.2);
  });

  it('divides per operation, so a capped contender still compares', () => {
    expect(zokio?.cpuRatio).toBe(0.5);
    expect(zokio?.rssRatio).toBe(0.4);
    expect(effection?.cpuRatio).toBe(10);
    expect(effection?.rssRatio).toBe(1);
  });
});

describe('the report of the new scenarios', () => {
  const contenders = ['promise', 'zokio', 'effection'];
  const timers = {
    name: 'timers' as const,
    summaries: summarizeScenario(timersRecords, 'timers', contenders, 'promise'),
  };
  const channelRecords = [
    record('channel_ping_pong', 'promise', 1, { opsPerSec: 8e6 }),
    record('channel_ping_pong', 'zokio', 1, { opsPerSec: 4e6 }),
    record('channel_ping_pong', 'effect', 1, { opsPerSec: 1e6 }),
  ];
  const channel = {
    name: 'channel_ping_pong' as const,
    summaries: summarizeScenario(channelRecords, 'channel_ping_pong', ['promise', 'zokio', 'effect'], 'promise'),
  };
  const full = reportOf({
    command: 'node dist/run.js',
    rounds: 2,
    contenders: ['promise', 'zokio', 'effect'],
    scenarios: [timers, channel],
    runs: [...timersRecords, ...channelRecords],
  });
  const markdown = renderMarkdown(full);

  it('charts a timers run by CPU time, RSS growth and overshoot, not by throughput', () => {
    expect(charts(full, timers).map((c) => c.file)).toEqual(['timers.svg', 'timers-rss.svg', 'timers-overshoot.svg']);
    expect(charts(full, channel).map((c) => c.file)).toEqual(['channel_ping_pong.svg']);
    for (const c of charts(full, timers)) expect(markdown).toContain(`](${c.file})`);
  });

  it('tables CPU time, RSS growth and overshoot for timers, and states the target', () => {
    expect(markdown).toContain('| zokio | 1,000 | 55 ms | 50 ms – 60 ms | 0.50× | 1.95 KiB |');
    expect(markdown).toContain('| zokio | 2 ms (2 ms – 2 ms) | 20 ms (20 ms – 20 ms) | 200 ms (200 ms – 200 ms) |');
    expect(markdown).toContain('**Target:** zokio CPU time ≤ 0.5×');
  });

  it('divides the channel scenarios by Effect as well as by the baseline', () => {
    expect(markdown).toContain('| × promise (higher is faster) | × effect |');
    expect(markdown).toMatch(/\| zokio \| 4\.00 M \| [^|]+ \| 0\.50× \| 4\.00× \| 2\/2 \|/);
  });

  it('labels the axis in the unit of the bars: ms for CPU time and overshoot, KiB for RSS', () => {
    const ticks = (file: string) =>
      [...(charts(full, timers).find((c) => c.file === file)?.svg ?? '').matchAll(/font-size="11">([^<]*)</g)].map(
        (m) => m[1],
      );
    expect(ticks('timers.svg')).toEqual(['0', '60 ms', '120 ms']);
    // 6,000 bytes at most: the axis ends at a round 6 KiB, labelled as the bars are, not "6 k".
    expect(ticks('timers-rss.svg')).toEqual(['0', '3.00 KiB', '6.00 KiB']);
    expect(ticks('timers-overshoot.svg')).toEqual(['0', '20 ms', '40 ms']);
  });

  it('states the rounds and the baseline once when every scenario shares them', () => {
    expect(markdown).toContain('once per round, 2 rounds, the contenders');
    expect(markdown).toContain('Ratios are against **promise** (plain async/await): throughput ratio');
    expect(markdown).not.toContain('rounds per contender; ratios against');
  });

  it('states them per scenario when the scenarios differ', () => {
    const poolRecords = [
      record('worker_tiny', 'piscina', 1, { opsPerSec: 1e5 }),
      record('worker_tiny', 'zokio', 1, { opsPerSec: 5e5 }),
    ];
    const pool = {
      name: 'worker_tiny' as const,
      baseline: 'piscina',
      rounds: 3,
      summaries: summarizeScenario(poolRecords, 'worker_tiny', ['piscina', 'zokio'], 'piscina'),
    };
    const mixed = renderMarkdown(
      reportOf({
        command: 'node dist/run.js',
        rounds: 5,
        contenders: ['promise', 'zokio', 'effection', 'piscina'],
        scenarios: [{ ...timers, baseline: 'promise' }, pool],
        runs: [...timersRecords, ...poolRecords],
      }),
    );
    expect(mixed).toContain('once per round, 3 or 5 rounds by scenario (each section says how many), the contenders');
    expect(mixed).toContain("Ratios are against each scenario's baseline (here **promise**, **piscina**)");
    expect(mixed).not.toContain('Ratios are against **promise**');
    expect(mixed).toContain('5 rounds per contender; ratios against **promise**.');
    expect(mixed).toContain('3 rounds per contender; ratios against **piscina**.');
    // A report of the pool scenarios alone is against piscina throughout: said once, without promise's gloss.
    const poolOnly = renderMarkdown(
      reportOf({ command: 'node dist/run.js', rounds: 5, contenders: [], scenarios: [pool], runs: poolRecords }),
    );
    expect(poolOnly).toContain('once per round, 3 rounds, the contenders');
    expect(poolOnly).toContain('Ratios are against **piscina**: throughput ratio = contender ÷ piscina');
  });

  it('labels the overshoot bars with their median and max', () => {
    const svg = charts(full, timers).find((c) => c.file === 'timers-overshoot.svg')?.svg ?? '';
    expect(svg).toContain('p99 20 ms');
    expect(svg).toContain('median 2 ms, max 200 ms');
    expect(svg).toContain('N = 100');
  });
});
