import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectionsThatFit,
  echoArgs,
  echoClientPath,
  holdArgs,
  parseEchoRun,
  parseHoldReady,
  parseOpenFilesLimit,
  prepareEchoClient,
} from '../src/net/client.js';
import { parseNetArgs, serverArgs } from '../src/net/harness.js';
import { parseChildResult, type ChildResult } from '../src/protocol.js';
import { charts, checkLimits, checkTargets, renderMarkdown } from '../src/report.js';
import { FULL, NET_CONTENDERS, NET_SCENARIOS, QUICK, SCENARIO_INFO, scenarioContenders } from '../src/scenarios.js';
import { formatLatency, summarizeScenario, type RunRecord } from '../src/stats.js';
import { recordOf, reportOf, scenarioReport, variantReports } from './report-fixtures.js';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));

describe('the TCP scenarios’ sizes and contenders', () => {
  it('pings over 1, 64 and 512 connections for about a second each, and 10,000 idle connections', () => {
    expect(FULL.tcp_echo).toMatchObject({ connections: [1, 64, 512], messageBytes: 64, durationMs: 1_000 });
    expect(FULL.conn_memory).toMatchObject({ connections: 10_000, messageBytes: 64 });
    expect(QUICK.tcp_echo.connections).toEqual([1, 64]);
    expect(QUICK.conn_memory.connections).toBe(1_000);
  });

  it('bounds every load by count and by time, the quick run more tightly', () => {
    for (const params of [FULL, QUICK]) {
      const e = params.tcp_echo;
      expect(e.warmupMs + e.durationMs).toBeLessThanOrEqual(1_500);
      expect(Number.isSafeInteger(e.maxRoundTrips)).toBe(true);
      expect(e.timeoutMs).toBeLessThanOrEqual(60_000);
      expect(params.conn_memory.timeoutMs).toBeLessThanOrEqual(60_000);
    }
    expect(QUICK.tcp_echo.durationMs).toBeLessThan(FULL.tcp_echo.durationMs);
    expect(QUICK.tcp_echo.maxRoundTrips).toBeLessThan(FULL.tcp_echo.maxRoundTrips);
  });

  it('divides by node:net, and checks only contenders that run', () => {
    for (const s of NET_SCENARIOS) {
      expect(scenarioContenders(s)[0]).toBe('node:net');
      expect(scenarioContenders(s)).toEqual(NET_CONTENDERS);
      for (const check of SCENARIO_INFO[s].checks ?? []) {
        expect(scenarioContenders(s)).toContain(check.contender);
        expect(scenarioContenders(s)).toContain(check.against);
        expect(FULL.tcp_echo.connections).toContain(check.variant);
      }
      for (const limit of SCENARIO_INFO[s].limits ?? []) expect(scenarioContenders(s)).toContain(limit.contender);
    }
    expect(SCENARIO_INFO.tcp_echo.checks?.map((c) => [c.variant, c.atLeast])).toEqual([
      [64, 1.3],
      [512, 1.3],
    ]);
    expect(SCENARIO_INFO.conn_memory.limits?.map((l) => l.atMostBytes)).toEqual([1024, 1024, 1024]);
    expect(SCENARIO_INFO.conn_memory.measures).toBe('memory');
  });

  it('labels the connection counts in headings and chart names', () => {
    const v = SCENARIO_INFO.tcp_echo.variants!;
    expect([v.label(1), v.label(512)]).toEqual(['1 connection', '512 connections']);
    expect(v.slug(64)).toBe('c64');
    expect(v.values(FULL)).toBe(FULL.tcp_echo.connections);
  });
});

describe('parseNetArgs', () => {
  it('reads the contender, the scenario, the connection count of tcp_echo and the size', () => {
    expect(parseNetArgs(['zokio-io_uring', 'tcp_echo', '--variant', '512'])).toMatchObject({
      contender: 'zokio-io_uring',
      scenario: 'tcp_echo',
      variant: 512,
      params: FULL,
    });
    const memory = parseNetArgs(['node:net', 'conn_memory', '--quick']);
    expect(memory).toMatchObject({ scenario: 'conn_memory', params: QUICK });
    expect(memory.variant).toBeUndefined();
  });

  it('refuses other scenarios and contenders, missing or foreign counts, and a count for conn_memory', () => {
    expect(() => parseNetArgs(['fs.read', 'tcp_echo', '--variant', '1'])).toThrow(/contender of tcp_echo/);
    expect(() => parseNetArgs(['node:net', 'small_files'])).toThrow(/scenario of tcp_echo, conn_memory/);
    expect(() => parseNetArgs(['node:net', 'tcp_echo'])).toThrow(/--variant to be one of 1, 64, 512/);
    expect(() => parseNetArgs(['node:net', 'tcp_echo', '--variant', '512', '--quick'])).toThrow(/one of 1, 64 /);
    expect(() => parseNetArgs(['node:net', 'conn_memory', '--variant', '1'])).toThrow(/no --variant/);
    expect(() => parseNetArgs(['node:net'])).toThrow(/Expected <contender> <scenario>/);
  });
});

