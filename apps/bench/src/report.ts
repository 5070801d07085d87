/**
 * What a bench run writes: the report object (`latest.json`), its markdown (`latest.md`) and its charts (one SVG
 * per scenario, plus one for `spawn`'s memory, and for `timers` one each for CPU time, peak RSS and overshoot).
 * Pure: the runner does the I/O.
 *
 * @module
 */
import type { FileSet } from './fs/file-set.js';
import type { BenchFile } from './io/bench-file.js';
import type { WrkInfo } from './http/wrk.js';
import type { EchoClientBuild } from './net/client.js';
import {
  isHttpScenario,
  SCENARIO_INFO,
  type MemoryLimit,
  type OverheadLimit,
  type Params,
  type ScenarioName,
  type TargetCheck,
} from './scenarios.js';
import {
  formatBytes,
  formatLatency,
  formatMs,
  formatNsPerOp,
  formatRate,
  formatRatio,
  formatUs,
  ratio,
  type ContenderSummary,
  type RunRecord,
  type Summary,
} from './stats.js';
import { renderBarChart, type Bar } from './svg.js';

/** Where the numbers were taken. */
export interface Environment {
  readonly node: string;
  readonly v8: string;
  readonly cpu: string;
  readonly cores: number;
  readonly platform: string;
  readonly memoryGiB: number;
  /** `git rev-parse --short HEAD`, if run inside a checkout. */
  readonly commit?: string;
  /** True if the checkout had uncommitted changes. */
  readonly dirty?: boolean;
  /** `ZOKIO_*` environment variables the children inherited: they override zokio's runtime config. */
  readonly zokioEnv?: Readonly<Record<string, string>>;
}

export interface ScenarioReport {
  readonly name: ScenarioName;
  /** The I/O scenarios: the queue depth or batch size of this table (one report per variant). */
  readonly variant?: number;
  /** The contender its ratios divide by. @default the report's baseline */
  readonly baseline?: string;
  /** Rounds it ran. @default the report's rounds */
  readonly rounds?: number;
  readonly summaries: readonly ContenderSummary[];
}

export interface Report {
  readonly generatedAt: string;
  /** The command that produced this report, run from `apps/bench`. */
  readonly command: string;
  readonly environment: Environment;
  /** The rounds of a scenario that does not give its own: each {@link ScenarioReport}'s `rounds` is what it ran. */
  readonly rounds: number;
  readonly quick: boolean;
  readonly timeoutS: number;
  /** The baseline of a scenario that does not give its own: each {@link ScenarioReport}'s `baseline` is its own. */
  readonly baseline: string;
  readonly contenders: readonly string[];
  readonly params: Params;
  readonly scenarios: readonly ScenarioReport[];
  readonly runs: readonly RunRecord[];
  /** The file `driver_read`, `file_random_read` and `sequential_read` read, if one of them ran. */
  readonly benchFile?: BenchFile;
  /** The files `small_files` read, if it ran. */
  readonly fileSet?: FileSet;
  /** The load client of the TCP scenarios, if one of them ran. */
  readonly echoClient?: EchoClientBuild;
  /** The load generator of the HTTP scenarios, if one of them ran, and where it and the servers ran. */
  readonly wrk?: WrkInfo & { readonly pinning: string };
}

const baselineOf = (report: Report, scenario: ScenarioReport) => scenario.baseline ?? report.baseline;
const roundsOf = (report: Report, scenario: ScenarioReport) => scenario.rounds ?? report.rounds;

/** `values` without repeats, in first-seen order; `[fallback]` if there are none. */
function distinct<T>(values: readonly T[], fallback: T): T[] {
  return values.length === 0 ? [fallback] : [...new Set(values)];
}

/** `1 round`, `3 rounds`. */
const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function rounds(s: ContenderSummary, total: number): string {
  return `${total - s.failures.length}/${total}`;
}

function failureText(s: ContenderSummary): string {
  if (s.failures.length > 0 && s.failures.every((f) => f.status === 'unavailable')) return 'unavailable';
  const kinds = [...new Set(s.failures.map((f) => f.status))];
  return `failed (${kinds.join(', ')})`;
}

/** The peer a scenario's target is phrased against, if it ran (`effect` for the channel scenarios). */
function secondBaseline(report: Report, scenario: ScenarioReport): ContenderSummary | undefined {
  const peer = SCENARIO_INFO[scenario.name].alsoAgainst;
  return peer === undefined || peer === baselineOf(report, scenario)
    ? undefined
    : scenario.summaries.find((s) => s.contender === peer);
}

