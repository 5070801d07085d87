/**
 * The TCP scenarios' child: `node --expose-gc dist/net/bench.js <contender> <scenario> [--variant N] [--quick]`.
 * Unlike the other children it measures nothing itself: it starts the contender's server in a process of its own
 * (`zokio-server.ts`, `node-server.ts`) and the C++ load client (`client.ts`) in another, reads what they report,
 * and prints one {@link ChildResult} line, the same protocol as every other contender.
 *
 * - `tcp_echo`: the client runs `echo` with N connections (the variant): its warm-up, then its measured run.
 * - `conn_memory`: a warm-up of a few connections (opened, pinged, closed); once the server holds none, a memory
 *   sample; then the client opens and holds the connections idle; after `idleMs`, a second sample. The result is
 *   the growth divided by the connections the server holds.
 *
 * Every process started here is bounded in time and killed if this one exits for any reason; the server also
 * exits when its stdin closes, and the client dies with its parent, so a child killed by the runner's timeout
 * leaves nothing behind.
 *
 * @module
 */
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { parseChildArgs } from '../child-args.js';
import { childMain } from '../child-main.js';
import type { ChildResult } from '../protocol.js';
import { isNetScenario, NET_SCENARIOS, type NetScenarioName, type Params } from '../scenarios.js';
import {
  connectionsThatFit,
  echoArgs,
  holdArgs,
  openFilesLimit,
  parseEchoRun,
  parseHoldReady,
  prepareEchoClient,
  type HoldReady,
} from './client.js';
import type { ServerSample, ServerStats } from './server-control.js';

/** What the command line asks for. */
export interface NetArgs {
  readonly contender: string;
  readonly scenario: NetScenarioName;
  /** The connection count, for `tcp_echo`; absent for `conn_memory`. */
  readonly variant: number | undefined;
  readonly params: Params;
}

export const NET_USAGE = `usage: node <script>.js <contender> <${NET_SCENARIOS.join('|')}> [--variant N] [--quick]`;

/**
 * Reads `<contender> <scenario> [--variant N] [--quick]`. Throws an `Error` saying what was expected and what was
 * got: a contender the scenario does not run, a variant it lacks (or one it does not take).
 */
export function parseNetArgs(argv: readonly string[]): NetArgs {
  const { contender, scenario, variant, params } = parseChildArgs(argv, NET_SCENARIOS, isNetScenario);
  return { contender, scenario, variant, params };
}

/** The server's command line (after `node --expose-gc …`) for `contender`: its script and arguments. */
export function serverArgs(appDir: string, contender: string, backlog: number): string[] {
  if (contender === 'node:net') return [join(appDir, 'dist', 'net', 'node-server.js'), '--backlog', String(backlog)];
  const backend = /^zokio-(io_uring|epoll|js)$/.exec(contender)?.[1];
  if (backend === undefined) throw new Error(`Expected node:net or zokio-<backend>, got ${JSON.stringify(contender)}`);
  return [join(appDir, 'dist', 'net', 'zokio-server.js'), '--backend', backend, '--backlog', String(backlog)];
}

/** The listen backlog of every server: Linux caps it at `net.core.somaxconn` (4,096 by default). */
const BACKLOG = 4096;

/** Every process started here, killed if this one exits first. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => process.exit(1));

/**
 * A process started here: its stdout read line by line, its stderr kept (the tail, for errors). Killed if this
 * process exits first. The HTTP scenarios' child (`http/harness.ts`) starts its server and wrk with it too.
 */
export class Proc {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #name: string;
  readonly #lines: string[] = [];
  #waiting: (() => void) | undefined = undefined;
  #stderr = '';
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined = undefined;
  readonly #exited: Promise<void>;

