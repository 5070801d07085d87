/**
 * What a contender process prints: one JSON line on stdout, and how the runner reads it back.
 *
 * @module
 */
import { isScenario, type ScenarioName } from './scenarios.js';

/** One measured run of one scenario by one contender, as printed by the child process. */
export interface ChildResult {
  readonly contender: string;
  readonly scenario: ScenarioName;
  /** Operations in the measured run (tasks, yields, round trips or spawns). */
  readonly n: number;
  readonly opsPerSec: number;
  /** Wall time of the measured run, less the garbage collections forced to measure memory. */
  readonly elapsedMs: number;
  /** `spawn` only: heap retained per suspended task, including its handle and its place in the gate. */
  readonly retainedBytesPerTask?: number;
  /** `cost` scenarios only: CPU time of the measured run, user + system, all threads (`process.cpuUsage()`). */
  readonly cpuMs?: number;
  /** `cost` scenarios only: peak resident set during the measured run, less the resident set at its start. */
  readonly peakRssBytes?: number;
  /** `timers` only: how late the sleeps woke (wake time − requested deadline), over every sleep of the run. */
  readonly overshootMs?: Lateness;
  /**
   * `tcp_echo`: the round-trip times of the measured run (send of a message to the last byte of its echo);
   * the HTTP scenarios: wrk's latencies (a request's send to its whole response).
   */
  readonly roundTripMs?: Latency;
  /**
   * `tcp_echo` and the HTTP scenarios: the load client's (wrk's) CPU time over the measured run ÷ its length (1 =
   * one core, busy throughout).
   */
  readonly clientCpu?: number;
  /** The HTTP scenarios: the server process's CPU time (user + system) over the measured run ÷ its length. */
  readonly serverCpu?: number;
  /** The HTTP scenarios: the server process's CPU time over the measured run ÷ the requests served, in ns. */
  readonly serverCpuNsPerOp?: number;
  /** `conn_memory`: the server's resident-set growth per idle connection. */
  readonly bytesPerConnection?: number;
  /** `conn_memory`: the server's V8 heap + external memory growth per idle connection. */
  readonly heapBytesPerConnection?: number;
  /** The pool scenarios: the worker threads the pool ran (`fork_join`: also its variant). */
  readonly workers?: number;
  /**
   * `worker_heavy`: one job's busy loop as timed by the job itself on the worker thread that ran it, µs: the mean
   * over the run's jobs.
   */
  readonly jobUs?: number;
  /** `worker_heavy`: (wall × workers − jobs × jobUs) ÷ jobs, µs: what the pool spent per job beyond the job. */
  readonly overheadUsPerJob?: number;
  /** Why this contender's run differs from the others' (a size it had to cap), for the report. */
  readonly note?: string;
  /** The I/O scenarios: the variant run (queue depth, batch size). */
  readonly variant?: number;
  /**
   * Set when the contender cannot run here (fio not installed), with why: the run measured nothing (`n`,
   * `opsPerSec` and `elapsedMs` are 0), and the report says so without counting it as a failure.
   */
  readonly unavailable?: string;
}

/** A distribution of lateness, in milliseconds. */
export interface Lateness {
  readonly median: number;
  readonly p99: number;
  readonly max: number;
  /** The fraction of samples that woke before their deadline (negative lateness), 0 – 1. */
  readonly early: number;
}

/** A distribution of durations, in milliseconds: nearest-rank median, p99 and max. */
export interface Latency {
  readonly median: number;
  readonly p99: number;
  readonly max: number;
}

function finiteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function optionalNumber(value: unknown): value is number | undefined {
  return value === undefined || finiteNumber(value);
}

function optionalLatency(value: unknown): value is Latency | undefined {
  if (value === undefined) return true;
  if (typeof value !== 'object' || value === null) return false;
  const l = value as Record<string, unknown>;
  return finiteNumber(l['median']) && finiteNumber(l['p99']) && finiteNumber(l['max']);
}

function optionalLateness(value: unknown): value is Lateness | undefined {
  if (value === undefined) return true;
  if (typeof value !== 'object' || value === null) return false;
  const l = value as Record<string, unknown>;
  return finiteNumber(l['median']) && finiteNumber(l['p99']) && finiteNumber(l['max']) && finiteNumber(l['early']);
}

