/**
 * The soak's load client: `http-load.cpp`, one C++ thread driving every keep-alive connection through one epoll
 * set, built with `g++ -O2` into a cache directory the first time it is needed (keyed by a hash of its source and
 * flags, so an edit builds a new one) — the approach of `apps/bench/src/net/client.ts`. Also what it is told
 * (`loadArgs`) and what it prints (`parseLoadReady`, `parseLoadRun`).
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How the client is compiled: the flags after `g++`, before `-o`. */
export const CXX_FLAGS = ['-O2', '-std=c++17'] as const;

/** The client's source, next to this module (the soak runs from the checkout; `dist/` holds no soak). */
export const LOAD_CLIENT_SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'http-load.cpp');

/** Where the client's binary is cached: `os.tmpdir()/zokio-serve-soak/http-load-<hash of source and flags>`. */
export function loadClientPath(source: string, dir = join(tmpdir(), 'zokio-serve-soak')): string {
  const hash = createHash('sha256').update(source).update('\0').update(CXX_FLAGS.join(' ')).digest('hex');
  return join(dir, `http-load-${hash.slice(0, 12)}`);
}

/** The client binary a run uses: where, and whether this run compiled it (and how long that took). */
export interface LoadClientBuild {
  readonly path: string;
  readonly compiled: boolean;
  readonly compileMs?: number;
}

/**
 * The client's binary, compiled from `http-load.cpp` if the cache has none. Compiles into a temporary name renamed
 * into place, so a concurrent or killed compile never leaves half a binary. Throws an `Error` with the compiler's
 * output if the compile fails (or there is no `g++`).
 */
export function prepareLoadClient(sourcePath = LOAD_CLIENT_SOURCE, dir?: string): LoadClientBuild {
  const path = loadClientPath(readFileSync(sourcePath, 'utf8'), dir);
  if (existsSync(path)) return { path, compiled: false };
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  const start = performance.now();
  const result = spawnSync('g++', [...CXX_FLAGS, '-o', temporary, sourcePath], { encoding: 'utf8', timeout: 120_000 });
  const compileMs = performance.now() - start;
  if (result.error !== undefined || result.status !== 0) {
    rmSync(temporary, { force: true });
    const why = result.error?.message ?? `exit code ${result.status}: ${result.stderr.trim().slice(0, 2000)}`;
    throw new Error(
      `Expected \`g++ ${CXX_FLAGS.join(' ')} -o ${path} ${sourcePath}\` to build the load client, got ${why}`,
    );
  }
  renameSync(temporary, path);
  return { path, compiled: true, compileMs };
}

/** What the client is told. */
export interface LoadParams {
  readonly port: number;
  readonly connections: number;
  readonly seconds: number;
  /** Requested in turn, each starting with `/`. */
  readonly paths: readonly string[];
  /** A request unanswered this long is an error. Default 30,000. */
  readonly timeoutMs?: number;
  /** How long the responses in flight at the end may take. Default 10,000. */
  readonly drainMs?: number;
}

/** The client's arguments. */
export function loadArgs(p: LoadParams): string[] {
  return [
    `port=${p.port}`,
    `connections=${p.connections}`,
    `seconds=${p.seconds}`,
    ...p.paths.map((path) => `path=${path}`),
    ...(p.timeoutMs === undefined ? [] : [`timeout-ms=${p.timeoutMs}`]),
    ...(p.drainMs === undefined ? [] : [`drain-ms=${p.drainMs}`]),
  ];
}

/** What the client prints once every connection is connected. */
export interface LoadReady {
  readonly ready: true;
  readonly connections: number;
  readonly connectMs: number;
}

/** What the client prints at the end; times in ms. */
export interface LoadRun {
  /** Connections open (connected) at the end of the run. */
  readonly connections: number;
  /** Connections asked for. */
  readonly target: number;
  /** Responses received whole, including those in flight at the end. */
  readonly requests: number;
  /** Responses completed within the run, per second. */
  readonly rps: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly status: Readonly<Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx', number>>;
  /** Connections reopened after a `Connection: close` response (not errors). */
  readonly reconnects: number;
  readonly bytes: number;
  /** When the last of the connections was first connected, from the client's start; null if some never were. */
  readonly connectMs: number | null;
  readonly runMs: number;
  /** The client's own CPU time (user + system). */
  readonly cpuMs: number;
  readonly errorKinds: Readonly<Record<string, number>>;
  readonly firstError: string | null;
}

function jsonObject(line: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error(`Expected ${what} as one JSON line, got ${JSON.stringify(line.slice(0, 200))}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`Expected ${what} as a JSON object, got ${line.slice(0, 200)}`);
  return value as Record<string, unknown>;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

const RUN_COUNTS = [
  'connections',
  'target',
  'requests',
  'rps',
  'p50Ms',
  'p90Ms',
  'p99Ms',
  'p999Ms',
  'maxMs',
  'errors',
  'non2xx',
  'reconnects',
  'bytes',
  'runMs',
  'cpuMs',
] as const;

/** Reads the client's `{"ready":true,…}` line, or returns undefined for another line. */
export function parseLoadReady(line: string): LoadReady | undefined {
  const o = jsonObject(line, "the load client's line");
  if (o['ready'] !== true) return undefined;
  if (!isCount(o['connections']) || !isCount(o['connectMs']))
    throw new Error(`Expected {"ready":true,"connections":N,"connectMs":N}, got ${line}`);
  return { ready: true, connections: o['connections'], connectMs: o['connectMs'] };
}

/** Reads the client's result line. Throws unless every field is there and well-formed. */
export function parseLoadRun(line: string): LoadRun {
  const o = jsonObject(line, "the load client's result");
  const bad: string[] = RUN_COUNTS.filter((k) => !isCount(o[k]));
  const status = o['status'] as Record<string, unknown> | undefined;
  if (
    typeof status !== 'object' ||
    status === null ||
    !['1xx', '2xx', '3xx', '4xx', '5xx'].every((k) => isCount(status[k]))
  )
    bad.push('status');
  const kinds = o['errorKinds'];
  if (typeof kinds !== 'object' || kinds === null || !Object.values(kinds).every(isCount)) bad.push('errorKinds');
  if (o['connectMs'] !== null && !isCount(o['connectMs'])) bad.push('connectMs');
  if (o['firstError'] !== null && typeof o['firstError'] !== 'string') bad.push('firstError');
  if (bad.length > 0)
    throw new Error(`Expected the load client's result with well-formed ${bad.join(', ')}, got ${line}`);
  return o as unknown as LoadRun;
}