  constructor(name: string, command: string, args: readonly string[]) {
    this.#name = name;
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = child;
    live.add(child);
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.#lines.push(line);
      this.#wake();
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (this.#stderr = (this.#stderr + text).slice(-4000)));
    // A write to a process that has gone is reported by its exit, not by an EPIPE here.
    child.stdin.on('error', () => {});
    this.#exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
        live.delete(child);
        this.#exit ??= { code, signal };
        if (error !== undefined) this.#stderr += `\n${error.message}`;
        this.#wake();
        resolve();
      };
      child.on('error', (error) => done(null, null, error));
      child.on('exit', (code, signal) => done(code, signal));
    });
  }

  /** Its process id, once started. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.();
  }

  #why(): string {
    const exit = this.#exit;
    const how =
      exit === undefined ? 'still running' : exit.signal === null ? `exit code ${exit.code}` : `signal ${exit.signal}`;
    const tail = this.#stderr.trim().split('\n').slice(-6).join(' ⏎ ');
    return `${this.#name} (${how})${tail === '' ? '' : `: ${tail}`}`;
  }

  /** The next line it prints, within `timeoutMs`. Throws if it exits or the time runs out first. */
  async nextLine(timeoutMs: number, what: string): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const line = this.#lines.shift();
      if (line !== undefined) return line;
      if (this.#exit !== undefined) throw new Error(`Expected ${what} from ${this.#why()}, got nothing`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`Expected ${what} within ${timeoutMs} ms from ${this.#why()}, got nothing`);
      const ac = new AbortController();
      await Promise.race([
        new Promise<void>((resolve) => (this.#waiting = resolve)),
        delay(left, undefined, { signal: ac.signal }).catch(() => {}),
      ]);
      ac.abort();
    }
  }

  /** Writes one line to its stdin. */
  send(line: string): void {
    this.#child.stdin.write(`${line}\n`);
  }

  /** Ends its stdin, waits up to `graceMs` for it to exit, then kills it. Resolves once it has exited. */
  async stop(graceMs: number): Promise<void> {
    this.#child.stdin.end();
    const ac = new AbortController();
    await Promise.race([this.#exited, delay(graceMs, undefined, { signal: ac.signal }).catch(() => {})]);
    ac.abort();
    if (this.#exit === undefined) {
      this.#child.kill('SIGKILL');
      await this.#exited;
    }
  }

  /** Waits up to `timeoutMs` for it to exit by itself; throws unless it exits with status 0. */
  async done(timeoutMs: number): Promise<void> {
    const ac = new AbortController();
    await Promise.race([this.#exited, delay(timeoutMs, undefined, { signal: ac.signal }).catch(() => {})]);
    ac.abort();
    if (this.#exit?.code !== 0) throw new Error(`Expected ${this.#why()} to exit with status 0 within ${timeoutMs} ms`);
  }
}

/** A server process: started, listening, and answering commands. */
class Server {
  readonly port: number;
  readonly #proc: Proc;

  private constructor(proc: Proc, port: number) {
    this.#proc = proc;
    this.port = port;
  }

  static async start(appDir: string, contender: string): Promise<Server> {
    const args = ['--expose-gc', '--max-old-space-size=4096', ...serverArgs(appDir, contender, BACKLOG)];
    const proc = new Proc(`the ${contender} server`, process.execPath, args);
    try {
      const line = await proc.nextLine(15_000, 'the port it listens on');
      const port = (JSON.parse(line) as { port?: unknown }).port;
      if (typeof port !== 'number') throw new Error(`Expected {"port":N} from the ${contender} server, got ${line}`);
      return new Server(proc, port);
    } catch (error) {
      await proc.stop(1_000);
      throw error;
    }
  }

  async #ask<T>(command: 'stats' | 'sample'): Promise<T> {
    this.#proc.send(command);
    const line = await this.#proc.nextLine(30_000, `the answer to ${command}`);
    const value = JSON.parse(line) as T & { error?: string };
    if (value.error !== undefined) throw new Error(`The server refused ${command}: ${value.error}`);
    return value;
  }

  stats(): Promise<ServerStats> {
    return this.#ask('stats');
  }

  sample(): Promise<ServerSample> {
    return this.#ask('sample');
  }

  /** Polls `stats` until `open` connections are left, within `timeoutMs`; returns the last stats. */
  async settle(open: number, timeoutMs: number): Promise<ServerStats> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const stats = await this.stats();
      if (stats.open === open || performance.now() > deadline) return stats;
      await delay(20);
    }
  }

  stop(): Promise<void> {
    return this.#proc.stop(5_000);
  }
}

/** Throws if the server counted a connection that ended in an error: the run did not measure what it says. */
function checkErrors(contender: string, stats: ServerStats): void {
  if (stats.errors > 0) {
    throw new Error(`The ${contender} server had ${stats.errors} connection error(s), the first: ${stats.firstError}`);
  }
}

/** The fd limit's note, when it allows fewer connections than the scenario's. */
function fdNote(connections: number, wanted: number, limit: number | undefined, headroom: number): string[] {
  if (connections === wanted) return [];
  return [
    `${connections.toLocaleString('en-US')} connections, not ${wanted.toLocaleString('en-US')}: the fd limit ` +
      `(RLIMIT_NOFILE, /proc/self/limits) is ${limit} per process, and the server and the client each hold one fd ` +
      `per connection (${headroom} kept free)`,
  ];
}

async function tcpEcho(appDir: string, clientPath: string, args: NetArgs): Promise<ChildResult> {
  const p = args.params.tcp_echo;
  const limit = openFilesLimit();
  const wanted = args.variant!;
  const connections = connectionsThatFit(wanted, limit, 64);
  const server = await Server.start(appDir, args.contender);
  try {
    const client = new Proc('the echo client', clientPath, echoArgs(server.port, connections, p));
    try {
      const bound = p.warmupMs + p.durationMs + 3 * p.timeoutMs;
      const run = parseEchoRun(await client.nextLine(bound, 'the result of its run'));
      await client.done(5_000);
      checkErrors(args.contender, await server.stats());
      const notes = fdNote(connections, wanted, limit, 64);
      return {
        contender: args.contender,
        scenario: args.scenario,
        variant: wanted,
        n: run.roundTrips,
        opsPerSec: run.roundTrips / (run.elapsedNs / 1e9),
        elapsedMs: run.elapsedNs / 1e6,
        roundTripMs: { median: run.p50Ns / 1e6, p99: run.p99Ns / 1e6, max: run.maxNs / 1e6 },
        clientCpu: run.cpuNs / run.elapsedNs,
        ...(notes.length === 0 ? {} : { note: notes.join('; ') }),
      };
    } finally {
      await client.stop(1_000);
    }
  } finally {
    await server.stop();
  }
}

/**
 * `line`, parsed as the hold client's ready line, while the server's stats are polled: if it fails, the error says
 * what the server held and had in flight last before the failure (once the client exits, its connections go).
 */
async function watching(server: Server, line: Promise<string>): Promise<HoldReady> {
  let last: ServerStats | undefined;
  let settled = false;
  const poll = (async () => {
    while (!settled) {
      await delay(250);
      if (!settled) last = await server.stats();
    }
  })();
  try {
    return parseHoldReady(await line);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const held =
      last === undefined
        ? ''
        : ` (the server last held ${last.open}${last.detail === undefined ? '' : `; ${last.detail}`})`;
    throw new Error(`${why}${held}`);
  } finally {
    settled = true;
    await poll.catch(() => {});
  }
}

async function connMemory(appDir: string, clientPath: string, args: NetArgs): Promise<ChildResult> {
  const p = args.params.conn_memory;
  const limit = openFilesLimit();
  const connections = connectionsThatFit(p.connections, limit, p.fdHeadroom);
  const server = await Server.start(appDir, args.contender);
  try {
    // Warm-up: a few connections through the whole path (accept, read, write, close), so its code is compiled and
    // the server's one-time structures exist before the first sample.
    const warm = { ...p, connections: [], warmupMs: 0, durationMs: 100, maxRoundTrips: 100_000 };
    const warmup = new Proc('the warm-up client', clientPath, echoArgs(server.port, p.warmupConnections, warm));
    try {
      parseEchoRun(await warmup.nextLine(p.timeoutMs + 5_000, 'the result of the warm-up'));
      await warmup.done(5_000);
    } finally {
      await warmup.stop(1_000);
    }
    const quiet = await server.settle(0, 5_000);
    if (quiet.open !== 0)
      throw new Error(`Expected the server to hold no connection after the warm-up, got ${quiet.open}`);
    const before = await server.sample();
    const client = new Proc('the hold client', clientPath, holdArgs(server.port, connections, p));
    try {
      const ready = await watching(server, client.nextLine(p.timeoutMs + 5_000, 'its connections established'));
      await delay(p.idleMs);
      const after = await server.sample();
      checkErrors(args.contender, after);
      if (after.open !== connections || ready.connections !== connections) {
        throw new Error(
          `Expected ${connections} connections held, got ${ready.connections} in the client and ${after.open} in ` +
            'the server',
        );
      }
      client.send('close');
      await client.done(10_000);
      const heap = (s: ServerSample) => s.heapUsed + s.external;
      const notes = [
        ...fdNote(connections, p.connections, limit, p.fdHeadroom),
        ...(after.detail === undefined ? [] : [`with the connections idle: ${after.detail}`]),
      ];
      return {
        contender: args.contender,
        scenario: args.scenario,
        n: connections,
        opsPerSec: connections / (ready.connectNs / 1e9),
        elapsedMs: ready.connectNs / 1e6,
        bytesPerConnection: (after.rss - before.rss) / connections,
        heapBytesPerConnection: (heap(after) - heap(before)) / connections,
        ...(notes.length === 0 ? {} : { note: notes.join('; ') }),
      };
    } finally {
      await client.stop(5_000);
    }
  } finally {
    await server.stop();
  }
}

/** Runs one contender on one TCP scenario; returns what it prints. */
export async function measure(appDir: string, args: NetArgs): Promise<ChildResult> {
  const client = prepareEchoClient(appDir);
  return args.scenario === 'tcp_echo'
    ? await tcpEcho(appDir, client.path, args)
    : await connMemory(appDir, client.path, args);
}

/** The entry point of the TCP scenarios' child: runs the contender asked for and prints its line. */
export function netMain(appDir: string): void {
  childMain({
    usage: NET_USAGE,
    parse: parseNetArgs,
    measure: (args) => measure(appDir, args),
    // The message alone: the runner keeps the last lines of stderr, and they should say what went wrong, not where.
    failure: 'message',
  });
}
