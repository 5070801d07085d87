/**
 * What a bench run writes: the report object (`latest.json`), its markdown (`latest.md`) and its charts (one SVG
 * per scenario, plus one for `spawn`'s memory, and for `timers` one each for CPU time, peak RSS and overshoot).
 * Pure: the runner does the I/O.
 *
 * @module
 */
import { SCENARIO_INFO, type Params, type ScenarioName } from './scenarios.js';
import {
  formatBytes,
  formatMs,
  formatRate,
  formatRatio,
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
  readonly summaries: readonly ContenderSummary[];
}

export interface Report {
  readonly generatedAt: string;
  /** The command that produced this report, run from `apps/bench`. */
  readonly command: string;
  readonly environment: Environment;
  readonly rounds: number;
  readonly quick: boolean;
  readonly timeoutS: number;
  readonly baseline: string;
  readonly contenders: readonly string[];
  readonly params: Params;
  readonly scenarios: readonly ScenarioReport[];
  readonly runs: readonly RunRecord[];
}

function rounds(s: ContenderSummary, total: number): string {
  return `${total - s.failures.length}/${total}`;
}

function failureText(s: ContenderSummary): string {
  const kinds = [...new Set(s.failures.map((f) => f.status))];
  return `failed (${kinds.join(', ')})`;
}

/** The peer a scenario's target is phrased against, if it ran (`effect` for the channel scenarios). */
function secondBaseline(report: Report, scenario: ScenarioReport): ContenderSummary | undefined {
  const peer = SCENARIO_INFO[scenario.name].alsoAgainst;
  return peer === undefined || peer === report.baseline
    ? undefined
    : scenario.summaries.find((s) => s.contender === peer);
}

function throughputTable(report: Report, scenario: ScenarioReport): string[] {
  const info = SCENARIO_INFO[scenario.name];
  const secondary = info.secondary;
  const divisor = secondary?.divisor(report.params) ?? 1;
  const peer = secondBaseline(report, scenario);
  const header = [
    'contender',
    `median ${info.unit}`,
    'min – max',
    ...(secondary === undefined ? [] : [`median ${secondary.unit}`]),
    `× ${report.baseline} (higher is faster)`,
    ...(peer === undefined ? [] : [`× ${peer.contender}`]),
    'ok rounds',
  ];
  const rows = scenario.summaries.map((s) => {
    const t = s.throughput;
    if (t === undefined) {
      const blanks = [...(secondary ? [''] : []), '–', ...(peer ? ['–'] : [])];
      return [s.contender, failureText(s), '', ...blanks, rounds(s, report.rounds)];
    }
    return [
      s.contender,
      formatRate(t.median),
      `${formatRate(t.min)} – ${formatRate(t.max)}`,
      ...(secondary === undefined ? [] : [formatRate(t.median / divisor)]),
      formatRatio(s.throughputRatio),
      ...(peer === undefined ? [] : [formatRatio(ratio(t.median, peer.throughput?.median))]),
      rounds(s, report.rounds),
    ];
  });
  return table(header, rows, [false, true, true, ...(secondary ? [true] : []), true, ...(peer ? [true] : []), true]);
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
    `× ${report.baseline} (lower is cheaper)`,
    'median peak RSS growth',
    'min – max',
    `× ${report.baseline} (lower is leaner)`,
    'ok rounds',
  ];
  const rows = scenario.summaries.map((s) => {
    const [cpu, rss] = [s.cpuMs, s.peakRssBytes];
    if (cpu === undefined || rss === undefined) {
      const why = s.throughput === undefined ? failureText(s) : 'not measured';
      return [s.contender, '', why, '', '–', '', '', '–', rounds(s, report.rounds)];
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
      rounds(s, report.rounds),
    ];
  });
  return table(header, rows, [false, true, true, true, true, true, true, true, true]);
}

