/**
 * The HTTP scenarios' child: `node --expose-gc dist/http/bench.js <contender> http_hello|serve_static --variant N
 * [--quick]`. Like the TCP scenarios' child it measures nothing itself: it starts the contender's server in a
 * process of its own (`http_hello`: `zokio-server.ts`, `node-http-server.ts`, `node-net-server.ts`; `serve_static`:
 * `static-zokio-server.ts`, `static-node-server.ts`, serving the site `site.ts` writes into a temporary directory
 * first), checks its answer to one request, runs wrk against it twice — the warm-up, then the measured run, each a
 * fresh wrk — and prints one {@link ChildResult} line, the same protocol as every other contender. `http_hello`'s
 * variant is wrk's connection count; `serve_static`'s is the file it requests (its size in KiB: `site.ts`).
 *
 * Where the machine lets this process use two CPUs or more, the server is pinned to the first and wrk to the second
 * (`taskset -c`), so that neither takes the other's core. The server's CPU time over the measured run is read from
 * `/proc/<pid>/stat` before and after it; wrk reads its own (see `wrk.ts`).
 *
 * Every process started here is bounded in time and killed if this one exits for any reason (`Proc`, shared with
 * the TCP scenarios); the server also exits when its stdin closes.
 *
 * @module
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { parseChildArgs } from '../child-args.js';
import { childMain } from '../child-main.js';
import { Proc } from '../net/harness.js';
import type { ServerStats } from '../net/server-control.js';
import type { ChildResult } from '../protocol.js';
import { HTTP_SCENARIOS, isHttpScenario, type HttpLoad, type HttpScenarioName, type Params } from '../scenarios.js';
import { checkHelloResponse, type HelloCheck } from './hello.js';
import { clockTicks, cpuTicksOf, onCpu, pinning as planned } from './pinning.js';
import { checkFileResponse, makeSite, serveTarget, siteFile, type FileCheck } from './site.js';
import {
  findWrk,
  parseWrkRun,
  prepareWrkScript,
  socketErrors,
  WRK_LINE,
  wrkArgs,
  type WrkInfo,
  type WrkRun,
} from './wrk.js';

/** What the command line asks for. */
export interface HttpArgs {
  readonly contender: string;
  readonly scenario: HttpScenarioName;
  /** `--variant`: the connection count (`http_hello`), or the size in KiB of the file requested (`serve_static`). */
  readonly variant: number;
  /** wrk's connection count. */
  readonly connections: number;
  /** The URL path wrk requests: `/`, or the file's (`serve_static`). */
  readonly path: string;
  readonly params: Params;
}

export const HTTP_USAGE = `usage: node <script>.js <contender> <${HTTP_SCENARIOS.join('|')}> --variant N [--quick]`;

/**
 * Reads `<contender> <scenario> --variant N [--quick]`. Throws an `Error` saying what was expected and what was got:
 * a contender the scenario does not run, a connection count it does not measure.
 */
export function parseHttpArgs(argv: readonly string[]): HttpArgs {
  const { contender, scenario, variant, params } = parseChildArgs(argv, HTTP_SCENARIOS, isHttpScenario);
  if (scenario === 'http_hello')
    return { contender, scenario, variant: variant!, connections: variant!, path: '/', params };
  const { url } = serveTarget(variant!);
  return { contender, scenario, variant: variant!, connections: params.serve_static.connections, path: url, params };
}

/** How wrk loads the server in `args`' scenario. */
export function loadOf(args: Pick<HttpArgs, 'scenario' | 'params'>): HttpLoad {
  return args.params[args.scenario];
}

/**
 * The server's command line (after `node --expose-gc …`) for `contender`: its script and arguments. With `site`,
 * a static file server of `serve_static` serving that directory; without, a server of `http_hello`.
 */
export function serverArgs(appDir: string, contender: string, backlog: number, site?: string): string[] {
  const dist = join(appDir, 'dist', 'http');
  if (site !== undefined) return staticServerArgs(dist, contender, backlog, site);
  if (contender === 'node:http') return [join(dist, 'node-http-server.js'), '--backlog', String(backlog)];
  if (contender === 'node:net') return [join(dist, 'node-net-server.js'), '--backlog', String(backlog)];
  const backend = /^zokio-(io_uring|epoll|js)$/.exec(contender)?.[1];
  if (backend === undefined) {
    throw new Error(`Expected node:http, node:net or zokio-<backend>, got ${JSON.stringify(contender)}`);
  }
  return [join(dist, 'zokio-server.js'), '--backend', backend, '--backlog', String(backlog)];
}

