import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileSetDir, fileSetPaths, prepareFileSet } from '../src/fs/file-set.js';
import { parseFsArgs } from '../src/fs/harness.js';
import { checkTargets, renderMarkdown } from '../src/report.js';
import {
  FS_CONTENDERS,
  FS_SCENARIOS,
  FULL,
  QUICK,
  SCENARIO_INFO,
  scenarioContenders,
  smallFileSizes,
  type ScenarioName,
} from '../src/scenarios.js';
import type { RunRecord } from '../src/stats.js';
import { recordOf, reportOf, scenarioReport, variantReports } from './report-fixtures.js';

describe('smallFileSizes', () => {
  const set = { files: 10_000, minBytes: 1024, maxBytes: 16 * 1024, seed: 0x5eed };

  it('draws the same sizes for the same seed, in every process', () => {
    expect(smallFileSizes(set)).toEqual(smallFileSizes(set));
    expect(smallFileSizes({ ...set, seed: 1 })).not.toEqual(smallFileSizes(set));
    expect(smallFileSizes({ ...set, files: 10 })).toEqual(smallFileSizes(set).subarray(0, 10));
  });

  it('keeps every size whole, from minBytes to maxBytes inclusive, spread over the range', () => {
    const sizes = [...smallFileSizes(set)];
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1024);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(16 * 1024);
    expect(sizes.every(Number.isInteger)).toBe(true);
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    expect(mean).toBeGreaterThan(8_704 - 200);
    expect(mean).toBeLessThan(8_704 + 200);
    expect([...smallFileSizes({ ...set, files: 3, minBytes: 7, maxBytes: 7 })]).toEqual([7, 7, 7]);
  });

  it('refuses no files, an empty range and sizes that are not whole', () => {
    expect(() => smallFileSizes({ ...set, files: 0 })).toThrow(RangeError);
    expect(() => smallFileSizes({ ...set, minBytes: 2048, maxBytes: 1024 })).toThrow(RangeError);
    expect(() => smallFileSizes({ ...set, minBytes: 0 })).toThrow(RangeError);
    expect(() => smallFileSizes({ ...set, maxBytes: 1_500.5 })).toThrow(/whole sizes/);
  });
});

describe('the fs scenarios’ sizes and contenders', () => {
  it('reads the same 1 GiB file as driver_read in every scenario that reads one, at both sizes', () => {
    for (const params of [FULL, QUICK]) {
      expect(params.file_random_read.fileBytes).toBe(params.driver_read.fileBytes);
      expect(params.sequential_read.fileBytes).toBe(params.driver_read.fileBytes);
    }
  });

  it('sizes small_files and sequential_read per run, file_random_read per contender and depth', () => {
    expect(SCENARIO_INFO.small_files.ops(FULL)).toBe(FULL.small_files.reads);
    expect(SCENARIO_INFO.sequential_read.ops(FULL)).toBe(2 ** 30);
    const info = SCENARIO_INFO.file_random_read;
    expect(info.ops(FULL, { contender: 'zokio-readAt', variant: 1 })).toBe(50_000);
    expect(() => info.ops(FULL, { contender: 'fio', variant: 1 })).toThrow(RangeError);
    expect(() => info.ops(FULL, { contender: 'fs.read', variant: 2 })).toThrow(RangeError);
    for (const params of [FULL, QUICK]) {
      const r = params.file_random_read;
      for (const c of scenarioContenders('file_random_read')) expect(r.reads[c]).toHaveLength(r.depths.length);
    }
  });

  it('reads 10,000 files of 1 – 16 KiB, 64 in flight, and the quick run the same set', () => {
    expect(FULL.small_files).toMatchObject({ files: 10_000, minBytes: 1024, maxBytes: 16_384, depth: 64 });
    expect(fileSetDir(QUICK.small_files)).toBe(fileSetDir(FULL.small_files));
    expect(FULL.file_random_read.depths).toEqual([1, 16, 64, 256]);
    expect(FULL.sequential_read.chunkBytes).toBe(64 * 1024);
  });

  it('divides by fs.promises.readFile and fs.read, and by readFileSync and createReadStream too', () => {
    expect(scenarioContenders('small_files')[0]).toBe('fs.promises.readFile');
    expect(SCENARIO_INFO.small_files.alsoAgainst).toBe('fs.readFileSync');
    expect(scenarioContenders('file_random_read')[0]).toBe('fs.read');
    expect(scenarioContenders('sequential_read')[0]).toBe('fs.promises.readFile');
    expect(SCENARIO_INFO.sequential_read.alsoAgainst).toBe('fs.createReadStream');
    for (const s of FS_SCENARIOS) {
      for (const c of scenarioContenders(s)) expect(FS_CONTENDERS).toContain(c);
      for (const check of SCENARIO_INFO[s].checks ?? []) {
        expect(scenarioContenders(s)).toContain(check.contender);
        expect(scenarioContenders(s)).toContain(check.against);
      }
    }
  });
});

