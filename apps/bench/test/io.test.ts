import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { benchFilePath, prepareBenchFile } from '../src/io/bench-file.js';
import { fioArgs, parseFioOutput } from '../src/io/fio-job.js';
import { parseChildResult, type ChildResult } from '../src/protocol.js';
import { charts, checkTargets, renderMarkdown } from '../src/report.js';
import { FULL, randomOffsets, SCENARIO_INFO, scenarioContenders, sleepDurations } from '../src/scenarios.js';
import { formatNsPerOp, type Outcome, type RunRecord } from '../src/stats.js';
import { reportOf, variantReports } from './report-fixtures.js';

describe('randomOffsets', () => {
  const params = { ...FULL.driver_read, fileBytes: 2 ** 30, blockBytes: 4096, seed: 7 };

  it('draws the same block-aligned offsets for the same seed, in every process', () => {
    expect(randomOffsets(1_000, params)).toEqual(randomOffsets(1_000, params));
    expect(randomOffsets(1_000, { ...params, seed: 8 })).not.toEqual(randomOffsets(1_000, params));
    // A shorter run reads a prefix of a longer one's list: contenders sized differently read the same offsets.
    expect(randomOffsets(10, params)).toEqual(randomOffsets(1_000, params).subarray(0, 10));
  });

  it('keeps every read inside the file and on a block boundary, spread over the whole file', () => {
    const offsets = [...randomOffsets(100_000, params)];
    for (const o of offsets) {
      expect(o % 4096).toBe(0);
      expect(o).toBeGreaterThanOrEqual(0);
      expect(o + 4096).toBeLessThanOrEqual(2 ** 30);
    }
    const mean = offsets.reduce((a, b) => a + b, 0) / offsets.length;
    expect(mean / 2 ** 30).toBeGreaterThan(0.49);
    expect(mean / 2 ** 30).toBeLessThan(0.51);
  });

  it('refuses a file smaller than one block', () => {
    expect(() => randomOffsets(1, { ...params, fileBytes: 100 })).toThrow(RangeError);
  });

  it('shares its generator with sleepDurations, whose list is unchanged', () => {
    expect([...sleepDurations({ sleeps: 5, maxMs: 1_000, seed: 0x5eed })]).toEqual([710, 286, 952, 101, 378]);
  });
});

describe('the I/O scenarios’ sizes', () => {
  it('sizes each run by contender and variant, and refuses one it has no size for', () => {
    const info = SCENARIO_INFO.driver_read;
    expect(info.ops(FULL, { contender: 'fs.read', variant: 1 })).toBe(20_000);
    expect(info.ops(FULL, { contender: 'zokio-io_uring', variant: 64 })).toBe(800_000);
    expect(() => info.ops(FULL, { contender: 'fs.read', variant: 2 })).toThrow(RangeError);
    expect(() => info.ops(FULL)).toThrow(RangeError);
  });

  it('gives every non-fio contender a size at every depth, and every nop size is a multiple of its batch', () => {
    const read = FULL.driver_read;
    for (const c of scenarioContenders('driver_read').filter((c) => c !== 'fio'))
      expect(read.reads[c]).toHaveLength(read.depths.length);
    const nop = FULL.driver_nop;
    for (const c of scenarioContenders('driver_nop'))
      nop.batches.forEach((b, i) => expect((nop.ops[c]?.[i] ?? 1) % b).toBe(0));
  });

  it('runs fs.read first in driver_read (the baseline) and the js backend first in driver_nop', () => {
    expect(scenarioContenders('driver_read')[0]).toBe('fs.read');
    expect(scenarioContenders('driver_nop')).toEqual(['zokio-js', 'zokio-io_uring']);
    expect(scenarioContenders('spawn')[0]).toBe('promise');
  });
});