describe('the servers and the load client’s command lines', () => {
  it('starts the node:net server or the zokio server on the contender’s backend', () => {
    expect(serverArgs('/app', 'node:net', 4096)).toEqual(['/app/dist/net/node-server.js', '--backlog', '4096']);
    expect(serverArgs('/app', 'zokio-epoll', 128)).toEqual([
      '/app/dist/net/zokio-server.js',
      '--backend',
      'epoll',
      '--backlog',
      '128',
    ]);
    expect(() => serverArgs('/app', 'zokio-kqueue', 1)).toThrow(/zokio-<backend>/);
  });

  it('tells the client the run’s sizes and bounds', () => {
    expect(echoArgs(4000, 64, FULL.tcp_echo)).toEqual([
      'echo',
      'port=4000',
      'connections=64',
      'bytes=64',
      'warmup-ms=300',
      'duration-ms=1000',
      'max-round-trips=2000000',
      'timeout-ms=20000',
    ]);
    expect(holdArgs(4000, 9_744, FULL.conn_memory)).toEqual([
      'hold',
      'port=4000',
      'connections=9744',
      'bytes=64',
      'timeout-ms=30000',
    ]);
  });

  it('caches the client under a name that changes with its source', () => {
    const a = echoClientPath('int main() {}', '/cache');
    expect(a).toMatch(/^\/cache\/echo-client-[0-9a-f]{12}$/);
    expect(echoClientPath('int main() {}', '/cache')).toBe(a);
    expect(echoClientPath('int main() { return 1; }', '/cache')).not.toBe(a);
  });
});

describe('what the client prints', () => {
  const echo = {
    connections: 64,
    roundTrips: 90_000,
    elapsedNs: 1e9,
    cpuNs: 6e8,
    warmupRoundTrips: 20_000,
    connectNs: 4e6,
    p50Ns: 650_000,
    p90Ns: 800_000,
    p99Ns: 1_400_000,
    p999Ns: 3_000_000,
    maxNs: 5_000_000,
  };

  it('reads an echo run, and refuses one with a field missing, negative, or no time', () => {
    expect(parseEchoRun(JSON.stringify(echo))).toEqual(echo);
    expect(() => parseEchoRun(JSON.stringify({ ...echo, p99Ns: undefined }))).toThrow(/with p99Ns/);
    expect(() => parseEchoRun(JSON.stringify({ ...echo, roundTrips: -1 }))).toThrow(/with roundTrips/);
    expect(() => parseEchoRun(JSON.stringify({ ...echo, elapsedNs: 0 }))).toThrow(/measured run of some length/);
    expect(() => parseEchoRun('echo-client: timed out')).toThrow(/as one JSON line/);
  });

  it('reads the hold client’s ready line', () => {
    expect(parseHoldReady('{"ready":true,"connections":10000,"connectNs":800000000}')).toEqual({
      ready: true,
      connections: 10_000,
      connectNs: 8e8,
    });
    expect(() => parseHoldReady('{"closed":true,"lost":0}')).toThrow(/ready/);
    expect(() => parseHoldReady('{"ready":true,"connections":"many","connectNs":1}')).toThrow(/with connections/);
  });
});