/** The static file servers' command lines: `node:http+fs`, `sirv`, `serve-static` or `zokio-<backend>`. */
function staticServerArgs(dist: string, contender: string, backlog: number, site: string): string[] {
  const common = ['--root', site, '--backlog', String(backlog)];
  const handler = { 'node:http+fs': 'fs', sirv: 'sirv', 'serve-static': 'serve-static' }[contender];
  if (handler !== undefined) return [join(dist, 'static-node-server.js'), '--handler', handler, ...common];
  const backend = /^zokio-(io_uring|epoll|js)$/.exec(contender)?.[1];
  if (backend === undefined) {
    throw new Error(`Expected node:http+fs, sirv, serve-static or zokio-<backend>, got ${JSON.stringify(contender)}`);
  }
  return [join(dist, 'static-zokio-server.js'), '--backend', backend, ...common];
}

/** The listen backlog of every server: Linux caps it at `net.core.somaxconn` (4,096 by default). */
const BACKLOG = 4096;

/**
 * Where a response that `received` holds the start of ends: `undefined` until its head is whole, then the head's
 * end plus its `content-length`. Throws for a whole head without a `content-length`: every server here frames its
 * bodies by length, and the check reads no other framing.
 */
export function responseEnd(received: Buffer): number | undefined {
  const end = received.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const head = received.toString('latin1', 0, end);
  const length = /\r\ncontent-length:[ \t]*(\d+)[ \t]*(?:\r\n|$)/i.exec(head)?.[1];
  if (length === undefined) throw new Error(`Expected a content-length header, got the head ${JSON.stringify(head)}`);
  return end + 4 + Number(length);
}

/** Sends one `GET <path>` (no `Accept-Encoding`) to `port`, reads the whole response, and checks it. */
function askOnce<C>(port: number, path: string, timeoutMs: number, check: (raw: Buffer) => C): Promise<C> {
  const what = `GET ${path}`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let received = 0;
    const got = () => JSON.stringify(Buffer.concat(chunks).toString('latin1', 0, 300));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`Expected a response to ${what} within ${timeoutMs} ms, got ${received} bytes: ${got()}`));
    }, timeoutMs);
    let finished = false;
    const finish = (error: Error | undefined, result?: C) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      if (error === undefined) resolve(result!);
      else reject(error);
    };
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      try {
        const end = responseEnd(chunks.length === 1 ? chunk : Buffer.concat(chunks));
        if (end === undefined || received < end) return;
        finish(undefined, check(Buffer.concat(chunks)));
      } catch (error) {
        finish(new Error(`The server's answer to ${what}: ${error instanceof Error ? error.message : String(error)}`));
      }
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', () =>
      finish(new Error(`Expected a whole response to ${what}, got ${received} bytes: ${got()}`)),
    );
  });
}

/** A server process: started (pinned, where it can be), listening, and answering `stats`. */
class Server {
  readonly port: number;
  readonly pid: number;
  readonly #proc: Proc;

  private constructor(proc: Proc, port: number, pid: number) {
    this.#proc = proc;
    this.port = port;
    this.pid = pid;
  }

  static async start(appDir: string, contender: string, cpu: number | undefined, site?: string): Promise<Server> {
    const args = ['--expose-gc', '--max-old-space-size=4096', ...serverArgs(appDir, contender, BACKLOG, site)];
    const proc = new Proc(`the ${contender} server`, ...onCpu(cpu, process.execPath, args));
    try {
      const line = await proc.nextLine(15_000, 'the port it listens on');
      const port = (JSON.parse(line) as { port?: unknown }).port;
      if (typeof port !== 'number') throw new Error(`Expected {"port":N} from the ${contender} server, got ${line}`);
      const pid = proc.pid;
      if (pid === undefined) throw new Error(`Expected the ${contender} server to have a process id, got none`);
      return new Server(proc, port, pid);
    } catch (error) {
      await proc.stop(1_000);
      throw error;
    }
  }

  async stats(): Promise<ServerStats> {
    this.#proc.send('stats');
    const line = await this.#proc.nextLine(10_000, 'the answer to stats');
    return JSON.parse(line) as ServerStats;
  }

  stop(): Promise<void> {
    return this.#proc.stop(5_000);
  }
}