function throughputTable(report: Report, scenario: ScenarioReport): string[] {
  const info = SCENARIO_INFO[scenario.name];
  const secondary = info.secondary;
  const divisor = secondary?.divisor(report.params) ?? 1;
  const peer = secondBaseline(report, scenario);
  // Runs of a variant are sized per contender, or bounded in time (`n`: the median over the rounds, as the rates are);
  // wall time per op where the scenario is a cost per op.
  const sized = info.variants !== undefined;
  // The pool scenarios: the threads each pool ran (a variant's label says it where the thread count varies).
  const threads = !sized && scenario.summaries.some((s) => s.workers !== undefined);
  const ns = info.nsPerOp === true;
  // Round-trip times (`tcp_echo`) or wrk's latencies (the HTTP scenarios): the median over the rounds of each run's
  // median and p99, and the load client's CPU; the server's CPU (HTTP), per request and as a share of one core.
  const rtt = scenario.summaries.some((s) => s.roundTripMs !== undefined);
  const http = isHttpScenario(scenario.name);
  const rttHeader = http ? ['median latency', 'p99 latency', 'wrk CPU'] : ['median RTT', 'p99 RTT', 'client CPU'];
  const server = scenario.summaries.some((s) => s.serverCpuNsPerOp !== undefined);
  const percent = (m: Summary | undefined) => (m === undefined ? '–' : `${(m.median * 100).toFixed(0)} %`);
  const total = roundsOf(report, scenario);
  const header = [
    'contender',
    ...(sized ? ['median n per run'] : []),
    ...(threads ? ['workers'] : []),
    `median ${info.unit}`,
    'min – max',
    ...(ns ? ['ns per op'] : []),
    ...(secondary === undefined ? [] : [`median ${secondary.unit}`]),
    `× ${baselineOf(report, scenario)} (higher is faster)`,
    ...(peer === undefined ? [] : [`× ${peer.contender}`]),
    ...(rtt ? rttHeader : []),
    ...(server ? ['server CPU per request', 'server CPU'] : []),
    'ok rounds',
  ];
  const rows = scenario.summaries.map((s) => {
    const t = s.throughput;
    if (t === undefined) {
      const blanks = [...(ns ? [''] : []), ...(secondary ? [''] : []), '–', ...(peer ? ['–'] : [])];
      return [
        s.contender,
        ...(sized ? [''] : []),
        ...(threads ? [''] : []),
        failureText(s),
        '',
        ...blanks,
        ...(rtt ? ['', '', ''] : []),
        ...(server ? ['', ''] : []),
        rounds(s, total),
      ];
    }
    const r = s.roundTripMs;
    return [
      s.contender,
      ...(sized ? [s.n === undefined ? '' : formatRate(s.n)] : []),
      ...(threads ? [s.workers === undefined ? '' : String(s.workers)] : []),
      formatRate(t.median),
      `${formatRate(t.min)} – ${formatRate(t.max)}`,
      ...(ns ? [formatNsPerOp(t.median)] : []),
      ...(secondary === undefined ? [] : [formatRate(t.median / divisor)]),
      formatRatio(s.throughputRatio),
      ...(peer === undefined ? [] : [formatRatio(ratio(t.median, peer.throughput?.median))]),
      ...(rtt
        ? [
            r === undefined ? '–' : formatLatency(r.median.median),
            r === undefined ? '–' : formatLatency(r.p99.median),
            percent(s.clientCpu),
          ]
        : []),
      ...(server
        ? [
            s.serverCpuNsPerOp === undefined ? '–' : formatLatency(s.serverCpuNsPerOp.median / 1e6),
            percent(s.serverCpu),
          ]
        : []),
      rounds(s, total),
    ];
  });
  const right = [
    false,
    ...(sized ? [true] : []),
    ...(threads ? [true] : []),
    true,
    true,
    ...(ns ? [true] : []),
    ...(secondary ? [true] : []),
  ];
  return table(header, rows, [
    ...right,
    true,
    ...(peer ? [true] : []),
    ...(rtt ? [true, true, true] : []),
    ...(server ? [true, true] : []),
    true,
  ]);
}

/** Whether one target was met: the ratio of the two medians at its variant, if both ran. */
export interface TargetResult {
  readonly check: TargetCheck;
  readonly ratio: number | undefined;
  readonly met: boolean | undefined;
}

/** Checks each of `checks` against the variants' summaries of one scenario. */
export function checkTargets(checks: readonly TargetCheck[], variants: readonly ScenarioReport[]): TargetResult[] {
  return checks.map((check) => {
    const at = variants.find((v) => v.variant === check.variant)?.summaries;
    const median = (name: string) => at?.find((s) => s.contender === name)?.throughput?.median;
    const r = ratio(median(check.contender) ?? NaN, median(check.against));
    return { check, ratio: r, met: r === undefined ? undefined : r >= check.atLeast };
  });
}

/**
 * A scenario measured at several variants, in one table: a row per contender, a column per variant, each cell the
 * median (and the ratio against the baseline, or the time per op).
 */
