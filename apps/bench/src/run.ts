/**
 * The bench runner: `node dist/run.js [--rounds N] [--scenario name]… [--contender name]… [--workers N] [--quick]`.
 *
 * For each scenario, for each round, for each contender (the order rotated every round, so no contender always
 * runs first on a cold machine or last on a hot one): start a fresh `node --expose-gc dist/contenders/<name>.js
 * <scenario>`, bounded by a timeout, and read the one JSON line it prints. A contender that fails or times out is
 * recorded as such; the runner goes on. Then summarize (median, min–max, ratio against the baseline) and write
 * `latest.md`, `latest.json` and one SVG per scenario.
 *
 * Children run one at a time: on a 2-core machine, two at once would measure each other.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, platform, arch, totalmem, release } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseChildResult } from './protocol.js';
import { charts, renderMarkdown, type Environment, type Report, type ScenarioReport } from './report.js';
import { prepareBenchFile, type BenchFile } from './io/bench-file.js';
import { prepareFileSet, type FileSet } from './fs/file-set.js';
import { prepareEchoClient, type EchoClientBuild } from './net/client.js';
import { describePinning, pinning } from './http/pinning.js';
import { findWrk, type WrkInfo } from './http/wrk.js';
import {
  FS_CONTENDERS,
  FULL,
  HTTP_CONTENDERS,
  IO_CONTENDERS,
  isFsScenario,
  isHttpScenario,
  isNetScenario,
  isPoolScenario,
  isScenario,
  NET_CONTENDERS,
  POOL_CONTENDERS,
  QUICK,
  RUNTIME_CONTENDERS,
  SCENARIO_INFO,
  SERVE_CONTENDERS,
  scenarioContenders,
  SCENARIOS,
  withMaxWorkers,
  type ScenarioName,
} from './scenarios.js';
import {
  formatBytes,
  formatLatency,
  formatMs,
  formatRate,
  formatUs,
  rotation,
  summarizeScenario,
  type Outcome,
  type RunRecord,
} from './stats.js';

/**
 * Every contender: the runtime scenarios' (the first, `promise`, their baseline), then the I/O scenarios', then the
 * fs scenarios' (`fs.read` and `FileHandle.read` run in both I/O and fs scenarios), then the TCP scenarios', then
 * `http_hello`'s and `serve_static`'s (`node:net` and the zokio backends name the server in several), then the
 * worker pools' (`zokio` names the runtime contender and the pool one: `--contender zokio` runs both).
 */
const CONTENDERS: readonly string[] = [
  ...new Set([
    ...RUNTIME_CONTENDERS,
    ...IO_CONTENDERS,
    ...FS_CONTENDERS,
    ...NET_CONTENDERS,
    ...HTTP_CONTENDERS,
    ...SERVE_CONTENDERS,
    ...POOL_CONTENDERS,
  ]),
];
const BASELINE = 'promise';
const DEFAULT_ROUNDS = 5;

/** The scenarios that read the 1 GiB bench file. */
const BENCH_FILE_SCENARIOS: readonly ScenarioName[] = ['driver_read', 'file_random_read', 'sequential_read'];

/**
 * The script a contender runs `scenario` in: one per runtime contender; the I/O contenders share three, the fs
 * scenarios' two (Node's and zokio's); every TCP contender runs `net/bench.js`, every HTTP one `http/bench.js`,
 * which start its server; every pool contender has its own script under `pool/`.
 */
function contenderScript(contender: string, scenario: ScenarioName): string {
  if (isPoolScenario(scenario)) return join('pool', `${contender}.js`);
  if (isNetScenario(scenario)) return join('net', 'bench.js');
  if (isHttpScenario(scenario)) return join('http', 'bench.js');
  if (isFsScenario(scenario)) return join('fs', contender.startsWith('zokio-') ? 'zokio.js' : 'node.js');
  if (!(IO_CONTENDERS as readonly string[]).includes(contender)) return join('contenders', `${contender}.js`);
  if (contender === 'fio') return join('io', 'fio.js');
  return join('io', contender.startsWith('zokio-') ? 'zokio.js' : 'node.js');
}

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));