describe('parseFsArgs', () => {
  const path = ['--path', '/tmp/f.bin'];

  it('reads the contender, the scenario, the depth of file_random_read and the path', () => {
    expect(parseFsArgs(['zokio-readAt', 'file_random_read', '--variant', '64', ...path])).toMatchObject({
      contender: 'zokio-readAt',
      scenario: 'file_random_read',
      variant: 64,
      path: '/tmp/f.bin',
      params: FULL,
    });
    const small = parseFsArgs(['fs.readFileSync', 'small_files', '--path', '/tmp/set', '--quick']);
    expect(small).toMatchObject({ scenario: 'small_files', path: '/tmp/set', params: QUICK });
    expect(small.variant).toBeUndefined();
  });

  it('refuses a contender the scenario does not run, and a scenario that is not an fs one', () => {
    expect(() => parseFsArgs(['fs.read', 'small_files', ...path])).toThrow(/Expected a contender of small_files/);
    expect(() => parseFsArgs(['zokio-readAt', 'driver_read', '--variant', '1', ...path])).toThrow(
      /Expected a scenario of small_files, file_random_read, sequential_read/,
    );
    expect(() => parseFsArgs(['zokio-readFile'])).toThrow(/Expected <contender> <scenario>/);
  });

  it('wants a depth of the scenario’s for file_random_read, and none for the others', () => {
    expect(() => parseFsArgs(['fs.read', 'file_random_read', ...path])).toThrow(/--variant to be one of 1, 16, 64/);
    expect(() => parseFsArgs(['fs.read', 'file_random_read', '--variant', '32', ...path])).toThrow(/got "32"/);
    // The quick run has fewer depths.
    expect(() => parseFsArgs(['fs.read', 'file_random_read', '--variant', '16', ...path, '--quick'])).toThrow(
      /one of 1, 64 /,
    );
    expect(() => parseFsArgs(['zokio-readFile', 'sequential_read', '--variant', '1', ...path])).toThrow(
      /no --variant for sequential_read/,
    );
  });

  it('wants a path', () => {
    expect(() => parseFsArgs(['zokio-readFile', 'small_files'])).toThrow(/Expected --path/);
    expect(() => parseFsArgs(['zokio-readFile', 'small_files', '--path', ''])).toThrow(/Expected --path/);
  });
});

