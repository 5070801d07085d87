/**
 * The soak (issue #9): the `zokio-serve` command in a child process of its own (so its RSS and fds are its own),
 * serving a generated site, under `http-load` with thousands of keep-alive connections for a while; its RSS sampled
 * every second (`/proc/PID/status` VmRSS) and its fds counted (`/proc/PID/fd`) before, during and after.
 *
 * The rules (`soakFailures`): every connection held, no error and no non-2xx answer; RSS at the end of the run at
 * most RSS after warm-up × {@link RSS_GROWTH} + {@link RSS_SLACK_MIB} MiB (warm-up: the first sample at
 * {@link WARMUP_FRACTION} of the run, and after every connection was connected); the fds back to the baseline
 * (taken after a short priming run) within {@link FD_SETTLE_MS} of the client closing its connections; the server
 * drains and exits 0 on SIGTERM, having written nothing to stderr.
 *
 * `src/soak/run.ts` is the command (`pnpm --filter @zokio/serve soak`), `test/soak.test.ts` the bounded CI run.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend, type IoChoice } from '@zokio/io-driver';
import {
  loadArgs,
  parseLoadReady,
  parseLoadRun,
  prepareLoadClient,
  type LoadReady,
  type LoadRun,
} from './load-client.js';

/** RSS at the end may be at most RSS after warm-up × this … */
export const RSS_GROWTH = 1.25;
/** … + this many MiB (GC timing, allocator slack). */
export const RSS_SLACK_MIB = 16;
/** The warm-up RSS is the first sample at this fraction of the run (and after every connection was connected). */
export const WARMUP_FRACTION = 0.2;
/** How long the server's fds may take to come back to the baseline after the client closed its connections. */
export const FD_SETTLE_MS = 5_000;

const APP = fileURLToPath(new URL('../../', import.meta.url));

export interface SoakOptions {
  readonly seconds: number;
  readonly connections: number;
  /** The server's I/O driver (`ZOKIO_IO_DRIVER`). Default: the environment's, else `auto`. */
  readonly driver?: IoChoice;
  /** Run `src/main.ts` through tsx (no build needed) or the built `dist/main.js`. */
  readonly server: 'source' | 'dist';
  /** Called with every RSS/fd sample as it is taken (progress for long runs). */
  readonly onSample?: (sample: Sample) => void;
}

/** One look at the server while the client runs. */
export interface Sample {
  /** ms since the client started. */
  readonly t: number;
  readonly rssKiB: number;
  readonly fds: number;
}

export interface SoakReport {
  /** The server's I/O driver. */
  readonly driver: string;
  readonly server: 'source' | 'dist';
  readonly seconds: number;
  readonly connections: number;
  readonly load: LoadRun;
  /** When the client had every connection connected (ms since it started), if it did. */
  readonly readyMs: number | null;
  readonly rssBaselineKiB: number;
  readonly rssWarmKiB: number;
  /** When the warm-up sample was taken (ms since the client started). */
  readonly rssWarmAtMs: number;
  readonly rssEndKiB: number;
  readonly rssPeakKiB: number;
  /** After the client closed its connections and the fds settled. */
  readonly rssSettledKiB: number;
  /** Server fds after the priming run, before the soak. */
  readonly fdsBefore: number;
  readonly fdsPeak: number;
  readonly fdsAfter: number;
  /** How long the fds took to come back to `fdsBefore` (or how long they were given). */
  readonly fdsSettleMs: number;
  /** The server's CPU time over the run, as a share of one core. */
  readonly serverCpuPct: number;
  /** The server's exit code after SIGTERM (or the signal that ended it). */
  readonly serverExit: number | string;
  readonly serverStderr: string;
  readonly samples: readonly Sample[];
}

