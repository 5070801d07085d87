/**
 * What the report tests build alike: the record of a run that printed a result, a scenario's reports (one per
 * variant, where it has variants) summarizing such records, and the report around them, made on one test machine.
 *
 * @module
 */
import type { ChildResult } from '../src/protocol.js';
import type { Report, ScenarioReport } from '../src/report.js';
import { FULL, type ScenarioName } from '../src/scenarios.js';
import { summarizeScenario, type RunRecord } from '../src/stats.js';

/** The record of a child's one round that printed `result`, at `result`'s variant if it has one. */
export function recordOf(result: ChildResult): RunRecord {
  const { contender, scenario, variant } = result;
  return {
    scenario,
    contender,
    round: 1,
    ...(variant === undefined ? {} : { variant }),
    wallMs: 1,
    outcome: { ok: true, result },
  };
}

/** `name`'s table of `contenders` over `records`, divided by `baseline`; at `variant`, where `name` has variants. */
export function scenarioReport(
  records: readonly RunRecord[],
  name: ScenarioName,
  contenders: readonly string[],
  baseline: string,
  variant?: number,
  rounds = 1,
): ScenarioReport {
  return {
    name,
    ...(variant === undefined ? {} : { variant }),
    baseline,
    rounds,
    summaries: summarizeScenario(records, name, contenders, baseline, variant),
  };
}

/** {@link scenarioReport} at each of `variants`, in their order. */
export function variantReports(
  records: readonly RunRecord[],
  name: ScenarioName,
  variants: readonly number[],
  contenders: readonly string[],
  baseline: string,
  rounds = 1,
): ScenarioReport[] {
  return variants.map((variant) => scenarioReport(records, name, contenders, baseline, variant, rounds));
}

/** What differs between the tests' reports; the rest is {@link reportOf}'s, and any of it may be given too. */
export type ReportFields = Pick<Report, 'command' | 'rounds' | 'contenders' | 'scenarios' | 'runs'> & Partial<Report>;

/** A report of `fields`' runs at the full sizes, made on a 2-core Linux test machine with 8 GiB, against `promise`. */
export function reportOf(fields: ReportFields): Report {
  return {
    generatedAt: '2026-01-01T00:00:00.000Z',
    environment: { node: 'v20', v8: '11', cpu: 'test', cores: 2, platform: 'linux', memoryGiB: 8 },
    quick: false,
    timeoutS: 120,
    baseline: 'promise',
    params: FULL,
    ...fields,
  };
}