function variantOverview(report: Report, variants: readonly ScenarioReport[]): string[] {
  const first = variants[0]!;
  const info = SCENARIO_INFO[first.name];
  const header = ['contender', ...variants.map((v) => info.variants!.label(v.variant!))];
  const rows = first.summaries.map((row) => [
    row.contender,
    ...variants.map((v) => {
      const s = v.summaries.find((x) => x.contender === row.contender);
      const t = s?.throughput;
      if (s === undefined || t === undefined) return s === undefined ? '–' : failureText(s);
      const aside =
        info.nsPerOp === true
          ? formatNsPerOp(t.median)
          : s.contender === baselineOf(report, v)
            ? 'baseline'
            : formatRatio(s.throughputRatio);
      return `${formatRate(t.median)} (${aside})`;
    }),
  ]);
  return table(header, rows, [false, ...variants.map(() => true)]);
}

const span = (m: Summary, format: (v: number) => string) => `${format(m.min)} – ${format(m.max)}`;

/** A `cost` scenario's table: CPU time and peak RSS growth of the measured run, with per-operation ratios. */
function costTable(report: Report, scenario: ScenarioReport): string[] {
  const info = SCENARIO_INFO[scenario.name];
  const what = info.unit.replace(/\/s$/, '');
  const header = [
    'contender',
    what,
    'median CPU time',
    'min – max',
    `× ${baselineOf(report, scenario)} (lower is cheaper)`,
    'median peak RSS growth',
    'min – max',
    `× ${baselineOf(report, scenario)} (lower is leaner)`,
    'ok rounds',
  ];
  const rows = scenario.summaries.map((s) => {
    const [cpu, rss] = [s.cpuMs, s.peakRssBytes];
    if (cpu === undefined || rss === undefined) {
      const why = s.throughput === undefined ? failureText(s) : 'not measured';
      return [s.contender, '', why, '', '–', '', '', '–', rounds(s, roundsOf(report, scenario))];
    }
    return [
      s.contender,
      s.n === undefined ? '' : s.n.toLocaleString('en-US'),
      formatMs(cpu.median),
      span(cpu, formatMs),
      formatRatio(s.cpuRatio),
      formatBytes(rss.median),
      span(rss, formatBytes),
      formatRatio(s.rssRatio),
      rounds(s, roundsOf(report, scenario)),
    ];
  });
  return table(header, rows, [false, true, true, true, true, true, true, true, true]);
}

/** `timers`: how late the sleeps woke; each statistic is the median over the rounds, with its min – max. */
function overshootTable(scenario: ScenarioReport): string[] {
  const header = ['contender', 'median overshoot', 'p99', 'max', 'woke early'];
  const cell = (m: Summary) => `${formatMs(m.median)} (${span(m, formatMs)})`;
  const percent = (x: number) => `${(x * 100).toFixed(x === 0 ? 0 : 1)} %`;
  const rows = scenario.summaries.map((s) => {
    const o = s.overshootMs;
    if (o === undefined) return [s.contender, s.throughput === undefined ? failureText(s) : '–', '', '', ''];
    return [
      s.contender,
      cell(o.median),
      cell(o.p99),
      cell(o.max),
      `${percent(o.early.median)} (${span(o.early, percent)})`,
    ];
  });
  return table(header, rows, [false, true, true, true, true]);
}

function memoryTable(report: Report, scenario: ScenarioReport): string[] {
  const header = ['contender', 'median bytes/task', 'min – max', `× ${baselineOf(report, scenario)} (lower is leaner)`];
  const rows = scenario.summaries.map((s) => {
    const m = s.retainedBytesPerTask;
    if (m === undefined) return [s.contender, s.throughput === undefined ? failureText(s) : '–', '', '–'];
    return [
      s.contender,
      formatBytes(m.median),
      `${formatBytes(m.min)} – ${formatBytes(m.max)}`,
      formatRatio(s.memoryRatio),
    ];
  });
  return table(header, rows, [false, true, true, true]);
}

/** A `memory` scenario's table (`conn_memory`): the server's growth per idle connection, against the baseline's. */
function connectionTable(report: Report, scenario: ScenarioReport): string[] {
  const base = baselineOf(report, scenario);
  const header = [
    'contender',
    'connections',
    'median RSS growth per connection',
    'min – max',
    `× ${base} (lower is leaner)`,
    'median heap + external per connection',
    `median ${SCENARIO_INFO[scenario.name].unit}`,
    'ok rounds',
  ];
  const rows = scenario.summaries.map((s) => {
    const m = s.bytesPerConnection;
    const total = rounds(s, roundsOf(report, scenario));
    if (m === undefined) {
      return [s.contender, '', s.throughput === undefined ? failureText(s) : 'not measured', '', '–', '', '', total];
    }
    return [
      s.contender,
      s.n === undefined ? '' : s.n.toLocaleString('en-US'),
      formatBytes(m.median),
      span(m, formatBytes),
      formatRatio(s.connectionRatio),
      s.heapBytesPerConnection === undefined ? '–' : formatBytes(s.heapBytesPerConnection.median),
      s.throughput === undefined ? '' : formatRate(s.throughput.median),
      total,
    ];
  });
  return table(header, rows, [false, true, true, true, true, true, true, true]);
}