/** The site served: a few small files and one of 100 KiB; returns the URL paths requested, in turn. */
export function writeSite(root: string): string[] {
  const text = (line: string, n: number) => `${line}\n`.repeat(n);
  const files: Record<string, string | Buffer> = {
    'index.html': `<!doctype html>\n<html><head><title>zokio soak</title></head><body>\n${text('<p>soak</p>', 150)}</body></html>\n`,
    'style.css': text('body { color: #123; margin: 0 auto; }', 80),
    'app.js': text('export const zokio = () => "serves this line";', 150),
    'data.json': JSON.stringify({ zokio: true, items: Array.from({ length: 200 }, (_, i) => i) }),
    'small.txt': 'short\n',
    'assets/big.bin': randomBytes(100 * 1024),
  };
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), data);
  }
  return ['/', '/style.css', '/app.js', '/data.json', '/small.txt', '/assets/big.bin'];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`Expected VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** The process's user + system CPU time in clock ticks (USER_HZ, 100 per second on Linux). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** The hard `Max open files` limit of this process (its children's ceiling). */
function hardFdLimit(): number {
  const m = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m === null || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

interface Child {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<number | string>;
}

function start(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(file, args, { cwd: APP, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | string>((resolve) => {
    child.once('error', (e) => resolve(e.message));
    child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** The server, with its fd limit raised (`ulimit -Sn`) for `fds`; resolves once it printed its port. */
/** The server's I/O buffer pool cap during a soak (`ZOKIO_BUFFER_POOL_MAX_BYTES` overrides it): 256 MiB. */
export const SOAK_POOL_MAX_BYTES = 256 << 20;

async function startServer(options: SoakOptions, root: string, fds: number): Promise<{ server: Child; port: number }> {
  const main = options.server === 'dist' ? join(APP, 'dist', 'main.js') : join(APP, 'src', 'main.ts');
  if (!existsSync(main)) throw new Error(`Expected ${main}: build @zokio/serve first (pnpm build)`);
  const node = [
    process.execPath,
    ...(options.server === 'source' ? ['--conditions=@zokio/source', '--import', 'tsx'] : []),
    main,
    ...['--root', root, '--host', '127.0.0.1', '--port', '0', '--quiet'],
  ];
  const env = {
    // 10,000 requests in flight need more I/O buffers (statx, file reads, responses) than the runtime's default cap
    // of 64 MiB. At the cap ops wait in line for a buffer (back-pressure): every connection is still served, but
    // the tail latency (p99 ~5 s, max ~16 s) and the RSS (responses queue in the heap instead) grow past what the
    // soak accepts — see the README. The soak runs the server with a cap sized for its load, unless the caller sets
    // one (`ZOKIO_BUFFER_POOL_MAX_BYTES=67108864` to see the default).
    ZOKIO_BUFFER_POOL_MAX_BYTES: String(SOAK_POOL_MAX_BYTES),
    ...process.env,
    ...(options.driver === undefined ? {} : { ZOKIO_IO_DRIVER: options.driver }),
  };
  const server = start('/bin/sh', ['-c', `ulimit -Sn ${fds} && exec "$@"`, 'sh', ...node], env);
  for (const until = Date.now() + 30_000; ;) {
    const m = /^zokio-serve: serving .* at http:\/\/127\.0\.0\.1:(\d+)\/ /m.exec(server.stdout());
    if (m !== null) return { server, port: Number(m[1]) };
    if (server.child.exitCode !== null || Date.now() > until) {
      server.child.kill('SIGKILL');
      throw new Error(`Expected the server's URL line, got stdout ${server.stdout()} stderr ${server.stderr()}`);
    }
    await sleep(20);
  }
}

/** Runs the load client to its end: its ready line (if any) and result; `onReady` when the ready line comes. */
async function runClient(
  path: string,
  args: string[],
  limitMs: number,
  onReady: (ready: LoadReady) => void = () => undefined,
): Promise<{ ready?: LoadReady; run: LoadRun }> {
  const client = start(path, args, process.env);
  let ready: LoadReady | undefined;
  let buffered = '';
  client.child.stdout!.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0 && ready === undefined; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.includes('"ready"')) {
        ready = parseLoadReady(line);
        if (ready !== undefined) onReady(ready);
      }
    }
  });
  const timer = setTimeout(() => client.child.kill('SIGKILL'), limitMs);
  const code = await client.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`Expected the load client to exit 0, got ${code}: ${client.stderr().trim()}`);
  const lines = client.stdout().trim().split('\n');
  return { ...(ready === undefined ? {} : { ready }), run: parseLoadRun(lines[lines.length - 1]!) };
}

