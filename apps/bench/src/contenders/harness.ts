/**
 * What every contender script shares: argument parsing, the warm-up, the clock, the memory probe, and the one
 * JSON line printed at the end.
 *
 * A contender script is run as `node --expose-gc dist/contenders/<name>.js <scenario> [--quick]`. It runs the
 * scenario once small (the warm-up, so the JIT has compiled the hot paths), collects garbage, then runs it at full
 * size and prints one {@link ChildResult} line. For a `cost` scenario (`timers`) the probe also measures the run's
 * CPU time and peak RSS growth, and the scenario hands it how late each timer woke.
 *
 * @module
 */
import { writeSync } from 'node:fs';
import type { ChildResult, Lateness } from '../protocol.js';
import {
  FULL,
  QUICK,
  RUNTIME_SCENARIOS,
  SCENARIO_INFO,
  WARMUP,
  type ChainedSpawnParams,
  type ChannelPingPongParams,
  type MpscContentionParams,
  type Params,
  type PingPongParams,
  type RuntimeScenarioName,
  type SemaphoreParams,
  type SpawnParams,
  type TimersParams,
  type YieldManyParams,
} from '../scenarios.js';
import { lateness } from '../stats.js';
import { PeakRss } from './peak-rss.js';

/** The sizes a contender runs a scenario at, where smaller than the scenario's, and why (the report prints it). */
export interface Cap<P> {
  /** Each field is the most this contender runs; fields not given keep the scenario's size. */
  readonly max: Partial<P>;
  readonly reason: string;
}

/** One contender: each scenario written with its own idioms. Each resolves once the scenario is done. */
export interface Contender {
  readonly name: string;
  spawn(params: SpawnParams, probe: Probe): Promise<void>;
  yield_many(params: YieldManyParams, probe: Probe): Promise<void>;
  ping_pong(params: PingPongParams, probe: Probe): Promise<void>;
  chained_spawn(params: ChainedSpawnParams, probe: Probe): Promise<void>;
  /** Starts every sleep, each in its own task, awaits them all, and hands `probe.overshoot` their lateness. */
  timers(params: TimersParams, probe: Probe): Promise<void>;
  channel_ping_pong(params: ChannelPingPongParams, probe: Probe): Promise<void>;
  mpsc_contention(params: MpscContentionParams, probe: Probe): Promise<void>;
  semaphore(params: SemaphoreParams, probe: Probe): Promise<void>;
  /**
   * The largest sizes this contender can run within the run's bounds (heap, child timeout), and why. A larger
   * measured run is cut to the cap and the result carries a note saying so.
   */
  readonly caps?: { readonly [S in RuntimeScenarioName]?: Cap<Params[S]> };
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

/** What a {@link Probe} measures besides the clock. */
export interface ProbeOptions {
  /** Heap retained per suspended task, by `suspended(n)` (`spawn`). */
  readonly memory?: boolean;
  /** CPU time and peak RSS growth between `start()` and `stop()` (`cost` scenarios). */
  readonly resources?: boolean;
}

/**
 * The clock of one run, and what else it measures. A scenario calls `start()` just before its first task,
 * `suspended(n)` once every task waits (`spawn` only), `stop()` once the last has finished, then `overshoot()`
 * with how late each timer woke (`timers` only).
 *
 * The garbage collections `suspended()` forces are not counted in the elapsed time.
 */
export class Probe {
  readonly #measureMemory: boolean;
  readonly #measureResources: boolean;
  #start = 0;
  #paused = 0;
  #elapsed: number | undefined = undefined;
  #heapBefore = 0;
  #retainedPerTask: number | undefined = undefined;
  #cpuBefore: NodeJS.CpuUsage | undefined = undefined;
  #peakRss: PeakRss | undefined = undefined;
  #resources: { readonly cpuMs: number; readonly peakRssBytes: number } | undefined = undefined;
  #overshoot: Lateness | undefined = undefined;

  constructor(options: ProbeOptions = {}) {
    this.#measureMemory = options.memory ?? false;
    this.#measureResources = options.resources ?? false;
  }