/**
 * An `overhead` scenario's table (`worker_heavy`): what the pool spent per job beyond the job itself, each the
 * median over the rounds, with the job's own duration and the rate as side figures. No ratio: an overhead near zero
 * (or below it, within noise) divides into nothing meaningful.
 */
function overheadTable(report: Report, scenario: ScenarioReport): string[] {
  const info = SCENARIO_INFO[scenario.name];
  const header = [
    'contender',
    'workers',
    'median overhead per job',
    'min – max',
    'job (timed on its worker)',
    `median ${info.unit}`,
    'ok rounds',
  ];
  const rows = scenario.summaries.map((s) => {
    const o = s.overheadUsPerJob;
    const total = rounds(s, roundsOf(report, scenario));
    if (o === undefined) {
      return [s.contender, '', s.throughput === undefined ? failureText(s) : 'not measured', '', '', '', total];
    }
    return [
      s.contender,
      s.workers === undefined ? '' : String(s.workers),
      formatUs(o.median),
      span(o, formatUs),
      s.jobUs === undefined ? '–' : formatUs(s.jobUs.median),
      s.throughput === undefined ? '' : formatRate(s.throughput.median),
      total,
    ];
  });
  return table(header, rows, [false, true, true, true, true, true, true]);
}

/** Whether one overhead bound was met: the contender's median overhead per job, if it ran. */
export interface OverheadLimitResult {
  readonly limit: OverheadLimit;
  readonly us: number | undefined;
  readonly met: boolean | undefined;
}

/** Checks each of `limits` against one scenario's summaries. */
export function checkOverheadLimits(limits: readonly OverheadLimit[], scenario: ScenarioReport): OverheadLimitResult[] {
  return limits.map((limit) => {
    const us = scenario.summaries.find((s) => s.contender === limit.contender)?.overheadUsPerJob?.median;
    return { limit, us, met: us === undefined ? undefined : us <= limit.atMostUs };
  });
}

/** Each of the scenario's overhead bounds, checked: `- zokio ≤ 10 µs per job: 4.2 µs, **met**`. */
function overheadLimitLines(scenario: ScenarioReport): string[] {
  const results = checkOverheadLimits(SCENARIO_INFO[scenario.name].overheadLimits ?? [], scenario);
  const lines = results.length > 0 ? [''] : [];
  for (const { limit, us, met } of results) {
    const verdict = met === undefined ? 'not measured' : met ? '**met**' : '**not met**';
    lines.push(
      `- ${limit.contender} ≤ ${formatUs(limit.atMostUs)} per job: ${us === undefined ? '–' : formatUs(us)}, ${verdict}`,
    );
  }
  return lines;
}

/**
 * Each contender's speed-up over its own run at one thread, for a scenario whose variants are thread counts
 * (`fork_join`): rate at N ÷ rate at 1, the same as time at 1 ÷ time at N (a contender's runs are the same size).
 * `undefined` where either run is missing.
 */
export function speedups(variants: readonly ScenarioReport[], contender: string): (number | undefined)[] {
  const rate = (v: ScenarioReport | undefined) =>
    v?.summaries.find((s) => s.contender === contender)?.throughput?.median;
  const one = rate(variants.find((v) => v.variant === 1));
  return variants.map((v) => ratio(rate(v) ?? NaN, one));
}

/** The speed-up table: a row per contender, a column per thread count, each cell the median time and speed-up. */
function speedupTable(report: Report, variants: readonly ScenarioReport[]): string[] {
  const first = variants[0]!;
  const info = SCENARIO_INFO[first.name];
  const header = ['contender', ...variants.map((v) => info.variants!.label(v.variant!))];
  const rows = first.summaries.map((row) => {
    const ups = speedups(variants, row.contender);
    return [
      row.contender,
      ...variants.map((v, i) => {
        const s = v.summaries.find((x) => x.contender === row.contender);
        const t = s?.throughput;
        if (s === undefined || t === undefined || s.n === undefined) return s === undefined ? '–' : failureText(s);
        // The median time: the run's size over its median rate.
        const ms = (s.n / t.median) * 1000;
        return `${formatMs(ms)} (${formatRatio(ups[i])})`;
      }),
    ];
  });
  return table(header, rows, [false, ...variants.map(() => true)]);
}

/** Whether one memory bound was met: the contender's median bytes per connection, if it ran. */
export interface LimitResult {
  readonly limit: MemoryLimit;
  readonly bytes: number | undefined;
  readonly met: boolean | undefined;
}

