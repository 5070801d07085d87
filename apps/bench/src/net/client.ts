/**
 * The load client of the TCP scenarios: `echo-client.cpp`, one C++ thread driving every connection through one
 * epoll set, built with `g++ -O2` into a cache directory the first time it is needed (keyed by a hash of its source
 * and flags, so an edit builds a new one). Also what it is told (`echoArgs`, `holdArgs`) and what it prints
 * (`parseEchoRun`, `parseHoldReady`), and the per-process fd limit that bounds how many connections fit.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnMemoryParams, TcpEchoParams } from '../scenarios.js';

/** How the client is compiled: the flags after `g++`, before `-o`. */
export const CXX_FLAGS = ['-O2', '-std=c++17'] as const;

/** The client's source, in the app's `src/` (the bench runs from its checkout; `dist/` holds only JavaScript). */
export function echoClientSource(appDir: string): string {
  return join(appDir, 'src', 'net', 'echo-client.cpp');
}

/** Where the client's binary is cached: `os.tmpdir()/zokio-bench/echo-client-<hash of source and flags>`. */
export function echoClientPath(source: string, dir = join(tmpdir(), 'zokio-bench')): string {
  const hash = createHash('sha256').update(source).update('\0').update(CXX_FLAGS.join(' ')).digest('hex');
  return join(dir, `echo-client-${hash.slice(0, 12)}`);
}

/** The client binary a run uses: where, and whether this run compiled it (and how long that took). */
export interface EchoClientBuild {
  readonly path: string;
  readonly compiled: boolean;
  readonly compileMs?: number;
  /** The compile command, as run (or as it would be run, when the binary was cached). */
  readonly command: string;
}

/**
 * The client's binary, compiled from `echo-client.cpp` under `appDir` if the cache has none. Compiles into a
 * temporary name renamed into place, so a concurrent or killed compile never leaves half a binary. Throws an
 * `Error` with the compiler's output if the compile fails.
 */
export function prepareEchoClient(appDir: string, dir?: string): EchoClientBuild {
  const sourcePath = echoClientSource(appDir);
  const path = echoClientPath(readFileSync(sourcePath, 'utf8'), dir);
  const args = [...CXX_FLAGS, '-o', path, sourcePath];
  const command = ['g++', ...args].join(' ');
  if (existsSync(path)) return { path, compiled: false, command };
  mkdirSync(join(path, '..'), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  const start = performance.now();
  const result = spawnSync('g++', [...CXX_FLAGS, '-o', temporary, sourcePath], { encoding: 'utf8', timeout: 120_000 });
  const compileMs = performance.now() - start;
  if (result.error !== undefined || result.status !== 0) {
    rmSync(temporary, { force: true });
    const why = result.error?.message ?? `exit code ${result.status}: ${result.stderr.trim().slice(0, 2000)}`;
    throw new Error(`Expected \`${command}\` to build the load client, got ${why}`);
  }
  renameSync(temporary, path);
  return { path, compiled: true, compileMs, command };
}

/** The client's arguments for a `tcp_echo` run of `connections` connections to `port`. */
export function echoArgs(port: number, connections: number, p: TcpEchoParams): string[] {
  return [
    'echo',
    `port=${port}`,
    `connections=${connections}`,
    `bytes=${p.messageBytes}`,
    `warmup-ms=${p.warmupMs}`,
    `duration-ms=${p.durationMs}`,
    `max-round-trips=${p.maxRoundTrips}`,
    `timeout-ms=${p.timeoutMs}`,
  ];
}

/** The client's arguments for holding `connections` idle connections to `port` (`conn_memory`). */
export function holdArgs(port: number, connections: number, p: ConnMemoryParams): string[] {
  return ['hold', `port=${port}`, `connections=${connections}`, `bytes=${p.messageBytes}`, `timeout-ms=${p.timeoutMs}`];
}

/** What the client prints after an `echo` run; times in ns. */
export interface EchoRun {
  readonly connections: number;
  readonly roundTrips: number;
  readonly elapsedNs: number;
  /** The client's own CPU time (user + system) over the measured run. */
  readonly cpuNs: number;
  readonly warmupRoundTrips: number;
  readonly connectNs: number;
  readonly p50Ns: number;
  readonly p90Ns: number;
  readonly p99Ns: number;
  readonly p999Ns: number;
  readonly maxNs: number;
}

/** What the client prints once a `hold` run's connections are all established. */
export interface HoldReady {
  readonly ready: true;
  readonly connections: number;
  readonly connectNs: number;
}

function jsonObject(line: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error(`Expected ${what} as one JSON line, got ${JSON.stringify(line.slice(0, 200))}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`Expected ${what} as a JSON object, got ${line.slice(0, 200)}`);
  }
  return value as Record<string, unknown>;
}

function counts<K extends string>(line: string, what: string, keys: readonly K[]): Record<K, number> {
  const o = jsonObject(line, what);
  const bad = keys.filter((k) => {
    const v = o[k];
    return typeof v !== 'number' || !Number.isFinite(v) || v < 0;
  });
  if (bad.length > 0) throw new Error(`Expected ${what} with ${bad.join(', ')} (non-negative numbers), got ${line}`);
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Record<K, number>;
}

const ECHO_KEYS = [
  'connections',
  'roundTrips',
  'elapsedNs',
  'cpuNs',
  'warmupRoundTrips',
  'connectNs',
  'p50Ns',
  'p90Ns',
  'p99Ns',
  'p999Ns',
  'maxNs',
] as const;

/** Reads the client's `echo` line. Throws unless every field is there, a non-negative number, with time elapsed. */
export function parseEchoRun(line: string): EchoRun {
  const run = counts(line, "the echo client's result", ECHO_KEYS);
  if (run.elapsedNs === 0) throw new Error(`Expected a measured run of some length, got ${line}`);
  return run;
}

/** Reads the client's `hold` line saying its connections are established. */
export function parseHoldReady(line: string): HoldReady {
  if (jsonObject(line, "the hold client's ready line")['ready'] !== true) {
    throw new Error(`Expected {"ready":true,…} from the hold client, got ${line.slice(0, 200)}`);
  }
  return { ready: true, ...counts(line, "the hold client's ready line", ['connections', 'connectNs'] as const) };
}

/**
 * The soft `Max open files` limit of `/proc/self/limits` text, `Infinity` for `unlimited`, or `undefined` if the
 * text has no such line.
 */
export function parseOpenFilesLimit(limits: string): number | undefined {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  if (m === null) return undefined;
  if (m[1] === 'unlimited') return Infinity;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** This process's soft fd limit (`RLIMIT_NOFILE`), which its children inherit: from `/proc/self/limits`. */
export function openFilesLimit(): number | undefined {
  try {
    return parseOpenFilesLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * How many of `wanted` connections fit under a per-process fd limit of `limit`, keeping `headroom` fds free: the
 * server and the client each hold one fd per connection (each in its own process, so the limit applies to each).
 * Throws a `RangeError` if not even one fits.
 */
export function connectionsThatFit(wanted: number, limit: number | undefined, headroom: number): number {
  if (limit === undefined || limit === Infinity) return wanted;
  const fit = Math.min(wanted, Math.floor(limit - headroom));
  if (fit < 1) {
    throw new RangeError(`Expected an fd limit above ${headroom} (the headroom kept free), got ${limit}`);
  }
  return fit;
}
