/**
 * What every I/O contender script shares: `node --expose-gc dist/io/<script>.js <contender> <scenario> --variant N
 * --file PATH [--quick]`. It runs the scenario on the first tenth of the measured run's operations (the warm-up:
 * the JIT compiles the submit and completion paths), collects garbage, runs it at full size, and prints one
 * {@link ChildResult} line, the same protocol as the runtime contenders.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { childMain, contenderOf } from '../child-main.js';
import { Probe } from '../contenders/harness.js';
import type { ChildResult } from '../protocol.js';
import {
  FULL,
  IO_SCENARIOS,
  QUICK,
  randomOffsets,
  SCENARIO_INFO,
  type DriverReadParams,
  type IoScenarioName,
  type Params,
} from '../scenarios.js';

/** One `driver_read` run: `offsets.length` reads of `blockBytes`, `depth` in flight at every moment. */
export interface ReadRun {
  readonly file: string;
  readonly depth: number;
  readonly blockBytes: number;
  readonly offsets: Float64Array;
}

/** One `driver_nop` run: `ops` nops (a multiple of `batch`), `batch` submitted at a time. */
export interface NopRun {
  readonly batch: number;
  readonly ops: number;
}

/** One I/O contender: the scenarios it runs, each resolving once done, with `probe.start()`/`stop()` around it. */
export interface IoContender {
  readonly name: string;
  driver_read?(run: ReadRun, probe: Probe): Promise<void>;
  driver_nop?(run: NopRun, probe: Probe): Promise<void>;
  /** Set up once per process, before the warm-up (a driver, a ring), and torn down after the measured run. */
  close?(): Promise<void>;
}

/** What the command line asks for. */
export interface IoArgs {
  readonly contender: string;
  readonly scenario: IoScenarioName;
  readonly variant: number;
  readonly file: string;
  readonly params: Params;
}

export const IO_USAGE = `usage: node --expose-gc <script>.js <contender> <${IO_SCENARIOS.join('|')}> --variant N --file PATH [--quick]`;

/** Reads `<contender> <scenario> --variant N --file PATH [--quick]`. Throws an `Error` if malformed. */
export function parseIoArgs(argv: readonly string[]): IoArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { variant: { type: 'string' }, file: { type: 'string' }, quick: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const [contender, scenario] = positionals;
  const variant = Number(values.variant);
  if (
    contender === undefined ||
    !(IO_SCENARIOS as readonly string[]).includes(scenario ?? '') ||
    !Number.isInteger(variant) ||
    variant < 1
  ) {
    throw new Error(`got ${JSON.stringify(argv)}`);
  }
  return {
    contender,
    scenario: scenario as IoScenarioName,
    variant,
    file: values.file ?? '',
    params: values.quick ? QUICK : FULL,
  };
}

function collect(): void {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('Expected node to run with --expose-gc, got no global.gc');
  void gc();
  void gc();
}

function runOnce(contender: IoContender, args: IoArgs, n: number, offsets: Float64Array, probe: Probe) {
  if (args.scenario === 'driver_read') {
    const read = contender.driver_read;
    if (read === undefined) throw new Error(`${contender.name} does not run driver_read`);
    const p: DriverReadParams = args.params.driver_read;
    return read(
      { file: args.file, depth: args.variant, blockBytes: p.blockBytes, offsets: offsets.subarray(0, n) },
      probe,
    );
  }
  const nop = contender.driver_nop;
  if (nop === undefined) throw new Error(`${contender.name} does not run driver_nop`);
  return nop({ batch: args.variant, ops: n - (n % args.variant) }, probe);
}

async function measure(contender: IoContender, args: IoArgs): Promise<ChildResult> {
  const info = SCENARIO_INFO[args.scenario];
  let n = info.ops(args.params, { contender: contender.name, variant: args.variant });
  if (args.scenario === 'driver_nop') n -= n % args.variant;
  const all = args.scenario === 'driver_read' ? randomOffsets(n, args.params.driver_read) : new Float64Array(0);
  const warmup = Math.max(args.variant, Math.ceil(n / 10));
  // The warm-up reads the first tenth of the list; the measured run reads it all, from the start, as everyone does.
  await runOnce(contender, args, warmup, all, new Probe());
  collect();
  const probe = new Probe();
  await runOnce(contender, args, n, all, probe);
  await contender.close?.();
  return {
    contender: contender.name,
    scenario: args.scenario,
    variant: args.variant,
    n,
    opsPerSec: n / (probe.elapsedMs / 1000),
    elapsedMs: probe.elapsedMs,
  };
}

/** The entry point of an I/O contender script: `contenders` by name; runs the one asked for and prints its line. */
export function ioMain(contenders: Readonly<Record<string, () => IoContender>>): void {
  childMain({
    usage: IO_USAGE,
    parse: parseIoArgs,
    measure: (args) => measure(contenderOf(contenders, args.contender)(), args),
  });
}