describe('the small files', () => {
  const root = mkdtempSync(join(tmpdir(), 'zokio-bench-test-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const set = { files: 20, minBytes: 1, maxBytes: 5_000, seed: 3 };

  it('are created once, each of its seeded size, with no zero byte, then reused', () => {
    const dir = fileSetDir(set, root);
    const first = prepareFileSet(set, dir);
    expect(first.created).toBe(true);
    const sizes = smallFileSizes(set);
    const paths = fileSetPaths(dir, set.files);
    expect(paths.map((p) => statSync(p).size)).toEqual([...sizes]);
    expect(first.bytes).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(paths.some((p) => readFileSync(p).includes(0))).toBe(false);
    expect(basename(paths[3]!)).toBe('000003.bin');
    const second = prepareFileSet(set, dir);
    expect(second.created).toBe(false);
    expect(second.bytes).toBe(first.bytes);
  });

  it('are created again when a file has another size, and live apart from another set', () => {
    const dir = fileSetDir(set, root);
    prepareFileSet(set, dir);
    writeFileSync(fileSetPaths(dir, set.files)[7]!, 'short');
    expect(prepareFileSet(set, dir).created).toBe(true);
    expect(fileSetDir({ ...set, seed: 4 }, root)).not.toBe(dir);
    expect(fileSetDir({ ...set, files: 21 }, root)).not.toBe(dir);
  });
});

function run(scenario: ScenarioName, contender: string, opsPerSec: number, variant?: number): RunRecord {
  return recordOf({
    contender,
    scenario,
    ...(variant === undefined ? {} : { variant }),
    n: 1_000,
    opsPerSec,
    elapsedMs: 1_000,
  });
}

describe('the report of the fs scenarios', () => {
  const smallRecords = [
    run('small_files', 'fs.promises.readFile', 20_000),
    run('small_files', 'fs.readFileSync', 100_000),
    run('small_files', 'zokio-readFile', 70_000),
  ];
  const small = scenarioReport(
    smallRecords,
    'small_files',
    ['fs.promises.readFile', 'fs.readFileSync', 'zokio-readFile'],
    'fs.promises.readFile',
  );
  const sequentialRecords = [
    run('sequential_read', 'fs.promises.readFile', 1.2e9),
    run('sequential_read', 'fs.createReadStream', 1.0e9),
    run('sequential_read', 'zokio-File.read', 2.4e9),
  ];
  const sequential = scenarioReport(
    sequentialRecords,
    'sequential_read',
    ['fs.promises.readFile', 'fs.createReadStream', 'zokio-readFile', 'zokio-File.read'],
    'fs.promises.readFile',
  );
  const randomRecords = [1, 64].flatMap((d) => [
    run('file_random_read', 'fs.read', d === 1 ? 20_000 : 300_000, d),
    run('file_random_read', 'zokio-readAt', d === 1 ? 120_000 : 300_000, d),
  ]);
  const random = variantReports(randomRecords, 'file_random_read', [1, 64], ['fs.read', 'zokio-readAt'], 'fs.read');
  const report = reportOf({
    command: 'node dist/run.js --scenario small_files',
    rounds: 5,
    contenders: ['fs.promises.readFile', 'fs.readFileSync', 'zokio-readFile'],
    scenarios: [small, ...random, sequential],
    runs: [...smallRecords, ...randomRecords, ...sequentialRecords],
    benchFile: { path: '/tmp/zokio-bench/f.bin', bytes: 2 ** 30, created: false, warmMs: 250 },
    fileSet: {
      dir: '/tmp/zokio-bench/set',
      files: 10_000,
      bytes: 87_264_445,
      created: true,
      createMs: 900,
      warmMs: 150,
    },
  });
  const markdown = renderMarkdown(report);

  it('divides small_files by fs.promises.readFile, and by readFileSync beside it', () => {
    expect(markdown).toContain('| × fs.promises.readFile (higher is faster) | × fs.readFileSync |');
    expect(markdown).toMatch(/\| zokio-readFile \| 70\.0 k \| [^|]+ \| 3\.50× \| 0\.70× \| 1\/1 \|/);
  });

  it('checks the targets of a scenario without variants, with no “at”', () => {
    expect(checkTargets(SCENARIO_INFO.small_files.checks ?? [], [small]).map((r) => r.met)).toEqual([true, false]);
    expect(markdown).toContain('- zokio-readFile ≥ 3× fs.promises.readFile: 3.50×, **met**');
    expect(markdown).toContain('- zokio-readFile ≥ 1× fs.readFileSync: 0.70×, **not met**');
    // zokio-readFile did not run in this sequential_read: its targets are not measured, File.read's are.
    expect(markdown).toContain('- zokio-readFile ≥ 1× fs.createReadStream: –, not measured');
    expect(markdown).toContain('- zokio-File.read ≥ 1× fs.createReadStream: 2.40×, **met**');
  });

  it('checks file_random_read at its depths', () => {
    expect(markdown).toContain('- zokio-readAt ≥ 5× fs.read at 1 in flight: 6.00×, **met**');
    expect(markdown).toContain('- zokio-readAt ≥ 1.5× fs.read at 64 in flight: 1.00×, **not met**');
    expect(markdown).toContain('- zokio-readOwned ≥ 5× fs.read at 1 in flight: –, not measured');
  });

  it('says what each scenario read: the file set, or the 1 GiB file', () => {
    expect(markdown).toContain(
      'The files: `/tmp/zokio-bench/set`, 10,000 files, 83.2 MiB in all, created by this run in 900 ms; each read ' +
        'once before the first child (`readFileSync`, 150 ms).',
    );
    const fileLine = 'The file: `/tmp/zokio-bench/f.bin`, 1 GiB, reused from an earlier run';
    expect(markdown.split(fileLine)).toHaveLength(3);
    expect(markdown).toContain('The whole 1 GiB page-cached file read once');
    expect(markdown).toContain('50,000 whole-file reads (5 passes) over a set of 10,000 files of 1 KiB – 16 KiB');
  });
});
