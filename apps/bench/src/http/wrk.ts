/**
 * The load generator of the HTTP scenarios: [wrk](https://github.com/wg/wrk), as Debian packages it (`apt-get
 * install wrk`). Where to find it (`findWrk`), its command line (`wrkArgs`), and what it reports: a Lua `done()`
 * hook (`WRK_REPORT_SCRIPT`, written once into a cache directory) prints one `ZOKIO_WRK {…}` line after wrk's own
 * summary, with the exact counts, latency percentiles in µs and wrk's own CPU time, read back by `parseWrkRun`.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { HttpLoad } from '../scenarios.js';

/** How to get wrk, said by every error that finds none. */
export const WRK_INSTALL = 'apt-get install wrk';

/** Where wrk is, and what it says its version is. */
export interface WrkInfo {
  readonly path: string;
  /** The first words of `wrk --version`: `wrk debian/4.1.0-3+b2 [epoll]`. */
  readonly version: string;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * wrk's path: `$WRK` if set (it must be there), else the first `wrk` on `PATH`, else `/usr/bin/wrk`. Throws an
 * `Error` that says how to install it when there is none: the HTTP scenarios fail without it, they do not skip.
 */
export function wrkPath(env: NodeJS.ProcessEnv = process.env, fallbackDirs: readonly string[] = ['/usr/bin']): string {
  const chosen = env['WRK'];
  if (chosen !== undefined && chosen !== '') {
    if (executable(chosen)) return chosen;
    throw new Error(
      `Expected WRK=${chosen} to be wrk, the HTTP load generator, found no such program (\`${WRK_INSTALL}\`)`,
    );
  }
  const dirs = [...(env['PATH'] ?? '').split(delimiter).filter((d) => d !== ''), ...fallbackDirs];
  const found = dirs.map((d) => join(d, 'wrk')).find(executable);
  if (found === undefined) {
    throw new Error(
      `Expected wrk, the HTTP load generator, on PATH or at ${fallbackDirs.map((d) => join(d, 'wrk')).join(', ')}, ` +
        `found none: install it (\`${WRK_INSTALL}\`)`,
    );
  }
  return found;
}

/** wrk's path and version; throws (saying `apt-get install wrk`) if it is missing or does not run. */
export function findWrk(env?: NodeJS.ProcessEnv): WrkInfo {
  const path = wrkPath(env);
  // `wrk --version` prints its banner and usage, and exits with status 1.
  const result = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const banner = `${result.stdout ?? ''}`.split('\n')[0]?.trim() ?? '';
  if (result.error !== undefined || !banner.startsWith('wrk ')) {
    const why = result.error?.message ?? `its banner was ${JSON.stringify(banner)}`;
    throw new Error(`Expected \`${path} --version\` to print wrk's banner, got ${why} (\`${WRK_INSTALL}\`)`);
  }
  return { path, version: banner.replace(/\s+Copyright.*$/, '') };
}

/**
 * The Lua hook: after the run, one line `ZOKIO_WRK {…}` with wrk's counts, its latency distribution (µs) and its
 * own CPU time (utime + stime from `/proc/self/stat`, in clock ticks: every thread has been joined by then).
 */
export const WRK_REPORT_SCRIPT = `-- zokio bench: print wrk's results as one JSON line (see apps/bench/src/http/wrk.ts).
done = function(summary, latency, requests)
  local ticks = -1
  local f = io.open("/proc/self/stat", "r")
  if f then
    local stat = f:read("*a")
    f:close()
    local rest = stat:match("^.*%) (.*)$")
    if rest then
      local fields = {}
      for word in rest:gmatch("%S+") do fields[#fields + 1] = word end
      -- rest starts at field 3 (state): utime is field 14, stime field 15.
      ticks = tonumber(fields[12]) + tonumber(fields[13])
    end
  end
  local e = summary.errors
  io.write(string.format(
    'ZOKIO_WRK {"requests":%.0f,"durationUs":%.0f,"bytes":%.0f,"connectErrors":%.0f,"readErrors":%.0f,' ..
    '"writeErrors":%.0f,"statusErrors":%.0f,"timeouts":%.0f,"p50Us":%.0f,"p99Us":%.0f,"maxUs":%.0f,' ..
    '"meanUs":%.3f,"cpuTicks":%.0f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, latency.mean, ticks))
end
`;

/** Where the hook is kept: `os.tmpdir()/zokio-bench/wrk-report-<hash of the script>.lua`. */
export function wrkScriptPath(dir = join(tmpdir(), 'zokio-bench')): string {
  const hash = createHash('sha256').update(WRK_REPORT_SCRIPT).digest('hex');
  return join(dir, `wrk-report-${hash.slice(0, 12)}.lua`);
}

/** The hook's path, written (into a temporary name renamed into place) if not there yet. */
export function prepareWrkScript(dir?: string): string {
  const path = wrkScriptPath(dir);
  if (existsSync(path)) return path;
  mkdirSync(join(path, '..'), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, WRK_REPORT_SCRIPT);
  renameSync(temporary, path);
  return path;
}

/** wrk's arguments for a run of `seconds` with `connections` connections against `path` (`/`) on `port`. */
export function wrkArgs(
  port: number,
  connections: number,
  seconds: number,
  p: Pick<HttpLoad, 'threads' | 'timeoutS'>,
  script: string,
  path = '/',
): string[] {
  if (!Number.isInteger(seconds) || seconds < 1) throw new RangeError(`Expected whole seconds ≥ 1, got ${seconds}`);
  if (!path.startsWith('/')) throw new RangeError(`Expected a URL path starting with /, got ${JSON.stringify(path)}`);
  return [
    `-t${p.threads}`,
    `-c${connections}`,
    `-d${seconds}s`,
    '--timeout',
    `${p.timeoutS}s`,
    '--latency',
    '-s',
    script,
    `http://127.0.0.1:${port}${path}`,
  ];
}

/** What one wrk run reports. */
export interface WrkRun {
  readonly requests: number;
  readonly durationUs: number;
  readonly bytes: number;
  readonly connectErrors: number;
  readonly readErrors: number;
  readonly writeErrors: number;
  /** Responses that were not 2xx or 3xx. */
  readonly statusErrors: number;
  readonly timeouts: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
  readonly meanUs: number;
  /** wrk's own CPU time (user + system), in clock ticks; −1 if it could not read it. */
  readonly cpuTicks: number;
}

const WRK_FIELDS = [
  'requests',
  'durationUs',
  'bytes',
  'connectErrors',
  'readErrors',
  'writeErrors',
  'statusErrors',
  'timeouts',
  'p50Us',
  'p99Us',
  'maxUs',
  'meanUs',
  'cpuTicks',
] as const;

/** The prefix of the hook's line. */
export const WRK_LINE = 'ZOKIO_WRK ';

/**
 * Reads the hook's line (`ZOKIO_WRK {…}`) out of wrk's stdout, or the line alone. Throws an `Error` saying what was
 * expected and what was got.
 */
export function parseWrkRun(output: string): WrkRun {
  const line = output
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.startsWith(WRK_LINE));
  if (line === undefined) throw new Error(`Expected a ${WRK_LINE.trim()} line from wrk, got ${output.slice(-300)}`);
  let value: unknown;
  try {
    value = JSON.parse(line.slice(WRK_LINE.length));
  } catch {
    throw new Error(`Expected JSON after ${WRK_LINE.trim()}, got ${line.slice(0, 300)}`);
  }
  const r = value as Record<string, unknown>;
  for (const field of WRK_FIELDS) {
    const v = r?.[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || (v < 0 && field !== 'cpuTicks')) {
      throw new Error(`Expected wrk's line with ${field} a number ≥ 0, got ${line.slice(0, 300)}`);
    }
  }
  if ((r['durationUs'] as number) <= 0) throw new Error(`Expected a wrk run of some length, got ${line}`);
  return Object.fromEntries(WRK_FIELDS.map((f) => [f, r[f]])) as unknown as WrkRun;
}

/** The socket errors of a run, in words (`3 read errors, 1 timeout`), or `undefined` if there were none. */
export function socketErrors(run: WrkRun): string | undefined {
  const parts = (
    [
      [run.connectErrors, 'connect error'],
      [run.readErrors, 'read error'],
      [run.writeErrors, 'write error'],
      [run.timeouts, 'timeout'],
    ] as const
  ).flatMap(([n, what]) => (n === 0 ? [] : [`${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`]));
  return parts.length === 0 ? undefined : parts.join(', ');
}