/**
 * Reads the last non-empty line of a child's stdout as a {@link ChildResult}. Throws a message saying what was
 * expected and what was got.
 */
export function parseChildResult(stdout: string): ChildResult {
  const line = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .at(-1);
  if (line === undefined) throw new Error('Expected one JSON line on stdout, got nothing');
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error(`Expected one JSON line on stdout, got ${JSON.stringify(line.slice(0, 200))}`);
  }
  const r = value as Record<string, unknown>;
  if (
    typeof r !== 'object' ||
    r === null ||
    typeof r['contender'] !== 'string' ||
    typeof r['scenario'] !== 'string' ||
    !isScenario(r['scenario']) ||
    !finiteNumber(r['n']) ||
    !finiteNumber(r['opsPerSec']) ||
    !finiteNumber(r['elapsedMs']) ||
    !optionalNumber(r['retainedBytesPerTask']) ||
    !optionalNumber(r['cpuMs']) ||
    !optionalNumber(r['peakRssBytes']) ||
    !optionalLateness(r['overshootMs']) ||
    !optionalLatency(r['roundTripMs']) ||
    !optionalNumber(r['clientCpu']) ||
    !optionalNumber(r['serverCpu']) ||
    !optionalNumber(r['serverCpuNsPerOp']) ||
    !optionalNumber(r['bytesPerConnection']) ||
    !optionalNumber(r['heapBytesPerConnection']) ||
    !optionalNumber(r['workers']) ||
    !optionalNumber(r['jobUs']) ||
    !optionalNumber(r['overheadUsPerJob']) ||
    (r['note'] !== undefined && typeof r['note'] !== 'string') ||
    !optionalNumber(r['variant']) ||
    (r['unavailable'] !== undefined && typeof r['unavailable'] !== 'string')
  ) {
    throw new Error(`Expected {contender, scenario, n, opsPerSec, elapsedMs}, got ${line.slice(0, 200)}`);
  }
  return {
    contender: r['contender'],
    scenario: r['scenario'],
    n: r['n'],
    opsPerSec: r['opsPerSec'],
    elapsedMs: r['elapsedMs'],
    ...(r['retainedBytesPerTask'] === undefined ? {} : { retainedBytesPerTask: r['retainedBytesPerTask'] }),
    ...(r['cpuMs'] === undefined ? {} : { cpuMs: r['cpuMs'] }),
    ...(r['peakRssBytes'] === undefined ? {} : { peakRssBytes: r['peakRssBytes'] }),
    ...(r['overshootMs'] === undefined ? {} : { overshootMs: pickLateness(r['overshootMs']) }),
    ...(r['roundTripMs'] === undefined ? {} : { roundTripMs: pickLatency(r['roundTripMs']) }),
    ...(r['clientCpu'] === undefined ? {} : { clientCpu: r['clientCpu'] }),
    ...(r['serverCpu'] === undefined ? {} : { serverCpu: r['serverCpu'] }),
    ...(r['serverCpuNsPerOp'] === undefined ? {} : { serverCpuNsPerOp: r['serverCpuNsPerOp'] }),
    ...(r['bytesPerConnection'] === undefined ? {} : { bytesPerConnection: r['bytesPerConnection'] }),
    ...(r['heapBytesPerConnection'] === undefined ? {} : { heapBytesPerConnection: r['heapBytesPerConnection'] }),
    ...(r['workers'] === undefined ? {} : { workers: r['workers'] }),
    ...(r['jobUs'] === undefined ? {} : { jobUs: r['jobUs'] }),
    ...(r['overheadUsPerJob'] === undefined ? {} : { overheadUsPerJob: r['overheadUsPerJob'] }),
    ...(typeof r['note'] === 'string' ? { note: r['note'] } : {}),
    ...(r['variant'] === undefined ? {} : { variant: r['variant'] }),
    ...(typeof r['unavailable'] === 'string' ? { unavailable: r['unavailable'] } : {}),
  };
}

/** Only the known fields, so a child's extra keys do not leak into the report. */
function pickLateness({ median, p99, max, early }: Lateness): Lateness {
  return { median, p99, max, early };
}

function pickLatency({ median, p99, max }: Latency): Latency {
  return { median, p99, max };
}
