/**
 * What every `@zokio/fs` scenario contender script shares: `node --expose-gc dist/fs/<script>.js <contender>
 * <scenario> [--variant N] --path PATH [--quick]`, where PATH is the file set's directory (`small_files`) or the
 * 1 GiB file (`file_random_read`, `sequential_read`). It warms up — on the first tenth of the measured run's reads,
 * or, for `sequential_read`, on `warmupPasses` whole reads of the file — collects garbage, runs the scenario at full
 * size, and prints one {@link ChildResult} line, the same protocol as every other contender.
 *
 * @module
 */
import { parseChildArgs } from '../child-args.js';
import { childMain, contenderOf } from '../child-main.js';
import { Probe } from '../contenders/harness.js';
import type { ReadRun } from '../io/harness.js';
import type { ChildResult } from '../protocol.js';
import {
  FS_SCENARIOS,
  isFsScenario,
  randomOffsets,
  SCENARIO_INFO,
  smallFileSizes,
  type FsScenarioName,
  type Params,
} from '../scenarios.js';
import { fileSetPaths } from './file-set.js';

/** One `small_files` run: `reads` whole files, the i-th being `paths[i % paths.length]`, `depth` in flight. */
export interface SmallFilesRun {
  readonly paths: readonly string[];
  /** Each file's size, to check every read against. */
  readonly sizes: Uint32Array;
  readonly reads: number;
  readonly depth: number;
}

/** One `sequential_read` run: the whole file, which is `fileBytes` long. */
export interface SequentialRun {
  readonly file: string;
  readonly fileBytes: number;
  readonly chunkBytes: number;
}

/** One contender: the scenarios it runs, each resolving once done, with `probe.start()`/`stop()` around it. */
export interface FsContender {
  readonly name: string;
  small_files?(run: SmallFilesRun, probe: Probe): Promise<void>;
  /** The same run as `driver_read`'s: `offsets.length` reads of `blockBytes`, `depth` in flight. */
  file_random_read?(run: ReadRun, probe: Probe): Promise<void>;
  sequential_read?(run: SequentialRun, probe: Probe): Promise<void>;
  /** Torn down after the measured run (a runtime). */
  close?(): Promise<void>;
}

/** What the command line asks for. */
export interface FsArgs {
  readonly contender: string;
  readonly scenario: FsScenarioName;
  /** The queue depth, for the scenario with variants (`file_random_read`); absent for the others. */
  readonly variant: number | undefined;
  readonly path: string;
  readonly params: Params;
}

export const FS_USAGE =
  `usage: node --expose-gc <script>.js <contender> <${FS_SCENARIOS.join('|')}> [--variant N] --path PATH ` +
  '[--quick]';

/**
 * Reads `<contender> <scenario> [--variant N] --path PATH [--quick]`. Throws an `Error` saying what was expected
 * and what was got: a contender the scenario does not run, a variant it lacks (or one it does not take), no path.
 */
export function parseFsArgs(argv: readonly string[]): FsArgs {
  const { contender, scenario, variant, params, values } = parseChildArgs(argv, FS_SCENARIOS, isFsScenario, {
    path: { type: 'string' },
  });
  const path = values['path'];
  if (typeof path !== 'string' || path === '') {
    throw new Error(`Expected --path (the file set's directory or the file ${scenario} reads), got none`);
  }
  return { contender, scenario, variant, path, params };
}

function collect(): void {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('Expected node to run with --expose-gc, got no global.gc');
  void gc();
  void gc();
}

function need<K extends FsScenarioName>(contender: FsContender, scenario: K): NonNullable<FsContender[K]> {
  const run = contender[scenario];
  if (run === undefined) throw new Error(`${contender.name} does not run ${scenario}`);
  return run.bind(contender) as NonNullable<FsContender[K]>;
}

/** Warms `contender` up, then measures one run; returns what it prints. */
export async function measure(contender: FsContender, args: FsArgs): Promise<ChildResult> {
  const { scenario, variant, params, path } = args;
  const n = SCENARIO_INFO[scenario].ops(
    params,
    variant === undefined ? undefined : { contender: contender.name, variant },
  );
  const probe = new Probe();
  switch (scenario) {
    case 'small_files': {
      const p = params.small_files;
      const run = need(contender, 'small_files');
      const files = { paths: fileSetPaths(path, p.files), sizes: smallFileSizes(p), depth: p.depth };
      await run({ ...files, reads: Math.max(p.depth, Math.ceil(n / 10)) }, new Probe());
      collect();
      await run({ ...files, reads: n }, probe);
      break;
    }
    case 'file_random_read': {
      const p = params.file_random_read;
      const run = need(contender, 'file_random_read');
      const offsets = randomOffsets(n, p);
      const read = (count: number, into: Probe) =>
        run({ file: path, depth: variant!, blockBytes: p.blockBytes, offsets: offsets.subarray(0, count) }, into);
      // The warm-up reads the first tenth of the list; the measured run reads it all, from the start, as everyone.
      await read(Math.max(variant!, Math.ceil(n / 10)), new Probe());
      collect();
      await read(n, probe);
      break;
    }
    case 'sequential_read': {
      const p = params.sequential_read;
      const run = need(contender, 'sequential_read');
      const whole = { file: path, fileBytes: p.fileBytes, chunkBytes: p.chunkBytes };
      // Each pass drops what it read before the next: a whole-file read's 1 GiB goes with the collection.
      for (let i = 0; i < p.warmupPasses; i++) await run(whole, new Probe());
      collect();
      await run(whole, probe);
      break;
    }
  }
  await contender.close?.();
  return {
    contender: contender.name,
    scenario,
    ...(variant === undefined ? {} : { variant }),
    n,
    opsPerSec: n / (probe.elapsedMs / 1000),
    elapsedMs: probe.elapsedMs,
  };
}

/** The entry point of an fs contender script: `contenders` by name; runs the one asked for and prints its line. */
export function fsMain(contenders: Readonly<Record<string, () => FsContender>>): void {
  childMain({
    usage: FS_USAGE,
    parse: parseFsArgs,
    measure: (args) => measure(contenderOf(contenders, args.contender)(), args),
  });
}

/** Throws unless a read returned the `expected` bytes. */
export function checkLength(what: string, got: number, expected: number): void {
  if (got !== expected) throw new Error(`Expected ${expected} bytes from ${what}, got ${got}`);
}