/** Checks each of `limits` against one scenario's summaries. */
export function checkLimits(limits: readonly MemoryLimit[], scenario: ScenarioReport): LimitResult[] {
  return limits.map((limit) => {
    const bytes = scenario.summaries.find((s) => s.contender === limit.contender)?.bytesPerConnection?.median;
    return { limit, bytes, met: bytes === undefined ? undefined : bytes <= limit.atMostBytes };
  });
}

function table(header: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[]): string[] {
  const cell = (c: string) => c.replace(/\|/g, '\\|');
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `|${right.map((r) => (r ? ' --: ' : ' --- ')).join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
}

function footnotes(scenario: ScenarioReport): string[] {
  const lines: string[] = [];
  for (const s of scenario.summaries) {
    for (const note of s.notes) lines.push(`- **${s.contender}**: ${note}`);
    const unavailable = new Set<string>();
    for (const f of s.failures) {
      // Unavailable says the same every round: once is enough.
      if (f.status === 'unavailable') unavailable.add(f.message);
      else lines.push(`- **${s.contender}**, round ${f.round}: ${f.status}: ${f.message}`);
    }
    for (const why of unavailable) lines.push(`- **${s.contender}**: unavailable: ${why}`);
  }
  return lines.length === 0 ? [] : ['', ...lines];
}

/** The markdown report (`latest.md`). */
export function renderMarkdown(report: Report): string {
  const env = report.environment;
  const commit =
    env.commit === undefined
      ? 'unknown'
      : `\`${env.commit}\`${env.dirty === true ? ' (with uncommitted changes)' : ''}`;
  // Scenarios run their own number of rounds against their own baseline: the header states one only where all
  // share it, else each scenario's section states its own.
  const roundCounts = distinct(
    report.scenarios.map((s) => roundsOf(report, s)),
    report.rounds,
  );
  const baselines = distinct(
    report.scenarios.map((s) => baselineOf(report, s)),
    report.baseline,
  );
  const uniform = roundCounts.length === 1 && baselines.length === 1;
  const roundsText =
    roundCounts.length === 1
      ? plural(roundCounts[0]!, 'round')
      : `${[...roundCounts].sort((a, b) => a - b).join(' or ')} rounds by scenario (each section says how many)`;
  const only = baselines.length === 1 ? baselines[0]! : undefined;
  const lines: string[] = [
    `# zokio benchmarks${report.quick ? ' (quick smoke run: not a measurement)' : ''}`,
    '',
    `Each contender runs each scenario in a fresh \`node --expose-gc\` process, once per round, ${roundsText}, ` +
      "the contenders' order rotated every round. Each process warms up on a small run of the scenario first. " +
      'Tables show the median over the rounds and the min – max range.',
    '',
    only !== undefined
      ? `Ratios are against **${only}**${only === 'promise' ? ' (plain async/await)' : ''}: throughput ratio = ` +
        `contender ÷ ${only}, higher is faster; memory ratio = contender's bytes ÷ ${only}'s, lower is leaner.`
      : `Ratios are against each scenario's baseline (here ${baselines.map((b) => `**${b}**`).join(', ')}), named in ` +
        "its section and its tables' ratio columns: throughput ratio = contender ÷ the baseline, higher is faster; " +
        "memory ratio = contender's bytes ÷ the baseline's, lower is leaner.",
    '',
    '| | |',
    '| --- | --- |',
    `| Command | \`${report.command}\` (in \`apps/bench\`; from the repository root, \`npx --yes pnpm@10.34.9 bench\` builds every layer and runs it) |`,
    `| Node | ${env.node} (V8 ${env.v8}) |`,
    `| CPU | ${env.cpu}, ${env.cores} cores |`,
    `| OS | ${env.platform}, ${env.memoryGiB} GiB RAM |`,
    `| Commit | ${commit} |`,
    `| Date | ${report.generatedAt} |`,
    `| Child timeout | ${report.timeoutS} s |`,
  ];
  const zokioEnv = Object.entries(env.zokioEnv ?? {});
  if (zokioEnv.length > 0) {
    lines.push(`| zokio config from env | ${zokioEnv.map(([k, v]) => `\`${k}=${v}\``).join(', ')} |`);
  }
  for (const [i, scenario] of report.scenarios.entries()) {
    const info = SCENARIO_INFO[scenario.name];
    if (scenario.variant !== undefined) {
      // A scenario measured at several variants: its heading, overview and targets before its first variant's table.
      if (report.scenarios[i - 1]?.name !== scenario.name) lines.push(...variantsHeader(report, scenario.name));
      lines.push('', `### ${info.variants?.label(scenario.variant) ?? scenario.variant}`, '');
      lines.push(...throughputTable(report, scenario), ...footnotes(scenario));
      for (const chart of charts(report, scenario)) lines.push('', `![${chart.title}](${chart.file})`);
      if (report.scenarios[i + 1]?.name !== scenario.name && info.caveat !== undefined) {
        lines.push('', `_${info.caveat}_`);
      }
      continue;
    }
    lines.push(
      '',
      `## ${info.title}`,
      '',
      `${info.describe(report.params)}.`,
      ...inputLines(report, scenario.name),
      ...(uniform
        ? []
        : [
            '',
            `${plural(roundsOf(report, scenario), 'round')} per contender; ratios against ` +
              `**${baselineOf(report, scenario)}**.`,
          ]),
      '',
    );
    if (info.measures === 'cost') {
      lines.push(
        'CPU time (user + system, all threads) and peak RSS growth (peak resident set over the measured run, less ' +
          'the resident set at its start), each the median over the rounds; ratios are per operation, so a ' +
          'contender that ran fewer compares:',
        '',
        ...costTable(report, scenario),
      );
      if (scenario.summaries.some((s) => s.overshootMs !== undefined)) {
        lines.push(
          '',
          'Overshoot: wake time − requested deadline, over every sleep of a run; each cell is the median over the ' +
            'rounds (min – max):',
          '',
          ...overshootTable(scenario),
        );
      }
    } else if (info.measures === 'overhead') {
      lines.push(
        'Overhead per job = (wall × workers − jobs × job) ÷ jobs, each the median over the rounds; lower is better:',
        '',
        ...overheadTable(report, scenario),
      );
    } else if (info.measures === 'memory') {
      lines.push(
        "The server's growth per connection, each the median over the rounds; the ratio divides by " +
          `${baselineOf(report, scenario)}'s:`,
        '',
        ...connectionTable(report, scenario),
      );
    } else {
      lines.push(...throughputTable(report, scenario));
    }
    if (scenario.summaries.some((s) => s.retainedBytesPerTask !== undefined)) {
      lines.push(
        '',
        'Heap retained per suspended task (the task, its handle and its place in the gate), measured after a full ' +
          'GC once every task waits, on the measured run:',
        '',
        ...memoryTable(report, scenario),
      );
    }
    lines.push(...footnotes(scenario));
    if (info.target !== undefined) lines.push('', `**Target:** ${info.target}`);
    lines.push(...targetLines(scenario.name, [scenario]), ...limitLines(scenario), ...overheadLimitLines(scenario));
    if (info.caveat !== undefined) lines.push('', `_${info.caveat}_`);
    for (const chart of charts(report, scenario)) lines.push('', `![${chart.title}](${chart.file})`);
  }
  return `${lines.join('\n')}\n`;
}