describe('fio', () => {
  it('runs buffered io_uring random reads at the given depth, leaving the page cache alone', () => {
    const args = fioArgs('/tmp/f.bin', 64, 1);
    expect(args).toContain('--filename=/tmp/f.bin');
    expect(args).toContain('--iodepth=64');
    expect(args).toContain('--ioengine=io_uring');
    expect(args).toContain('--direct=0');
    expect(args).toContain('--invalidate=0');
    expect(args).toContain('--runtime=1000ms');
    expect(fioArgs('/f', 1, 0.2)).toContain('--runtime=200ms');
  });

  const output = JSON.stringify({
    'fio version': 'fio-3.33',
    jobs: [{ jobname: 'r', error: 0, job_runtime: 1000, read: { iops: 461178.8, total_ios: 461640 } }],
  });

  it('reads the IOPS, reads and runtime of the first job, after any warning lines', () => {
    const expected = { iops: 461178.8, ios: 461640, runtimeMs: 1000, version: 'fio-3.33' };
    expect(parseFioOutput(output)).toEqual(expected);
    expect(parseFioOutput(`fio: some warning\n${output}`)).toEqual(expected);
  });

  it('says what it expected when the output is not a successful job', () => {
    expect(() => parseFioOutput('fio: engine io_uring not loadable')).toThrow(/Expected fio's JSON output/);
    expect(() => parseFioOutput('{"jobs": [{"error": 5}]}')).toThrow(/error 0/);
  });
});

describe('the child protocol for variants', () => {
  it('carries the variant, and an unavailable contender with why', () => {
    const line =
      '{"contender":"fio","scenario":"driver_read","variant":64,"n":0,"opsPerSec":0,"elapsedMs":0,' +
      '"unavailable":"fio is not installed"}';
    expect(parseChildResult(line)).toMatchObject({ variant: 64, unavailable: 'fio is not installed' });
    expect(() => parseChildResult(line.replace('64', '"64"'))).toThrow(/Expected/);
  });

  it('prints the wall time per op', () => {
    expect(formatNsPerOp(605_515)).toBe('1.65 µs');
    expect(formatNsPerOp(3_415_090)).toBe('293 ns');
  });
});

function run(contender: string, variant: number, round: number, outcome: Outcome | number): RunRecord {
  const result: ChildResult = {
    contender,
    scenario: 'driver_read',
    variant,
    n: 1_000,
    opsPerSec: typeof outcome === 'number' ? outcome : 0,
    elapsedMs: 1_000,
  };
  return {
    scenario: 'driver_read',
    contender,
    variant,
    round,
    wallMs: 1_200,
    outcome: typeof outcome === 'number' ? { ok: true, result } : outcome,
  };
}

describe('the report of a scenario with variants', () => {
  const contenders = ['fs.read', 'zokio-io_uring', 'fio'];
  const noFio: Outcome = { ok: false, status: 'unavailable', message: 'fio is not installed' };
  const records = [1, 64].flatMap((depth) =>
    [1, 2].flatMap((round) => [
      run('fs.read', depth, round, depth === 1 ? 20_000 : 500_000),
      run('zokio-io_uring', depth, round, depth === 1 ? 120_000 : 900_000),
      run('fio', depth, round, noFio),
    ]),
  );
  const variants = variantReports(records, 'driver_read', [1, 64], contenders, 'fs.read', 2);
  const report = reportOf({
    command: 'node dist/run.js --scenario driver_read',
    rounds: 5,
    contenders,
    scenarios: variants,
    runs: records,
    benchFile: { path: '/tmp/zokio-bench/f.bin', bytes: 2 ** 30, created: false, warmMs: 200 },
  });
  const markdown = renderMarkdown(report);

  it('summarizes each variant on its own runs', () => {
    expect(variants[0]!.summaries[1]!.throughput?.median).toBe(120_000);
    expect(variants[1]!.summaries[1]!.throughput?.median).toBe(900_000);
    expect(variants[1]!.summaries[1]!.throughputRatio).toBeCloseTo(1.8);
  });

  it('checks each target at its variant: met, not met, or not measured when a side did not run', () => {
    const results = checkTargets(SCENARIO_INFO.driver_read.checks ?? [], variants);
    expect(results.map((r) => r.met)).toEqual([true, true, undefined]);
    expect(results[0]!.ratio).toBe(6);
    const strict = checkTargets(
      [{ contender: 'zokio-io_uring', against: 'fs.read', variant: 64, atLeast: 2 }],
      variants,
    );
    expect(strict[0]!.met).toBe(false);
    expect(markdown).toContain('- zokio-io_uring ≥ 5× fs.read at 1 in flight: 6.00×, **met**');
    expect(markdown).toContain('- zokio-io_uring ≥ 0.8× fio at 64 in flight: –, not measured');
  });

  it('shows every variant at a glance, then one table and one chart per variant, with each run’s size', () => {
    expect(markdown.match(/^## driver_read/gm)).toHaveLength(1);
    expect(markdown).toContain('| contender | 1 in flight | 64 in flight |');
    expect(markdown).toContain('| zokio-io_uring | 120 k (6.00×) | 900 k (1.80×) |');
    expect(markdown).toContain('### 64 in flight');
    expect(markdown).toContain('| contender | median n per run | median reads/s |');
    expect(markdown).toContain('read through once before the first child (in 1 MiB reads, 200 ms: 5.00 GiB/s');
    expect(charts(report, variants[1]!).map((c) => c.file)).toEqual(['driver_read-qd64.svg']);
    expect(markdown).toContain('](driver_read-qd1.svg)');
  });

  it('reports an unavailable contender as such, once, without calling it a failure', () => {
    expect(markdown).toContain('| fio | unavailable | unavailable |');
    expect(markdown.match(/- \*\*fio\*\*: unavailable: fio is not installed/g)).toHaveLength(2);
    expect(markdown).not.toContain('failed');
  });
});

describe('the bench file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zokio-bench-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is written once, of the exact size, with no zero byte, then reused', () => {
    const bytes = 3 * 2 ** 20 + 4096;
    const path = benchFilePath(bytes, dir);
    const first = prepareBenchFile(bytes, path);
    expect(first.created).toBe(true);
    expect(statSync(path).size).toBe(bytes);
    expect(readFileSync(path).includes(0)).toBe(false);
    const second = prepareBenchFile(bytes, path);
    expect(second.created).toBe(false);
    expect(second.warmMs).toBeGreaterThanOrEqual(0);
  });

  it('is written again when an earlier one has another size', () => {
    const path = benchFilePath(8192, dir);
    writeFileSync(path, 'short');
    expect(prepareBenchFile(8192, path).created).toBe(true);
    expect(statSync(path).size).toBe(8192);
  });
});