/** Polls `pid`'s fd count every 100 ms until it is at most `target` or `maxMs` passed: the count and the wait. */
async function settleFds(pid: number, target: number, maxMs: number): Promise<{ fds: number; ms: number }> {
  const t0 = Date.now();
  for (;;) {
    const fds = fdCount(pid);
    const ms = Date.now() - t0;
    if (fds <= target || ms >= maxMs) return { fds, ms };
    await sleep(100);
  }
}

/** Polls `pid`'s fd count until it stays the same for 500 ms (at most `maxMs`). */
async function steadyFds(pid: number, maxMs: number): Promise<number> {
  let last = fdCount(pid);
  for (let same = 0, t0 = Date.now(); same < 5 && Date.now() - t0 < maxMs;) {
    await sleep(100);
    const fds = fdCount(pid);
    same = fds === last ? same + 1 : 0;
    last = fds;
  }
  return last;
}

/** Runs the soak; throws only when it cannot run at all (no g++, the server does not start, priming fails). */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const { seconds, connections } = options;
  // What the server's `auto` (or the environment's ZOKIO_IO_DRIVER, or the option) picks.
  const driver = selectBackend(options.driver ?? 'auto', options.driver === undefined ? process.env : {}).name;
  const serverFds = connections + 256;
  const hard = hardFdLimit();
  if (hard < serverFds)
    throw new Error(`Expected a hard fd limit (ulimit -Hn) of at least ${serverFds} for the server, got ${hard}`);
  const client = prepareLoadClient();
  const base = mkdtempSync(join(tmpdir(), 'zokio-serve-soak-'));
  let server: Child | undefined;
  try {
    const paths = writeSite(base);
    const started = await startServer(options, base, serverFds);
    server = started.server;
    const pid = server.child.pid!;
    const { port } = started;

    // Priming: the runtime's lazily opened fds and the caches are in place before the baseline is taken.
    const priming = await runClient(
      client.path,
      loadArgs({ port, connections: Math.min(8, connections), seconds: 1, paths }),
      30_000,
    );
    if (priming.run.errors > 0 || priming.run.non2xx > 0 || priming.run.requests === 0)
      throw new Error(`Expected the priming run to get only 2xx answers, got ${JSON.stringify(priming.run)}`);
    const fdsBefore = await steadyFds(pid, 5_000);
    const rssBaselineKiB = rssKiB(pid);

    // The soak, sampled every second.
    const samples: Sample[] = [];
    let readyMs: number | null = null;
    const t0 = Date.now();
    const ticks0 = cpuTicks(pid);
    const sampler = setInterval(() => {
      let sample: Sample;
      try {
        sample = { t: Date.now() - t0, rssKiB: rssKiB(pid), fds: fdCount(pid) };
      } catch {
        return; // the server is gone: the client's errors and the exit code say so
      }
      samples.push(sample);
      options.onSample?.(sample);
    }, 1_000);
    let load: LoadRun;
    try {
      ({ run: load } = await runClient(
        client.path,
        loadArgs({ port, connections, seconds, paths }),
        (seconds + 60) * 1_000,
        () => (readyMs = Date.now() - t0),
      ));
    } finally {
      clearInterval(sampler);
    }
    const runMs = Date.now() - t0;
    const serverCpuPct = ((cpuTicks(pid) - ticks0) * 10 * 100) / runMs;

    const settled = await settleFds(pid, fdsBefore, FD_SETTLE_MS);
    const rssSettledKiB = rssKiB(pid);

    const during = samples.filter((s) => s.t <= seconds * 1_000);
    const warmAt = Math.max(WARMUP_FRACTION * seconds * 1_000, readyMs ?? 0);
    const warm = during.find((s) => s.t >= warmAt) ?? during[during.length - 1];
    const end = during[during.length - 1];

    server.child.kill('SIGTERM');
    const timer = setTimeout(() => server?.child.kill('SIGKILL'), 15_000);
    const serverExit = await server.exited;
    clearTimeout(timer);

    return {
      driver,
      server: options.server,
      seconds,
      connections,
      load,
      readyMs,
      rssBaselineKiB,
      rssWarmKiB: warm?.rssKiB ?? NaN,
      rssWarmAtMs: warm?.t ?? NaN,
      rssEndKiB: end?.rssKiB ?? NaN,
      rssPeakKiB: Math.max(...samples.map((s) => s.rssKiB)),
      rssSettledKiB,
      fdsBefore,
      fdsPeak: Math.max(...samples.map((s) => s.fds)),
      fdsAfter: settled.fds,
      fdsSettleMs: settled.ms,
      serverCpuPct,
      serverExit,
      serverStderr: server.stderr(),
      samples,
    };
  } finally {
    if (server !== undefined && server.child.exitCode === null && server.child.signalCode === null)
      server.child.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
  }
}