/** The heading of a scenario with variants: what runs, the file it read, every variant at a glance, its targets. */
function variantsHeader(report: Report, name: ScenarioName): string[] {
  const info = SCENARIO_INFO[name];
  const variants = report.scenarios.filter((s) => s.name === name);
  const first = variants[0]!;
  const lines = ['', `## ${info.title}`, '', `${info.describe(report.params)}.`, ...inputLines(report, name)];
  lines.push(
    '',
    `${roundsOf(report, first)} round${roundsOf(report, first) === 1 ? '' : 's'} per contender and ${info.variants?.name}; each cell is the median ${info.unit} ` +
      `(${info.nsPerOp === true ? 'wall time per op' : `× ${baselineOf(report, first)}`}):`,
    '',
    ...variantOverview(report, variants),
  );
  if (info.speedup === true) {
    lines.push(
      '',
      `Speed-up: each contender's median time at N threads, and its run at 1 thread ÷ that (higher is better; ` +
        `${variants.length} thread count${variants.length === 1 ? '' : 's'} measured):`,
      '',
      ...speedupTable(report, variants),
    );
  }
  if (info.target !== undefined) lines.push('', `**Target:** ${info.target}`);
  lines.push(...targetLines(name, variants));
  return lines;
}

/** Each of the scenario's targets, checked against the medians: `- a ≥ 3× b [at 64 in flight]: 3.20×, **met**`. */
function targetLines(name: ScenarioName, variants: readonly ScenarioReport[]): string[] {
  const info = SCENARIO_INFO[name];
  const results = checkTargets(info.checks ?? [], variants);
  const lines = results.length > 0 ? [''] : [];
  for (const { check, ratio: r, met } of results) {
    const verdict = met === undefined ? 'not measured' : met ? '**met**' : '**not met**';
    const at = check.variant === undefined ? '' : ` at ${info.variants?.label(check.variant) ?? String(check.variant)}`;
    lines.push(`- ${check.contender} ≥ ${check.atLeast}× ${check.against}${at}: ${formatRatio(r)}, ${verdict}`);
  }
  return lines;
}