const USAGE = `Usage: node dist/run.js [options]

  --rounds N          rounds per scenario and contender (default 5, 3 for the I/O, fs and pool scenarios; 1 with --quick)
  --scenario NAME     run only this scenario (repeatable): ${SCENARIOS.join(', ')}
  --contender NAME    run only this contender (repeatable): ${CONTENDERS.join(', ')}
  --workers N         fork_join's largest thread count: 1, 2, 4, … up to N (default os.availableParallelism())
  --quick             a smoke run: smaller sizes, 1 round; written under results/raw/quick
  --timeout S         seconds before a child is killed and reported as timed out (default 120)
  --out DIR           where to write the report, relative to apps/bench unless absolute (default results/, or
                      results/raw/<kind>/ for a partial run); its timestamped copy goes to DIR/raw/ (default
                      results/raw/)
  --help              this text`;

interface Options {
  /** `--rounds`, if given: else each scenario's own default. */
  readonly rounds: number | undefined;
  readonly scenarios: readonly ScenarioName[];
  readonly contenders: readonly string[];
  readonly quick: boolean;
  readonly timeoutS: number;
  readonly outDir: string;
  /** Where the timestamped copy of the report goes: `results/raw/`, or `raw/` under `--out` when given. */
  readonly rawDir: string;
  /** `--workers`, if given: `fork_join`'s largest thread count. */
  readonly workers: number | undefined;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function positiveInteger(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) fail(`Expected ${name} to be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

function parseOptions(argv: readonly string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        rounds: { type: 'string' },
        scenario: { type: 'string', multiple: true },
        contender: { type: 'string', multiple: true },
        quick: { type: 'boolean', default: false },
        timeout: { type: 'string' },
        out: { type: 'string' },
        workers: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const scenarios = (values.scenario ?? [...SCENARIOS]).flatMap((s) => s.split(','));
  for (const s of scenarios)
    if (!isScenario(s)) fail(`Expected --scenario to be one of ${SCENARIOS.join(', ')}, got ${JSON.stringify(s)}`);
  const contenders = (values.contender ?? [...CONTENDERS]).flatMap((c) => c.split(','));
  for (const c of contenders) {
    if (!CONTENDERS.includes(c))
      fail(`Expected --contender to be one of ${CONTENDERS.join(', ')}, got ${JSON.stringify(c)}`);
  }
  const quick = values.quick;
  // A full run (every scenario and contender, full size) is what `results/` holds; anything less goes aside, so a
  // smoke or partial run never overwrites the committed numbers.
  const partial = scenarios.length < SCENARIOS.length || contenders.length < CONTENDERS.length;
  const defaultOut = quick ? 'results/raw/quick' : partial ? 'results/raw/partial' : 'results';
  return {
    rounds: values.rounds === undefined ? (quick ? 1 : undefined) : positiveInteger('--rounds', values.rounds, 1),
    scenarios: scenarios as ScenarioName[],
    contenders: CONTENDERS.filter((c) => contenders.includes(c)),
    quick,
    timeoutS: positiveInteger('--timeout', values.timeout, 120),
    // An absolute --out is used as given (`join` would have put `/tmp/x` under apps/bench/tmp/x).
    outDir: resolve(APP_DIR, values.out ?? defaultOut),
    rawDir: values.out === undefined ? join(APP_DIR, 'results', 'raw') : join(resolve(APP_DIR, values.out), 'raw'),
    workers: values.workers === undefined ? undefined : positiveInteger('--workers', values.workers, 1),
  };
}

/** `dir` relative to apps/bench when inside it, else absolute. */
function shownPath(dir: string): string {
  const inApp = relative(APP_DIR, dir);
  return inApp.startsWith('..') ? dir : inApp || '.';
}

function tail(text: string, lines = 6): string {
  return text.trim().split('\n').slice(-lines).join(' ⏎ ').slice(0, 600);
}

/**
 * One child to run: a runtime scenario, a variant of an I/O scenario (with the file it reads), or an fs scenario
 * (with the file or the file set's directory it reads).
 */
interface ChildJob {
  readonly contender: string;
  readonly scenario: ScenarioName;
  readonly variant?: number;
  /** `driver_read`'s file (`--file`). */
  readonly file?: string;
  /** The fs scenarios' file or directory (`--path`). */
  readonly path?: string;
}

/** The command line of one child, after `node --expose-gc …`: its script and arguments. */
function childArgs(job: ChildJob, quick: boolean): string[] {
  const { contender, scenario, variant } = job;
  const named =
    variant !== undefined ||
    isFsScenario(scenario) ||
    isNetScenario(scenario) ||
    isHttpScenario(scenario) ||
    isPoolScenario(scenario);
  return [
    join(APP_DIR, 'dist', contenderScript(contender, scenario)),
    ...(named ? [contender, scenario] : [scenario]),
    ...(variant === undefined ? [] : ['--variant', String(variant)]),
    ...(job.file === undefined ? [] : ['--file', job.file]),
    ...(job.path === undefined ? [] : ['--path', job.path]),
    ...(quick ? ['--quick'] : []),
  ];
}

/** Runs one contender on one scenario in a fresh process. Never throws: a failure is an {@link Outcome}. */
function runChild(job: ChildJob, options: Options): { outcome: Outcome; wallMs: number } {
  const { contender, scenario, variant } = job;
  const args = ['--expose-gc', '--max-old-space-size=4096', ...childArgs(job, options.quick)];
  const start = performance.now();
  const child = spawnSync(process.execPath, args, {
    cwd: APP_DIR,
    encoding: 'utf8',
    timeout: options.timeoutS * 1000,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
  });
  const wallMs = performance.now() - start;
  const error = child.error as NodeJS.ErrnoException | undefined;
  if (error?.code === 'ETIMEDOUT') {
    return { wallMs, outcome: { ok: false, status: 'timeout', message: `killed after ${options.timeoutS} s` } };
  }
  if (error !== undefined) return { wallMs, outcome: { ok: false, status: 'failed', message: error.message } };
  if (child.status !== 0) {
    const how = child.signal === null ? `exit code ${child.status}` : `signal ${child.signal}`;
    return { wallMs, outcome: { ok: false, status: 'failed', message: `${how}: ${tail(child.stderr)}` } };
  }
  try {
    const result = parseChildResult(child.stdout);
    if (result.contender !== contender || result.scenario !== scenario || result.variant !== variant) {
      throw new Error(
        `Expected a result for ${contender} ${scenario} ${variant ?? ''}, got ` +
          `${result.contender} ${result.scenario} ${result.variant ?? ''}`,
      );
    }
    if (result.unavailable !== undefined) {
      return { wallMs, outcome: { ok: false, status: 'unavailable', message: result.unavailable } };
    }
    return { wallMs, outcome: { ok: true, result } };
  } catch (thrown) {
    return {
      wallMs,
      outcome: { ok: false, status: 'failed', message: thrown instanceof Error ? thrown.message : String(thrown) },
    };
  }
}

function git(args: string[]): string | undefined {
  const r = spawnSync('git', args, { cwd: APP_DIR, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function environment(): Environment {
  const cpu = cpus();
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const status = git(['status', '--porcelain']);
  const zokioEnv = Object.fromEntries(
    Object.entries(process.env).flatMap(([k, v]) => (k.startsWith('ZOKIO_') && v !== undefined ? [[k, v]] : [])),
  );
  return {
    node: process.version,
    v8: process.versions.v8,
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    platform: `${platform()} ${release()} ${arch()}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    ...(commit === undefined ? {} : { commit }),
    ...(status === undefined ? {} : { dirty: status !== '' }),
    ...(Object.keys(zokioEnv).length === 0 ? {} : { zokioEnv }),
  };
}