describe('the fd limit', () => {
  const limits = (soft: string, hard: string) =>
    'Limit                     Soft Limit           Hard Limit           Units     \n' +
    'Max cpu time              unlimited            unlimited            seconds   \n' +
    `Max open files            ${soft.padEnd(20)} ${hard.padEnd(20)} files     \n` +
    'Max locked memory         8388608              8388608              bytes     \n';

  it('reads the soft limit of /proc/self/limits', () => {
    expect(parseOpenFilesLimit(limits('20000', '20000'))).toBe(20_000);
    expect(parseOpenFilesLimit(limits('1024', '524288'))).toBe(1_024);
    expect(parseOpenFilesLimit(limits('unlimited', 'unlimited'))).toBe(Infinity);
    expect(parseOpenFilesLimit('Max cpu time unlimited unlimited seconds')).toBeUndefined();
  });

  it('fits as many connections as the limit leaves room for in each process, and says when none fit', () => {
    expect(connectionsThatFit(10_000, 20_000, 256)).toBe(10_000);
    expect(connectionsThatFit(10_000, 10_000, 256)).toBe(9_744);
    expect(connectionsThatFit(10_000, 1_024, 256)).toBe(768);
    expect(connectionsThatFit(10_000, undefined, 256)).toBe(10_000);
    expect(connectionsThatFit(10_000, Infinity, 256)).toBe(10_000);
    expect(() => connectionsThatFit(10_000, 200, 256)).toThrow(RangeError);
  });
});

describe('the child protocol of the TCP scenarios', () => {
  it('carries round-trip times, the client’s CPU and bytes per connection, and refuses malformed ones', () => {
    const echo: ChildResult = {
      contender: 'zokio-io_uring',
      scenario: 'tcp_echo',
      variant: 64,
      n: 90_000,
      opsPerSec: 90_000,
      elapsedMs: 1_000,
      roundTripMs: { median: 0.65, p99: 1.4, max: 5 },
      clientCpu: 0.6,
    };
    expect(parseChildResult(JSON.stringify({ ...echo, extra: 1 }))).toEqual(echo);
    const memory: ChildResult = {
      contender: 'node:net',
      scenario: 'conn_memory',
      n: 10_000,
      opsPerSec: 9_000,
      elapsedMs: 1_100,
      bytesPerConnection: 5_800,
      heapBytesPerConnection: 2_500,
    };
    expect(parseChildResult(JSON.stringify(memory))).toEqual(memory);
    expect(() => parseChildResult(JSON.stringify({ ...echo, roundTripMs: { median: 1 } }))).toThrow(/Expected/);
    expect(() => parseChildResult(JSON.stringify({ ...memory, bytesPerConnection: 'lots' }))).toThrow(/Expected/);
  });

  it('prints latencies in µs below a millisecond', () => {
    expect(formatLatency(0.0824)).toBe('82.4 µs');
    expect(formatLatency(0.9996)).toBe('1 ms');
    expect(formatLatency(12.34)).toBe('12.3 ms');
    expect(formatLatency(NaN)).toBe('–');
  });
});