/** Each of the scenario's memory bounds, checked: `- zokio-io_uring ≤ 1 KiB per connection: 612 B, **met**`. */
function limitLines(scenario: ScenarioReport): string[] {
  const results = checkLimits(SCENARIO_INFO[scenario.name].limits ?? [], scenario);
  const lines = results.length > 0 ? [''] : [];
  for (const { limit, bytes, met } of results) {
    const verdict = met === undefined ? 'not measured' : met ? '**met**' : '**not met**';
    const value = bytes === undefined ? '–' : formatBytes(bytes);
    lines.push(`- ${limit.contender} ≤ ${formatBytes(limit.atMostBytes)} per connection: ${value}, ${verdict}`);
  }
  return lines;
}

/**
 * What a scenario read, and how it got into the page cache: the 1 GiB file, or `small_files`' set; for the TCP
 * scenarios, the load client; for the HTTP scenarios, wrk and where it and the server ran.
 */
function inputLines(report: Report, name: ScenarioName): string[] {
  const wrk = report.wrk;
  if (isHttpScenario(name) && wrk !== undefined) {
    return ['', `The load generator: \`${wrk.path}\` (${wrk.version}); ${wrk.pinning}.`];
  }
  const client = report.echoClient;
  if ((name === 'tcp_echo' || name === 'conn_memory') && client !== undefined) {
    const how = client.compiled
      ? `compiled by this run in ${formatMs(client.compileMs ?? 0)}`
      : 'reused from an earlier run (the cache is keyed by its source and flags)';
    return ['', `The load client: \`${client.path}\`, built by \`${client.command}\`, ${how}.`];
  }
  const file = report.benchFile;
  if ((name === 'driver_read' || name === 'file_random_read' || name === 'sequential_read') && file !== undefined) {
    const how = file.created ? `written by this run in ${formatMs(file.createMs ?? 0)}` : 'reused from an earlier run';
    return [
      '',
      `The file: \`${file.path}\`, ${Number((file.bytes / 2 ** 30).toPrecision(3))} GiB, ${how}; read through once ` +
        `before the first child (in 1 MiB reads, ${formatMs(file.warmMs)}: ` +
        `${(file.bytes / 2 ** 30 / (file.warmMs / 1000)).toPrecision(3)} GiB/s, so from the page cache).`,
    ];
  }
  const set = report.fileSet;
  if (name === 'small_files' && set !== undefined) {
    const how = set.created ? `created by this run in ${formatMs(set.createMs ?? 0)}` : 'reused from an earlier run';
    return [
      '',
      `The files: \`${set.dir}\`, ${set.files.toLocaleString('en-US')} files, ${formatBytes(set.bytes)} in all, ` +
        `${how}; each read once before the first child (\`readFileSync\`, ${formatMs(set.warmMs)}).`,
    ];
  }
  return [];
}

/** ` · N = 100 k` when a contender ran a smaller size than the scenario's (see its note in the report). */
function sizeNote(report: Report, scenario: ScenarioReport, s: ContenderSummary): string {
  // Variants size each contender's runs on their own (the table's `n` column): no nominal size to differ from.
  if (scenario.variant !== undefined) return '';
  const nominal = SCENARIO_INFO[scenario.name].ops(report.params);
  return s.n === undefined || s.n === nominal ? '' : ` · N = ${formatRate(s.n)}`;
}

/** One chart a scenario's report has: its file name (next to `latest.md`), its title, and the SVG. */
export interface RenderedChart {
  readonly file: string;
  readonly title: string;
  readonly svg: string;
}

/** A metric drawn as bars: where to find it in a summary, how to print it, and which way is better. */
interface Metric {
  readonly title: string;
  readonly pick: (s: ContenderSummary) => Summary | undefined;
  /** The ratio against the baseline, where the metric has one. */
  readonly ratio?: (s: ContenderSummary) => number | undefined;
  readonly format: (value: number) => string;
  /**
   * How the axis ticks are labelled, if not with {@link Metric.format}: the same numbers, without what the bars'
   * labels add around them (a unit the subtitle gives, `p99`). `binary` for bytes: see the chart's `axis`.
   */
  readonly axis?: { readonly format?: (value: number) => string; readonly binary?: boolean };
  readonly better: 'higher is faster' | 'lower is leaner' | 'lower is cheaper' | 'lower is better';
  /** What the bar is the median of, for the subtitle. */
  readonly of: string;
  /** Said after which way is better (`ratios per sleep`). */
  readonly aside?: string;
  /** Printed after the ratio: the other statistics of the row (overshoot's median and max). */
  readonly extra?: (s: ContenderSummary) => string;
}