/** Runs wrk once for `seconds` against `port`; returns what its hook printed. Throws if it fails or says nothing. */
async function runWrk(
  wrk: WrkInfo,
  script: string,
  cpu: number | undefined,
  port: number,
  args: HttpArgs,
  seconds: number,
  what: string,
): Promise<WrkRun> {
  const p = loadOf(args);
  const command = wrkArgs(port, args.connections, seconds, p, script, args.path);
  const proc = new Proc(`wrk (${what})`, ...onCpu(cpu, wrk.path, command));
  try {
    // wrk prints its summary, then the hook's line; everything before it is skipped.
    const bound = (seconds + p.timeoutS + 15) * 1000;
    const deadline = performance.now() + bound;
    for (;;) {
      const line = await proc.nextLine(Math.max(1, deadline - performance.now()), `the ${WRK_LINE.trim()} line`);
      if (line.startsWith(WRK_LINE)) {
        await proc.done(5_000);
        return parseWrkRun(line);
      }
    }
  } finally {
    await proc.stop(1_000);
  }
}

/** Throws if wrk got error responses or none at all: the run did not measure what it says. */
function checkRun(contender: string, run: WrkRun, what: string): void {
  if (run.statusErrors > 0) {
    throw new Error(
      `wrk's ${what} got ${run.statusErrors} non-2xx/3xx responses of ${run.requests} from the ${contender} server`,
    );
  }
  if (run.requests === 0) throw new Error(`wrk's ${what} got no response from the ${contender} server`);
}

/** Runs one contender at one variant; returns what it prints. */
export async function measure(appDir: string, args: HttpArgs): Promise<ChildResult> {
  // `serve_static`: the site, written before the server starts and removed once it has stopped.
  const site = args.scenario === 'serve_static' ? makeSite() : undefined;
  try {
    return await measureIn(appDir, args, site?.dir);
  } finally {
    site?.remove();
  }
}

/** What the response check found, in words, for the result's note. */
function describeCheck(check: HelloCheck | FileCheck): string {
  if (!('headBytes' in check)) return `each response ${check.bytes} bytes`;
  const type = check.headers['content-type'] ?? '';
  return `each response ${check.bytes.toLocaleString('en-US')} bytes, its head ${check.headBytes} (${type})`;
}

async function measureIn(appDir: string, args: HttpArgs, site: string | undefined): Promise<ChildResult> {
  const p = loadOf(args);
  const wrk = findWrk();
  const script = prepareWrkScript();
  const pinning = planned();
  const ticks = clockTicks();
  const server = await Server.start(appDir, args.contender, pinning.pinned ? pinning.server : undefined, site);
  try {
    const target = args.scenario === 'serve_static' ? serveTarget(args.variant).file : undefined;
    const body = target === undefined ? undefined : siteFile(target);
    const check: HelloCheck | FileCheck = await askOnce(server.port, args.path, 5_000, (raw) =>
      target === undefined ? checkHelloResponse(raw.toString('latin1')) : checkFileResponse(raw, target, body!),
    );
    const wrkCpu = pinning.pinned ? pinning.wrk : undefined;
    const warm = await runWrk(wrk, script, wrkCpu, server.port, args, p.warmupS, 'warm-up');
    checkRun(args.contender, warm, 'warm-up');
    const before = cpuTicksOf(server.pid);
    const run = await runWrk(wrk, script, wrkCpu, server.port, args, p.durationS, 'measured run');
    const serverTicks = cpuTicksOf(server.pid) - before;
    checkRun(args.contender, run, 'measured run');
    const stats = await server.stats();
    const seconds = run.durationUs / 1e6;
    const serverSeconds = serverTicks / ticks;
    const errors = socketErrors(run);
    const notes = [
      describeCheck(check),
      ...(pinning.pinned ? [] : [`server and wrk not pinned: ${pinning.why}`]),
      ...(errors === undefined ? [] : [`wrk's measured run counted ${errors}`]),
      ...(stats.errors === 0
        ? []
        : [`the server counted ${stats.errors} error(s) by the end of the run, the first: ${stats.firstError}`]),
    ];
    return {
      contender: args.contender,
      scenario: args.scenario,
      variant: args.variant,
      n: run.requests,
      opsPerSec: run.requests / seconds,
      elapsedMs: run.durationUs / 1e3,
      roundTripMs: { median: run.p50Us / 1e3, p99: run.p99Us / 1e3, max: run.maxUs / 1e3 },
      ...(run.cpuTicks < 0 ? {} : { clientCpu: run.cpuTicks / ticks / seconds }),
      serverCpu: serverSeconds / seconds,
      serverCpuNsPerOp: (serverSeconds * 1e9) / run.requests,
      note: notes.join('; '),
    };
  } finally {
    await server.stop();
  }
}

/** The entry point of the HTTP scenarios' child: runs the contender asked for and prints its line. */
export function httpMain(appDir: string): void {
  childMain({
    usage: HTTP_USAGE,
    parse: parseHttpArgs,
    measure: (args) => measure(appDir, args),
    // The message alone: the runner keeps the last lines of stderr, and they should say what went wrong, not where.
    failure: 'message',
  });
}