describe('the report of the TCP scenarios', () => {
  const echo = (contender: string, variant: number, opsPerSec: number, median: number): RunRecord =>
    recordOf({
      contender,
      scenario: 'tcp_echo',
      variant,
      n: opsPerSec,
      opsPerSec,
      elapsedMs: 1_000,
      roundTripMs: { median, p99: median * 3, max: median * 10 },
      clientCpu: 0.55,
    });
  const echoRecords = [
    echo('node:net', 64, 80_000, 0.8),
    echo('zokio-io_uring', 64, 120_000, 0.53),
    echo('node:net', 512, 80_000, 6.4),
    echo('zokio-io_uring', 512, 96_000, 5.3),
  ];
  const contenders = ['node:net', 'zokio-io_uring'];
  const echoes = variantReports(echoRecords, 'tcp_echo', [64, 512], contenders, 'node:net');
  const memory = (contender: string, bytes: number, note?: string): RunRecord =>
    recordOf({
      contender,
      scenario: 'conn_memory',
      n: 9_744,
      opsPerSec: 10_000,
      elapsedMs: 974,
      bytesPerConnection: bytes,
      heapBytesPerConnection: bytes / 2,
      ...(note === undefined ? {} : { note }),
    });
  const memoryRecords: RunRecord[] = [
    memory('node:net', 5_836, 'fewer connections: the fd limit'),
    memory('zokio-epoll', 900),
    {
      scenario: 'conn_memory',
      contender: 'zokio-io_uring',
      round: 1,
      wallMs: 9,
      outcome: { ok: false, status: 'failed', message: 'echo-client: stalled' },
    },
  ];
  const connections = scenarioReport(
    memoryRecords,
    'conn_memory',
    ['node:net', 'zokio-io_uring', 'zokio-epoll'],
    'node:net',
  );
  const report = reportOf({
    command: 'node dist/run.js --scenario tcp_echo --scenario conn_memory',
    rounds: 3,
    contenders: [...NET_CONTENDERS],
    scenarios: [...echoes, connections],
    runs: [...echoRecords, ...memoryRecords],
    echoClient: {
      path: '/tmp/zokio-bench/echo-client-0123456789ab',
      compiled: true,
      compileMs: 1_500,
      command: 'g++ -O2 -std=c++17 -o /tmp/zokio-bench/echo-client-0123456789ab src/net/echo-client.cpp',
    },
  });
  const markdown = renderMarkdown(report);

  it('checks zokio against node:net at 64 and 512 connections', () => {
    expect(checkTargets(SCENARIO_INFO.tcp_echo.checks ?? [], echoes).map((r) => r.met)).toEqual([true, false]);
    expect(markdown).toContain('- zokio-io_uring ≥ 1.3× node:net at 64 connections: 1.50×, **met**');
    expect(markdown).toContain('- zokio-io_uring ≥ 1.3× node:net at 512 connections: 1.20×, **not met**');
  });

  it('shows each run’s round-trip times and the client’s CPU beside the rates', () => {
    expect(markdown).toContain('| × node:net (higher is faster) | median RTT | p99 RTT | client CPU | ok rounds |');
    expect(markdown).toMatch(
      /\| zokio-io_uring \| 120 k \| 120 k \| [^|]+ \| 1\.50× \| 530 µs \| 1\.59 ms \| 55 % \| 1\/1 \|/,
    );
    expect(markdown).toContain('| node:net | 80.0 k (baseline) | 80.0 k (baseline) |');
    expect(charts(report, echoes[1]!).map((c) => c.file)).toEqual(['tcp_echo-c512.svg']);
  });

  it("shows the median round trips per run of a time-bounded scenario, not its first round's", () => {
    // Three rounds of 1 s, each as many round trips as fitted: the first is not the typical one.
    const rounds = [70_000, 90_000, 80_000].map((n, i) => ({
      ...echo('node:net', 64, n, 0.8),
      round: i + 1,
    }));
    const [summary] = summarizeScenario(rounds, 'tcp_echo', ['node:net'], 'node:net', 64);
    expect(summary?.n).toBe(80_000);
    const table = renderMarkdown(
      reportOf({
        command: 'node dist/run.js --scenario tcp_echo',
        rounds: 3,
        contenders: ['node:net'],
        scenarios: [scenarioReport(rounds, 'tcp_echo', ['node:net'], 'node:net', 64, 3)],
        runs: rounds,
      }),
    );
    expect(table).toContain('| contender | median n per run | median round trips/s |');
    expect(table).toMatch(/\| node:net \| 80\.0 k \| 80\.0 k \| 70\.0 k – 90\.0 k \|/);
  });

  it('says which client ran and how it was built', () => {
    const line =
      'The load client: `/tmp/zokio-bench/echo-client-0123456789ab`, built by `g++ -O2 -std=c++17 -o ' +
      '/tmp/zokio-bench/echo-client-0123456789ab src/net/echo-client.cpp`, compiled by this run in 1500 ms.';
    expect(markdown.split(line)).toHaveLength(3);
  });

  it('tables bytes per connection against node:net, with a failed contender and the notes', () => {
    expect(markdown).toContain(
      '| contender | connections | median RSS growth per connection | min – max | × node:net (lower is leaner) |',
    );
    expect(markdown).toMatch(/\| node:net \| 9,744 \| 5\.70 KiB \| [^|]+ \| 1\.00× \| 2\.85 KiB \| 10\.0 k \| 1\/1 \|/);
    expect(markdown).toMatch(/\| zokio-epoll \| 9,744 \| 900 B \| [^|]+ \| 0\.15× \| 450 B \| 10\.0 k \| 1\/1 \|/);
    expect(markdown).toContain('| zokio-io_uring |  | failed (failed) |  | – |  |  | 0/1 |');
    expect(markdown).toContain('- **zokio-io_uring**, round 1: failed: echo-client: stalled');
    expect(markdown).toContain('- **node:net**: fewer connections: the fd limit');
  });

  it('checks the 1 KiB bound per connection: met, not met, or not measured', () => {
    const results = checkLimits(SCENARIO_INFO.conn_memory.limits ?? [], connections);
    expect(results.map((r) => r.met)).toEqual([undefined, true, undefined]);
    expect(markdown).toContain('- zokio-io_uring ≤ 1.00 KiB per connection: –, not measured');
    expect(markdown).toContain('- zokio-epoll ≤ 1.00 KiB per connection: 900 B, **met**');
    const fat = {
      ...connections,
      summaries: summarizeScenario([memory('zokio-epoll', 1_025)], 'conn_memory', ['zokio-epoll'], 'node:net'),
    };
    expect(checkLimits([{ contender: 'zokio-epoll', atMostBytes: 1024 }], fat)[0]?.met).toBe(false);
  });

  it('draws bytes per connection as the scenario’s chart', () => {
    const [chart] = charts(report, connections);
    expect(chart?.file).toBe('conn_memory.svg');
    expect(chart?.svg).toContain('5.70 KiB');
    expect(chart?.svg).toContain('0.15× node:net');
  });
});