  start(): void {
    if (this.#measureMemory) this.#heapBefore = heapAfterGc();
    if (this.#measureResources) {
      this.#peakRss = new PeakRss();
      this.#cpuBefore = process.cpuUsage();
    }
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
    if (this.#cpuBefore !== undefined && this.#peakRss !== undefined) {
      const cpu = process.cpuUsage(this.#cpuBefore);
      this.#resources = { cpuMs: (cpu.user + cpu.system) / 1000, peakRssBytes: this.#peakRss.stop() };
    }
  }

  /** How late each timer woke, in ms (wake time − requested deadline). Sorts `samples`. */
  overshoot(samples: Float64Array): void {
    this.#overshoot = lateness(samples);
  }

  get elapsedMs(): number {
    if (this.#elapsed === undefined) throw new Error('Expected the scenario to call probe.stop(), got no stop');
    return this.#elapsed;
  }

  get retainedBytesPerTask(): number | undefined {
    return this.#retainedPerTask;
  }

  /** CPU time and peak RSS growth, if this probe measured them. */
  get resources(): { readonly cpuMs: number; readonly peakRssBytes: number } | undefined {
    return this.#resources;
  }

  /** Whether the peak RSS had to be sampled (no resettable kernel peak on this platform). */
  get rssSampled(): boolean {
    return this.#peakRss?.method === 'sampled';
  }

  get overshootMs(): Lateness | undefined {
    return this.#overshoot;
  }
}

function runScenario(contender: Contender, scenario: RuntimeScenarioName, params: Params, probe: Probe): Promise<void> {
  switch (scenario) {
    case 'spawn':
      return contender.spawn(params.spawn, probe);
    case 'yield_many':
      return contender.yield_many(params.yield_many, probe);
    case 'ping_pong':
      return contender.ping_pong(params.ping_pong, probe);
    case 'chained_spawn':
      return contender.chained_spawn(params.chained_spawn, probe);
    case 'timers':
      return contender.timers(params.timers, probe);
    case 'channel_ping_pong':
      return contender.channel_ping_pong(params.channel_ping_pong, probe);
    case 'mpsc_contention':
      return contender.mpsc_contention(params.mpsc_contention, probe);
    case 'semaphore':
      return contender.semaphore(params.semaphore, probe);
  }
}

/** `params` with each of `scenario`'s sizes cut to at most the cap's. */
function capped<S extends RuntimeScenarioName>(params: Params, scenario: S, cap: Cap<Params[S]>): Params {
  const size: Record<string, unknown> = { ...params[scenario] };
  for (const [key, max] of Object.entries(cap.max)) {
    if (typeof max === 'number' && typeof size[key] === 'number') size[key] = Math.min(size[key], max);
  }
  return { ...params, [scenario]: size };
}

/**
 * `params`, with `scenario`'s size cut to `caps` where they are smaller, and the note that says so (none when
 * nothing was cut).
 */
export function applyCap(
  caps: Contender['caps'],
  scenario: RuntimeScenarioName,
  params: Params,
): { params: Params; note?: string } {
  const cap = caps?.[scenario];
  if (cap === undefined) return { params };
  const info = SCENARIO_INFO[scenario];
  const cut = capped(params, scenario, cap);
  const [full, mine] = [info.ops(params), info.ops(cut)];
  if (mine >= full) return { params };
  const what = info.unit.replace(/\/s$/, '');
  const fmt = (n: number) => n.toLocaleString('en-US');
  return { params: cut, note: `${scenario} run with ${fmt(mine)} ${what}, not ${fmt(full)}: ${cap.reason}` };
}

async function measure(contender: Contender, scenario: RuntimeScenarioName, quick: boolean): Promise<ChildResult> {
  const info = SCENARIO_INFO[scenario];
  const warmup = applyCap(contender.caps, scenario, WARMUP).params;
  await runScenario(contender, scenario, warmup, new Probe());
  collect();
  const { params, note: capNote } = applyCap(contender.caps, scenario, quick ? QUICK : FULL);
  const probe = new Probe({ memory: scenario === 'spawn', resources: info.measures === 'cost' });
  await runScenario(contender, scenario, params, probe);
  const n = info.ops(params);
  const elapsedMs = probe.elapsedMs;
  const retained = probe.retainedBytesPerTask;
  const resources = probe.resources;
  const overshoot = probe.overshootMs;
  const notes = [
    capNote,
    probe.rssSampled ? 'peak RSS sampled every 5 ms (no resettable kernel peak here)' : undefined,
  ];
  const note = notes.filter((n) => n !== undefined).join('; ');
  return {
    contender: contender.name,
    scenario,
    n,
    opsPerSec: n / (elapsedMs / 1000),
    elapsedMs,
    ...(retained === undefined ? {} : { retainedBytesPerTask: retained }),
    ...(resources === undefined ? {} : resources),
    ...(overshoot === undefined ? {} : { overshootMs: overshoot }),
    ...(note === '' ? {} : { note }),
  };
}

/** The entry point of a contender script: reads `<scenario> [--quick]`, runs, prints one JSON line, exits. */
export function main(contender: Contender): void {
  const args = process.argv.slice(2);
  const scenario = args.find((a) => !a.startsWith('--'));
  if (scenario === undefined || !(RUNTIME_SCENARIOS as readonly string[]).includes(scenario)) {
    process.stderr.write(`usage: node --expose-gc ${contender.name}.js <${RUNTIME_SCENARIOS.join('|')}> [--quick]\n`);
    process.exit(2);
  }
  measure(contender, scenario as RuntimeScenarioName, args.includes('--quick')).then(
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
