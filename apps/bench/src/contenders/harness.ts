/**
 * What every contender script shares: argument parsing, the warm-up, the clock, the memory probe, and the one
 * JSON line printed at the end.
 *
 * A contender script is run as `node --expose-gc dist/contenders/<name>.js <scenario> [--quick]`. It runs the
 * scenario once small (the warm-up, so the JIT has compiled the hot paths), collects garbage, then runs it at full
 * size and prints one {@link ChildResult} line.
 *
 * @module
 */
import { writeSync } from 'node:fs';
import type { ChildResult } from '../protocol.js';
import {
  FULL,
  isScenario,
  QUICK,
  SCENARIO_INFO,
  SCENARIOS,
  WARMUP,
  type ChainedSpawnParams,
  type Params,
  type PingPongParams,
  type ScenarioName,
  type SpawnParams,
  type YieldManyParams,
} from '../scenarios.js';

/** One contender: each scenario written with its own idioms. Each resolves once the scenario is done. */
export interface Contender {
  readonly name: string;
  spawn(params: SpawnParams, probe: Probe): Promise<void>;
  yield_many(params: YieldManyParams, probe: Probe): Promise<void>;
  ping_pong(params: PingPongParams, probe: Probe): Promise<void>;
  chained_spawn(params: ChainedSpawnParams, probe: Probe): Promise<void>;
  /**
   * The most `spawn` tasks this contender can hold within the run's bounds (heap, child timeout), and why. A
   * larger measured run is cut to this size and the result carries a note saying so.
   */
  readonly maxSpawnTasks?: { readonly tasks: number; readonly reason: string };
}

function collect(): void {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('Expected node to run with --expose-gc, got no global.gc');
  // Twice: the first pass may leave garbage that only a second finds (weak references, finalization).
  void gc();
  void gc();
}

function heapAfterGc(): number {
  collect();
  return process.memoryUsage().heapUsed;
}

/**
 * The clock of one run, and (for `spawn`) its memory probe. A scenario calls `start()` just before its first task,
 * `suspended(n)` once every task waits (`spawn` only), and `stop()` once the last has finished.
 *
 * The garbage collections `suspended()` forces are not counted in the elapsed time.
 */
export class Probe {
  readonly #measureMemory: boolean;
  #start = 0;
  #paused = 0;
  #elapsed: number | undefined = undefined;
  #heapBefore = 0;
  #retainedPerTask: number | undefined = undefined;

  constructor(measureMemory: boolean) {
    this.#measureMemory = measureMemory;
  }

  start(): void {
    if (this.#measureMemory) this.#heapBefore = heapAfterGc();
    this.#start = performance.now();
  }

  /** Every one of `tasks` tasks is suspended: measure the heap they hold (if this run measures memory). */
  suspended(tasks: number): void {
    if (!this.#measureMemory) return;
    const t = performance.now();
    this.#retainedPerTask = (heapAfterGc() - this.#heapBefore) / tasks;
    this.#paused += performance.now() - t;
  }

  stop(): void {
    this.#elapsed = performance.now() - this.#start - this.#paused;
  }

  get elapsedMs(): number {
    if (this.#elapsed === undefined) throw new Error('Expected the scenario to call probe.stop(), got no stop');
    return this.#elapsed;
  }

  get retainedBytesPerTask(): number | undefined {
    return this.#retainedPerTask;
  }
}

function runScenario(contender: Contender, scenario: ScenarioName, params: Params, probe: Probe): Promise<void> {
  switch (scenario) {
    case 'spawn':
      return contender.spawn(params.spawn, probe);
    case 'yield_many':
      return contender.yield_many(params.yield_many, probe);
    case 'ping_pong':
      return contender.ping_pong(params.ping_pong, probe);
    case 'chained_spawn':
      return contender.chained_spawn(params.chained_spawn, probe);
  }
}

async function measure(contender: Contender, scenario: ScenarioName, quick: boolean): Promise<ChildResult> {
  await runScenario(contender, scenario, WARMUP, new Probe(false));
  collect();
  let params = quick ? QUICK : FULL;
  let note: string | undefined;
  const cap = contender.maxSpawnTasks;
  if (scenario === 'spawn' && cap !== undefined && params.spawn.tasks > cap.tasks) {
    note = `spawn run with ${cap.tasks.toLocaleString('en-US')} tasks, not ${params.spawn.tasks.toLocaleString('en-US')}: ${cap.reason}`;
    params = { ...params, spawn: { tasks: cap.tasks } };
  }
  const probe = new Probe(scenario === 'spawn');
  await runScenario(contender, scenario, params, probe);
  const n = SCENARIO_INFO[scenario].ops(params);
  const elapsedMs = probe.elapsedMs;
  const retained = probe.retainedBytesPerTask;
  return {
    contender: contender.name,
    scenario,
    n,
    opsPerSec: n / (elapsedMs / 1000),
    elapsedMs,
    ...(retained === undefined ? {} : { retainedBytesPerTask: retained }),
    ...(note === undefined ? {} : { note }),
  };
}

/** The entry point of a contender script: reads `<scenario> [--quick]`, runs, prints one JSON line, exits. */
export function main(contender: Contender): void {
  const args = process.argv.slice(2);
  const scenario = args.find((a) => !a.startsWith('--'));
  if (scenario === undefined || !isScenario(scenario)) {
    process.stderr.write(`usage: node --expose-gc ${contender.name}.js <${SCENARIOS.join('|')}> [--quick]\n`);
    process.exit(2);
  }
  measure(contender, scenario, args.includes('--quick')).then(
    (result) => {
      // writeSync: the line must be out before exit, and stdout to a pipe is asynchronous on some platforms.
      writeSync(1, `${JSON.stringify(result)}\n`);
      // Exit at once: a peer's lingering handle must not turn a finished measurement into a timeout.
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(
        `${contender.name} ${scenario} failed: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