/** An echo server in this process, for the client to talk to. */
function echoServer(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      socket.setNoDelay(true);
      socket.on('error', () => {});
      socket.pipe(socket);
    });
    server.on('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('no TCP address'));
      else resolve({ server, port: address.port });
    });
  });
}

/** Runs the client with `args`, writing `input` lines to it as `onLine` asks; resolves with its lines and status. */
function runClient(
  path: string,
  args: string[],
  onLine: (line: string, write: (text: string) => void) => void = () => {},
): Promise<{ lines: string[]; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      onLine(line, (text) => child.stdin.write(text));
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ lines, code, stderr });
    });
  });
}

describe('the load client', () => {
  const cache = mkdtempSync(join(tmpdir(), 'zokio-bench-client-'));
  let client = '';
  let server: Server | undefined;
  let port = 0;
  beforeAll(async () => {
    client = prepareEchoClient(APP_DIR, cache).path;
    ({ server, port } = await echoServer());
  }, 120_000);
  afterAll(() => {
    server?.close();
    rmSync(cache, { recursive: true, force: true });
  });

  it('is compiled once, then reused', () => {
    const again = prepareEchoClient(APP_DIR, cache);
    expect(again).toMatchObject({ path: client, compiled: false });
    expect(again.command).toMatch(/^g\+\+ -O2 -std=c\+\+17 -o /);
  });

  it('pings over every connection for the time it is given, and reports round trips and latencies', async () => {
    const p = { ...QUICK.tcp_echo, warmupMs: 20, durationMs: 100, maxRoundTrips: 1_000_000 };
    const { lines, code, stderr } = await runClient(client, echoArgs(port, 8, p));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const run = parseEchoRun(lines.at(-1)!);
    expect(run.connections).toBe(8);
    expect(run.roundTrips).toBeGreaterThan(8);
    expect(run.elapsedNs / 1e6).toBeGreaterThanOrEqual(99);
    expect(run.elapsedNs / 1e6).toBeLessThan(1_000);
    expect(run.p50Ns).toBeLessThanOrEqual(run.p99Ns);
    expect(run.p99Ns).toBeLessThanOrEqual(run.maxNs);
  });

  it('stops at the round-trip bound before the time bound', async () => {
    const p = { ...QUICK.tcp_echo, warmupMs: 0, durationMs: 60_000, maxRoundTrips: 500 };
    const start = performance.now();
    const { lines, code } = await runClient(client, echoArgs(port, 4, p));
    expect(code).toBe(0);
    expect(parseEchoRun(lines.at(-1)!).roundTrips).toBe(500);
    expect(performance.now() - start).toBeLessThan(10_000);
  });

  it('holds connections idle until told to close them', async () => {
    const { lines, code } = await runClient(client, holdArgs(port, 50, QUICK.conn_memory), (line, write) => {
      if (line.includes('"ready"')) write('close\n');
    });
    expect(code).toBe(0);
    expect(parseHoldReady(lines[0]!).connections).toBe(50);
    expect(JSON.parse(lines[1]!)).toEqual({ closed: true, lost: 0 });
  });

  it('fails, saying why, when nothing listens', async () => {
    const closed = await echoServer();
    await new Promise((resolve) => closed.server.close(resolve));
    const { code, stderr } = await runClient(client, echoArgs(closed.port, 1, QUICK.tcp_echo));
    expect(code).toBe(1);
    expect(stderr).toMatch(/echo-client: connect to 127\.0\.0\.1:\d+: Connection refused/);
  });
});