/**
 * `text` as the repository's Prettier would write it, so that committed results pass `prettier --check .`. Prettier
 * is the monorepo's own (a root devDependency, loaded when there); without it the text is written as is.
 */
async function formatLikeTheRepo(file: string, text: string): Promise<string> {
  try {
    const prettier = await import('prettier');
    const config = (await prettier.resolveConfig(file)) ?? {};
    return await prettier.format(text, { ...config, filepath: file });
  } catch {
    return `${text}\n`;
  }
}

function describeOutcome(outcome: Outcome, scenario: ScenarioName): string {
  if (!outcome.ok) return `${outcome.status.toUpperCase()}: ${outcome.message}`;
  const r = outcome.result;
  if (SCENARIO_INFO[scenario].measures === 'cost') {
    const cpu = r.cpuMs === undefined ? '' : `CPU ${formatMs(r.cpuMs)}`;
    const rss = r.peakRssBytes === undefined ? '' : `, RSS +${formatBytes(r.peakRssBytes)}`;
    const late = r.overshootMs === undefined ? '' : `, overshoot p99 ${formatMs(r.overshootMs.p99)}`;
    return `${cpu}${rss}${late}`;
  }
  if (r.overheadUsPerJob !== undefined) {
    return (
      `${formatUs(r.overheadUsPerJob)}/job overhead (job ${formatUs(r.jobUs ?? NaN)}, ${r.workers ?? '?'} workers), ` +
      `${formatRate(r.opsPerSec)} ${SCENARIO_INFO[scenario].unit}`
    );
  }
  if (r.bytesPerConnection !== undefined) {
    const heap = r.heapBytesPerConnection === undefined ? '' : ` (heap ${formatBytes(r.heapBytesPerConnection)})`;
    return `${formatBytes(r.bytesPerConnection)}/connection${heap} over ${r.n.toLocaleString('en-US')} connections`;
  }
  const memory = r.retainedBytesPerTask === undefined ? '' : `, ${formatBytes(r.retainedBytesPerTask)}/task`;
  const rtt =
    r.roundTripMs === undefined
      ? ''
      : `, ${isHttpScenario(scenario) ? 'latency' : 'RTT'} median ${formatLatency(r.roundTripMs.median)}, ` +
        `p99 ${formatLatency(r.roundTripMs.p99)}`;
  const cpu =
    r.serverCpuNsPerOp === undefined
      ? ''
      : `, server CPU ${formatLatency(r.serverCpuNsPerOp / 1e6)}/request (${((r.serverCpu ?? 0) * 100).toFixed(0)} %)` +
        `${r.clientCpu === undefined ? '' : `, wrk CPU ${(r.clientCpu * 100).toFixed(0)} %`}`;
  return `${formatRate(r.opsPerSec)} ${SCENARIO_INFO[scenario].unit}${memory}${rtt}${cpu}`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parseOptions(argv);
  for (const scenario of options.scenarios) {
    for (const contender of scenarioContenders(scenario).filter((c) => options.contenders.includes(c))) {
      const script = join(APP_DIR, 'dist', contenderScript(contender, scenario));
      if (!existsSync(script))
        fail(`Expected ${relative(APP_DIR, script)} to exist: build first (pnpm --filter @zokio/bench build)`);
    }
  }
  const command = ['node', 'dist/run.js', ...argv].join(' ');
  const started = performance.now();
  const records: RunRecord[] = [];
  const scenarios: ScenarioReport[] = [];
  let benchFile: BenchFile | undefined;
  let fileSet: FileSet | undefined;
  let echoClient: EchoClientBuild | undefined;
  let wrk: (WrkInfo & { readonly pinning: string }) | undefined;
  let wrkChecked = false;
  const params = withMaxWorkers(options.quick ? QUICK : FULL, options.workers);
  for (const scenario of options.scenarios) {
    const info = SCENARIO_INFO[scenario];
    const contenders = scenarioContenders(scenario).filter((c) => options.contenders.includes(c));
    if (contenders.length === 0) continue;
    const baseline = scenarioContenders(scenario)[0]!;
    const rounds = options.rounds ?? info.rounds ?? DEFAULT_ROUNDS;
    if (BENCH_FILE_SCENARIOS.includes(scenario) && benchFile === undefined) {
      // Once per run: create the file if an earlier run has not, and read it through so it is in the page cache.
      // Every scenario that reads it reads the same one (the same size in FULL and QUICK).
      benchFile = prepareBenchFile(params.driver_read.fileBytes);
      process.stderr.write(
        `[${scenario}] ${benchFile.created ? `wrote ${benchFile.path} in ${formatMs(benchFile.createMs ?? 0)}` : `reusing ${benchFile.path}`}` +
          `; read through in ${formatMs(benchFile.warmMs)}\n`,
      );
    }
    if (scenario === 'small_files' && fileSet === undefined) {
      // The same for the file set: created once, every file read once here, so the children read the page cache.
      fileSet = prepareFileSet(params.small_files);
      process.stderr.write(
        `[small_files] ${fileSet.created ? `created ${fileSet.dir} in ${formatMs(fileSet.createMs ?? 0)}` : `reusing ${fileSet.dir}`}` +
          `; read through in ${formatMs(fileSet.warmMs)}\n`,
      );
    }
    if (isNetScenario(scenario) && echoClient === undefined) {
      // Once per run, before the first TCP child: the load client, compiled if the cache has none, so that no
      // child's timeout pays for the compile.
      try {
        echoClient = prepareEchoClient(APP_DIR);
        process.stderr.write(
          `[${scenario}] ${echoClient.compiled ? `compiled ${echoClient.path} in ${formatMs(echoClient.compileMs ?? 0)}` : `reusing ${echoClient.path}`}\n`,
        );
      } catch (error) {
        // Each child tries again and fails with the same message, recorded with its run.
        process.stderr.write(`[${scenario}] ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
    if (isHttpScenario(scenario) && !wrkChecked) {
      // Once per run, before the first HTTP child: where wrk is (the report says), and where the processes run.
      wrkChecked = true;
      try {
        wrk = { ...findWrk(), pinning: describePinning(pinning()) };
        process.stderr.write(`[${scenario}] ${wrk.version} at ${wrk.path}; ${wrk.pinning}\n`);
      } catch (error) {
        // Each child fails with the same message (install wrk), recorded with its run: the scenario fails, loudly.
        process.stderr.write(`[${scenario}] ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
    for (const variant of info.variants?.values(params) ?? [undefined]) {
      const label = variant === undefined ? scenario : `${scenario} ${info.variants?.label(variant)}`;
      for (let round = 0; round < rounds; round++) {
        for (const contender of rotation(contenders, round)) {
          const file = variant === undefined || scenario !== 'driver_read' ? undefined : benchFile?.path;
          const path = !isFsScenario(scenario)
            ? undefined
            : scenario === 'small_files'
              ? fileSet?.dir
              : benchFile?.path;
          const job: ChildJob = {
            contender,
            scenario,
            ...(variant === undefined ? {} : { variant }),
            ...(file === undefined ? {} : { file }),
            ...(path === undefined ? {} : { path }),
          };
          const { outcome, wallMs } = runChild(job, options);
          records.push({
            scenario,
            contender,
            round: round + 1,
            ...(variant === undefined ? {} : { variant }),
            wallMs,
            outcome,
          });
          process.stderr.write(
            `[${label} ${round + 1}/${rounds}] ${contender.padEnd(15)} ${describeOutcome(outcome, scenario)} ` +
              `(${(wallMs / 1000).toFixed(1)} s)\n`,
          );
        }
      }
      scenarios.push({
        name: scenario,
        ...(variant === undefined ? {} : { variant }),
        baseline,
        rounds,
        summaries: summarizeScenario(records, scenario, contenders, baseline, variant),
      });
    }
  }

  const report: Report = {
    generatedAt: new Date().toISOString(),
    command,
    environment: environment(),
    rounds: options.rounds ?? DEFAULT_ROUNDS,
    quick: options.quick,
    timeoutS: options.timeoutS,
    baseline: BASELINE,
    contenders: options.contenders,
    params,
    scenarios,
    ...(benchFile === undefined ? {} : { benchFile }),
    ...(fileSet === undefined ? {} : { fileSet }),
    ...(echoClient === undefined ? {} : { echoClient }),
    ...(wrk === undefined ? {} : { wrk }),
    runs: records,
  };

  mkdirSync(options.outDir, { recursive: true });
  const markdown = renderMarkdown(report);
  const mdPath = join(options.outDir, 'latest.md');
  const jsonPath = join(options.outDir, 'latest.json');
  writeFileSync(mdPath, await formatLikeTheRepo(mdPath, markdown));
  writeFileSync(jsonPath, await formatLikeTheRepo(jsonPath, JSON.stringify(report, null, 2)));
  let chartCount = 0;
  for (const scenario of scenarios) {
    for (const chart of charts(report, scenario)) {
      writeFileSync(join(options.outDir, chart.file), chart.svg);
      chartCount++;
    }
  }
  // A timestamped copy of every run, for comparing runs over time: under results/raw/ (ignored by git), or under
  // --out's directory when given, so that a run pointed elsewhere writes nothing into the checkout.
  mkdirSync(options.rawDir, { recursive: true });
  const rawPath = join(options.rawDir, `${report.generatedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(rawPath, `${JSON.stringify(report, null, 2)}\n`);

  process.stdout.write(markdown);
  const failed = records.filter((r) => !r.outcome.ok && r.outcome.status !== 'unavailable').length;
  process.stderr.write(
    `\nWrote ${shownPath(options.outDir)}/latest.{md,json}, ${chartCount} chart(s) and ${shownPath(rawPath)} ` +
      `in ${((performance.now() - started) / 1000).toFixed(0)} s` +
      `${failed > 0 ? `; ${failed} run(s) failed or timed out` : ''}.\n`,
  );
  // Failed runs are in the report; the exit status still says so, for scripts and CI.
  if (failed > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench runner failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