/** `timers`: how late the sleeps woke; each statistic is the median over the rounds, with its min – max. */
function overshootTable(scenario: ScenarioReport): string[] {
  const header = ['contender', 'median overshoot', 'p99', 'max'];
  const cell = (m: Summary) => `${formatMs(m.median)} (${span(m, formatMs)})`;
  const rows = scenario.summaries.map((s) => {
    const o = s.overshootMs;
    if (o === undefined) return [s.contender, s.throughput === undefined ? failureText(s) : '–', '', ''];
    return [s.contender, cell(o.median), cell(o.p99), cell(o.max)];
  });
  return table(header, rows, [false, true, true, true]);
}

function memoryTable(report: Report, scenario: ScenarioReport): string[] {
  const header = ['contender', 'median bytes/task', 'min – max', `× ${report.baseline} (lower is leaner)`];
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
    for (const f of s.failures) lines.push(`- **${s.contender}**, round ${f.round}: ${f.status}: ${f.message}`);
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
  const lines: string[] = [
    `# zokio benchmarks${report.quick ? ' (quick smoke run: not a measurement)' : ''}`,
    '',
    `Each contender runs each scenario in a fresh \`node --expose-gc\` process, once per round, ${report.rounds} ` +
      `round${report.rounds === 1 ? '' : 's'}, the contenders' order rotated every round. Each process warms up on ` +
      'a small run of the scenario first. Tables show the median over the rounds and the min – max range.',
    '',
    `Ratios are against **${report.baseline}** (plain async/await): throughput ratio = contender ÷ ${report.baseline}, ` +
      `higher is faster; memory ratio = contender's bytes ÷ ${report.baseline}'s, lower is leaner.`,
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
  for (const scenario of report.scenarios) {
    const info = SCENARIO_INFO[scenario.name];
    lines.push('', `## ${info.title}`, '', `${info.describe(report.params)}.`, '');
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
    if (info.caveat !== undefined) lines.push('', `_${info.caveat}_`);
    for (const chart of charts(report, scenario)) lines.push('', `![${chart.title}](${chart.file})`);
  }
  return `${lines.join('\n')}\n`;
}

/** ` · N = 100 k` when a contender ran a smaller size than the scenario's (see its note in the report). */
function sizeNote(report: Report, scenario: ScenarioReport, s: ContenderSummary): string {
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
      ratioText = s.contender === report.baseline ? 'baseline' : `${formatRatio(metric.ratio(s))} ${report.baseline}`;
    }
    const note = [ratioText, metric.extra?.(s) ?? ''].filter((t) => t !== '').join(' · ');
    return {
      label: s.contender,
      median: m.median,
      min: m.min,
      max: m.max,
      valueText: metric.format(m.median),
      note: note + sizeNote(report, scenario, s),
      baseline: s.contender === report.baseline,
    };
  });
  return renderBarChart({
    title: metric.title,
    subtitle:
      `Median ${metric.of} over ${report.rounds} rounds, whiskers min–max; ${metric.better}` +
      `${metric.aside === undefined ? '' : `; ${metric.aside}`}. ` +
      `Node ${report.environment.node}, ${report.environment.cores} cores.`,
    bars,
  });
}

/** The charts of one scenario, in the order the report shows them. */
export function charts(report: Report, scenario: ScenarioReport): RenderedChart[] {
  const info = SCENARIO_INFO[scenario.name];
  const name = scenario.name;
  const metrics: (Metric & { readonly file: string })[] = [];
  if (info.measures === 'throughput') {
    metrics.push({
      file: `${name}.svg`,
      title: info.title,
      pick: (s) => s.throughput,
      ratio: (s) => s.throughputRatio,
      format: (v) => `${formatRate(v)} ${info.unit}`,
      better: 'higher is faster',
      of: info.unit,
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
      better: 'lower is leaner',
      of: 'bytes',
    });
  }
  return metrics.map((m) => ({ file: m.file, title: m.title, svg: metricChart(report, scenario, m) }));
}