/** The RSS the end of the run may reach: warm × {@link RSS_GROWTH} + {@link RSS_SLACK_MIB} MiB, in KiB. */
export const rssLimitKiB = (report: SoakReport): number => report.rssWarmKiB * RSS_GROWTH + RSS_SLACK_MIB * 1024;

/** What broke the rules (see the module's comment); empty when the soak passed. */
export function soakFailures(r: SoakReport): string[] {
  const failures: string[] = [];
  const { load } = r;
  if (r.readyMs === null) failures.push(`Expected all ${r.connections} connections connected, got fewer`);
  if (load.connections !== r.connections)
    failures.push(`Expected ${r.connections} connections held at the end, got ${load.connections}`);
  if (load.requests === 0) failures.push('Expected requests served, got none');
  if (load.errors > 0)
    failures.push(
      `Expected no errors, got ${load.errors}: ${JSON.stringify(load.errorKinds)}; first: ${load.firstError}`,
    );
  if (load.non2xx > 0)
    failures.push(`Expected only 2xx answers, got ${load.non2xx} others: ${JSON.stringify(load.status)}`);
  if (!(r.rssEndKiB <= rssLimitKiB(r)))
    failures.push(
      `Expected RSS at the end ≤ ${mib(rssLimitKiB(r))} MiB (warm ${mib(r.rssWarmKiB)} MiB × ${RSS_GROWTH} + ${RSS_SLACK_MIB}), got ${mib(r.rssEndKiB)} MiB`,
    );
  if (r.fdsAfter > r.fdsBefore)
    failures.push(`Expected the server's fds back to ${r.fdsBefore} within ${FD_SETTLE_MS} ms, got ${r.fdsAfter}`);
  if (r.serverExit !== 0) failures.push(`Expected the server to exit 0 on SIGTERM, got ${r.serverExit}`);
  if (r.serverStderr !== '') {
    const lines = r.serverStderr.trimEnd().split('\n');
    failures.push(`Expected nothing on the server's stderr, got ${lines.length} lines, the first: ${lines[0]}`);
  }
  return failures;
}

const mib = (kib: number) => (kib / 1024).toFixed(1);
const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v >= 100 ? 0 : 1)} ms`);

/** The figures on one line (for CI logs and the README). */
export function formatSoak(r: SoakReport): string {
  const l = r.load;
  return (
    `soak: @zokio/serve (${r.server}) on ${r.driver}, ${l.connections.toLocaleString('en-US')} of ` +
    `${r.connections.toLocaleString('en-US')} connections held (all connected at ${r.readyMs === null ? '—' : ms(r.readyMs)}), ` +
    `${r.seconds} s: ${l.requests.toLocaleString('en-US')} requests, ${Math.round(l.rps).toLocaleString('en-US')}/s, ` +
    `latency p50 ${ms(l.p50Ms)} p99 ${ms(l.p99Ms)} max ${ms(l.maxMs)}, ${l.errors} errors, ${l.non2xx} non-2xx; ` +
    `RSS ${mib(r.rssBaselineKiB)} MiB before, ${mib(r.rssWarmKiB)} warm (at ${(r.rssWarmAtMs / 1000).toFixed(0)} s), ` +
    `${mib(r.rssEndKiB)} at the end (limit ${mib(rssLimitKiB(r))}), ${mib(r.rssPeakKiB)} peak, ` +
    `${mib(r.rssSettledKiB)} after; fds ${r.fdsBefore} before, ${r.fdsPeak} peak, ${r.fdsAfter} after ` +
    `(${r.fdsSettleMs} ms); server CPU ${r.serverCpuPct.toFixed(0)} %, client CPU ` +
    `${((l.cpuMs / l.runMs) * 100).toFixed(0)} %; server exit ${r.serverExit}`
  );
}
