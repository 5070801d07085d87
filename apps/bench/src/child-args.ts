/**
 * {@link parseChildArgs}: the command line every contender child of the fs, TCP and HTTP scenarios shares,
 * `<contender> <scenario> [--variant N] [--quick]` plus the family's own options, checked against the scenario's
 * contenders and variants. {@link parseChildCommand} is its part before the variant, for a family that checks its
 * variant its own way (the worker pools' thread counts).
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { FULL, QUICK, SCENARIO_INFO, scenarioContenders, type Params, type ScenarioName } from './scenarios.js';

/** What a child's command line says before its variant, which each family checks its own way. */
export interface ChildCommand<S extends ScenarioName> {
  readonly contender: string;
  readonly scenario: S;
  readonly params: Params;
  /** The family's own options, and `--variant` as given, as `parseArgs` read them. */
  readonly values: Record<string, string | boolean | undefined>;
}

/** What the shared part of a child's command line says, its variant checked. */
export interface ChildArgs<S extends ScenarioName> extends ChildCommand<S> {
  readonly variant: number | undefined;
}

/**
 * Reads `argv` up to its variant, which it leaves to the caller to check; throws an `Error` saying what was
 * expected and what was got: a scenario outside `scenarios`, a contender the scenario does not run.
 */
export function parseChildCommand<S extends ScenarioName>(
  argv: readonly string[],
  scenarios: readonly S[],
  isScenario: (name: string) => name is S,
  options: NonNullable<ParseArgsConfig['options']> = {},
): ChildCommand<S> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { ...options, variant: { type: 'string' }, quick: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const [contender, scenario, ...rest] = positionals;
  if (contender === undefined || scenario === undefined || rest.length > 0) {
    throw new Error(`Expected <contender> <scenario>, got ${JSON.stringify(positionals)}`);
  }
  if (!isScenario(scenario)) {
    throw new Error(`Expected a scenario of ${scenarios.join(', ')}, got ${JSON.stringify(scenario)}`);
  }
  const runs = scenarioContenders(scenario);
  if (!runs.includes(contender)) {
    throw new Error(`Expected a contender of ${scenario} (${runs.join(', ')}), got ${JSON.stringify(contender)}`);
  }
  return { contender, scenario, params: values.quick ? QUICK : FULL, values };
}

/**
 * Reads `argv`; throws an `Error` saying what was expected and what was got: a scenario outside `scenarios`, a
 * contender the scenario does not run, a variant it lacks (or one it does not take).
 */
export function parseChildArgs<S extends ScenarioName>(
  argv: readonly string[],
  scenarios: readonly S[],
  isScenario: (name: string) => name is S,
  options: NonNullable<ParseArgsConfig['options']> = {},
): ChildArgs<S> {
  const { contender, scenario, params, values } = parseChildCommand(argv, scenarios, isScenario, options);
  const given = values['variant'];
  const variants = SCENARIO_INFO[scenario].variants?.values(params);
  let variant: number | undefined;
  if (variants === undefined) {
    if (given !== undefined) {
      throw new Error(`Expected no --variant for ${scenario}, got ${JSON.stringify(given)}`);
    }
  } else {
    variant = Number(given);
    if (given === undefined || !variants.includes(variant)) {
      throw new Error(
        `Expected --variant to be one of ${variants.join(', ')} for ${scenario}, got ${JSON.stringify(given)}`,
      );
    }
  }
  return { contender, scenario, variant, params, values };
}
