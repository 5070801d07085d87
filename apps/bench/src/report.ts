/**
 * What a bench run writes: the report object (`latest.json`), its markdown (`latest.md`) and its charts (one SVG
 * per scenario, plus one for `spawn`'s memory). Pure: the runner does the I/O.
 *
 * @module
 */
import { SCENARIO_INFO, type Params, type ScenarioName } from './scenarios.js';
import { formatBytes, formatRate, formatRatio, type ContenderSummary, type RunRecord } from './stats.js';
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

function throughputTable(report: Report, scenario: ScenarioReport): string[] {
  const info = SCENARIO_INFO[scenario.name];
  const secondary = info.secondary;
  const divisor = secondary?.divisor(report.params) ?? 1;
  const header = [
    'contender',
    `median ${info.unit}`,
    'min – max',
    ...(secondary === undefined ? [] : [`median ${secondary.unit}`]),
    `× ${report.baseline} (higher is faster)`,
    'ok rounds',
  ];
  const rows = scenario.summaries.map((s) => {
    const t = s.throughput;
    if (t === undefined)
      return [s.contender, failureText(s), '', ...(secondary ? [''] : []), '–', rounds(s, report.rounds)];
    return [
      s.contender,
      formatRate(t.median),
      `${formatRate(t.min)} – ${formatRate(t.max)}`,
      ...(secondary === undefined ? [] : [formatRate(t.median / divisor)]),
      formatRatio(s.throughputRatio),
      rounds(s, report.rounds),
    ];
  });
  return table(header, rows, [false, true, true, ...(secondary ? [true] : []), true, true]);
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
    lines.push(...throughputTable(report, scenario));
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
    if (info.caveat !== undefined) lines.push('', `_${info.caveat}_`);
    lines.push('', `![${info.title}](${scenario.name}.svg)`);
    if (scenario.summaries.some((s) => s.retainedBytesPerTask !== undefined)) {
      lines.push('', `![${scenario.name}: bytes retained per suspended task](${scenario.name}-memory.svg)`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** ` · N = 100 k` when a contender ran a smaller size than the scenario's (see its note in the report). */
function sizeNote(report: Report, scenario: ScenarioReport, s: ContenderSummary): string {
  const nominal = SCENARIO_INFO[scenario.name].ops(report.params);
  return s.n === undefined || s.n === nominal ? '' : ` · N = ${formatRate(s.n)}`;
}

/** The throughput chart of one scenario. */
export function renderThroughputChart(report: Report, scenario: ScenarioReport): string {
  const info = SCENARIO_INFO[scenario.name];
  const bars = scenario.summaries.map((s): Bar => {
    const t = s.throughput;
    if (t === undefined) return { label: s.contender, failure: failureText(s) };
    return {
      label: s.contender,
      median: t.median,
      min: t.min,
      max: t.max,
      valueText: `${formatRate(t.median)} ${info.unit}`,
      note:
        (s.contender === report.baseline ? 'baseline' : `${formatRatio(s.throughputRatio)} ${report.baseline}`) +
        sizeNote(report, scenario, s),
      baseline: s.contender === report.baseline,
    };
  });
  return renderBarChart({
    title: info.title,
    subtitle:
      `Median ${info.unit} over ${report.rounds} rounds, whiskers min–max; higher is faster. ` +
      `Node ${report.environment.node}, ${report.environment.cores} cores.`,
    bars,
  });
}

/** `spawn`'s memory chart: bytes retained per suspended task. */
export function renderMemoryChart(report: Report, scenario: ScenarioReport): string {
  const bars = scenario.summaries.map((s): Bar => {
    const m = s.retainedBytesPerTask;
    if (m === undefined)
      return { label: s.contender, failure: s.throughput === undefined ? failureText(s) : 'not measured' };
    return {
      label: s.contender,
      median: m.median,
      min: m.min,
      max: m.max,
      valueText: formatBytes(m.median),
      note:
        (s.contender === report.baseline ? 'baseline' : `${formatRatio(s.memoryRatio)} ${report.baseline}`) +
        sizeNote(report, scenario, s),
      baseline: s.contender === report.baseline,
    };
  });
  return renderBarChart({
    title: `${scenario.name}: heap retained per suspended task`,
    subtitle: `Median bytes over ${report.rounds} rounds, whiskers min–max; lower is leaner.`,
    bars,
  });
}