function metricChart(report: Report, scenario: ScenarioReport, metric: Metric): string {
  const bars = scenario.summaries.map((s): Bar => {
    const m = metric.pick(s);
    if (m === undefined)
      return { label: s.contender, failure: s.throughput === undefined ? failureText(s) : 'not measured' };
    let ratioText = '';
    if (metric.ratio !== undefined) {
      const base = baselineOf(report, scenario);
      ratioText = s.contender === base ? 'baseline' : `${formatRatio(metric.ratio(s))} ${base}`;
    }
    const note = [ratioText, metric.extra?.(s) ?? ''].filter((t) => t !== '').join(' · ');
    return {
      label: s.contender,
      median: m.median,
      min: m.min,
      max: m.max,
      valueText: metric.format(m.median),
      note: note + sizeNote(report, scenario, s),
      baseline: s.contender === baselineOf(report, scenario),
    };
  });
  return renderBarChart({
    title: metric.title,
    subtitle:
      `Median ${metric.of} over ${roundsOf(report, scenario)} rounds, whiskers min–max; ${metric.better}` +
      `${metric.aside === undefined ? '' : `; ${metric.aside}`}. ` +
      `Node ${report.environment.node}, ${report.environment.cores} cores.`,
    bars,
    axis: { format: metric.axis?.format ?? metric.format, binary: metric.axis?.binary ?? false },
  });
}

/** The charts of one scenario, in the order the report shows them. */
export function charts(report: Report, scenario: ScenarioReport): RenderedChart[] {
  const info = SCENARIO_INFO[scenario.name];
  const name = scenario.name;
  const metrics: (Metric & { readonly file: string })[] = [];
  if (info.measures === 'throughput') {
    const variant = scenario.variant;
    const v = variant === undefined || info.variants === undefined ? undefined : info.variants;
    metrics.push({
      file: v === undefined ? `${name}.svg` : `${name}-${v.slug(variant!)}.svg`,
      title: v === undefined ? info.title : `${name}: ${v.label(variant!)}`,
      pick: (s) => s.throughput,
      ratio: (s) => s.throughputRatio,
      format: (v) => `${formatRate(v)} ${info.unit}`,
      axis: { format: formatRate },
      better: 'higher is faster',
      of: info.unit,
      ...(info.nsPerOp === true
        ? { extra: (s: ContenderSummary) => (s.throughput === undefined ? '' : formatNsPerOp(s.throughput.median)) }
        : {}),
    });
  } else if (info.measures === 'overhead') {
    metrics.push({
      file: `${name}.svg`,
      title: `${name}: pool overhead per job`,
      pick: (s) => s.overheadUsPerJob,
      format: formatUs,
      better: 'lower is better',
      of: 'overhead per job',
      extra: (s) => (s.jobUs === undefined ? '' : `job ${formatUs(s.jobUs.median)}, ${s.workers ?? '?'} workers`),
    });
  } else if (info.measures === 'memory') {
    metrics.push({
      file: `${name}.svg`,
      title: `${name}: server memory per idle connection`,
      pick: (s) => s.bytesPerConnection,
      ratio: (s) => s.connectionRatio,
      format: formatBytes,
      axis: { binary: true },
      better: 'lower is leaner',
      of: 'RSS growth per connection',
    });
  } else {
    metrics.push(
      {
        file: `${name}.svg`,
        title: `${name}: CPU time`,
        pick: (s) => s.cpuMs,
        ratio: (s) => s.cpuRatio,
        format: formatMs,
        better: 'lower is cheaper',
        of: 'CPU time',
        aside: `ratios per ${info.unit.replace(/s\/s$/, '')}`,
      },
      {
        file: `${name}-rss.svg`,
        title: `${name}: peak RSS growth`,
        pick: (s) => s.peakRssBytes,
        ratio: (s) => s.rssRatio,
        format: formatBytes,
        axis: { binary: true },
        better: 'lower is leaner',
        of: 'peak RSS growth',
        aside: `ratios per ${info.unit.replace(/s\/s$/, '')}`,
      },
    );
  }
  if (scenario.summaries.some((s) => s.overshootMs !== undefined)) {
    metrics.push({
      file: `${name}-overshoot.svg`,
      title: `${name}: p99 overshoot (wake time − deadline)`,
      pick: (s) => s.overshootMs?.p99,
      format: (v) => `p99 ${formatMs(v)}`,
      axis: { format: formatMs },
      better: 'lower is better',
      of: 'p99 overshoot',
      extra: (s) =>
        s.overshootMs === undefined
          ? ''
          : `median ${formatMs(s.overshootMs.median.median)}, max ${formatMs(s.overshootMs.max.median)}`,
    });
  }
  if (scenario.summaries.some((s) => s.retainedBytesPerTask !== undefined)) {
    metrics.push({
      file: `${name}-memory.svg`,
      title: `${name}: heap retained per suspended task`,
      pick: (s) => s.retainedBytesPerTask,
      ratio: (s) => s.memoryRatio,
      format: formatBytes,
      axis: { binary: true },
      better: 'lower is leaner',
      of: 'bytes',
    });
  }
  return metrics.map((m) => ({ file: m.file, title: m.title, svg: metricChart(report, scenario, m) }));
}
