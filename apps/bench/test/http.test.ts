import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHttpArgs, serverArgs } from '../src/http/harness.js';
import {
  checkHelloResponse,
  clientGone,
  HeadCounter,
  HELLO_BODY,
  helloResponse,
  HelloResponse,
} from '../src/http/hello.js';
import { describePinning, parseCpuList, parseStatTicks, planPinning } from '../src/http/pinning.js';
import {
  findWrk,
  parseWrkRun,
  prepareWrkScript,
  socketErrors,
  WRK_LINE,
  WRK_REPORT_SCRIPT,
  wrkArgs,
  wrkPath,
  wrkScriptPath,
  type WrkRun,
} from '../src/http/wrk.js';
import { parseChildResult, type ChildResult } from '../src/protocol.js';
import { charts, checkTargets, renderMarkdown } from '../src/report.js';
import {
  FULL,
  HTTP_CONTENDERS,
  HTTP_SCENARIOS,
  isHttpScenario,
  QUICK,
  SCENARIO_INFO,
  SCENARIOS,
  scenarioContenders,
} from '../src/scenarios.js';
import { recordOf, reportOf, variantReports } from './report-fixtures.js';

describe('the HTTP scenario’s sizes and contenders', () => {
  it('loads with one wrk thread and 50 and 256 connections: 1 s of warm-up, then 5 s (2 s when quick)', () => {
    expect(HTTP_SCENARIOS).toEqual(['http_hello', 'serve_static']);
    expect(SCENARIOS).toContain('http_hello');
    expect(isHttpScenario('http_hello')).toBe(true);
    expect(isHttpScenario('tcp_echo')).toBe(false);
    expect(FULL.http_hello).toEqual({ connections: [50, 256], threads: 1, warmupS: 1, durationS: 5, timeoutS: 2 });
    expect(QUICK.http_hello).toMatchObject({ connections: [50, 256], threads: 1, warmupS: 1, durationS: 2 });
  });

  it('stays bounded: about 2–3 minutes in full, under 40 s quick (8 children, each ~1 s more than its wrk runs)', () => {
    const children = HTTP_CONTENDERS.length * FULL.http_hello.connections.length;
    const rounds = SCENARIO_INFO.http_hello.rounds!;
    const seconds = (p: typeof FULL.http_hello) => p.warmupS + p.durationS + 1;
    expect(children * rounds * seconds(FULL.http_hello)).toBeLessThanOrEqual(180);
    expect(children * seconds(QUICK.http_hello)).toBeLessThan(40);
  });

  it('divides by node:http, and by the node:net server beside it; checks zokio at both counts', () => {
    expect(scenarioContenders('http_hello')).toEqual(['node:http', 'node:net', 'zokio-io_uring', 'zokio-epoll']);
    expect(SCENARIO_INFO.http_hello.alsoAgainst).toBe('node:net');
    for (const check of SCENARIO_INFO.http_hello.checks ?? []) {
      expect(HTTP_CONTENDERS).toContain(check.contender);
      expect(HTTP_CONTENDERS).toContain(check.against);
      expect(FULL.http_hello.connections).toContain(check.variant);
    }
    expect(SCENARIO_INFO.http_hello.checks?.map((c) => [c.against, c.variant, c.atLeast])).toEqual([
      ['node:http', 50, 1.8],
      ['node:http', 256, 1.8],
      ['node:net', 50, 1.1],
      ['node:net', 256, 1.1],
    ]);
    const v = SCENARIO_INFO.http_hello.variants!;
    expect([v.label(50), v.slug(256)]).toEqual(['50 connections', 'c256']);
  });
});

describe('parseHttpArgs and the servers’ command lines', () => {
  it('reads the contender, the connection count and the size', () => {
    expect(parseHttpArgs(['node:http', 'http_hello', '--variant', '256'])).toMatchObject({
      contender: 'node:http',
      scenario: 'http_hello',
      connections: 256,
      params: FULL,
    });
    expect(parseHttpArgs(['zokio-epoll', 'http_hello', '--variant', '50', '--quick']).params).toBe(QUICK);
  });

  it('refuses other scenarios and contenders, and counts it does not measure', () => {
    expect(() => parseHttpArgs(['zokio-js', 'http_hello', '--variant', '50'])).toThrow(/contender of http_hello/);
    expect(() => parseHttpArgs(['node:net', 'tcp_echo', '--variant', '64'])).toThrow(/scenario of http_hello/);
    expect(() => parseHttpArgs(['node:net', 'http_hello'])).toThrow(/--variant to be one of 50, 256/);
  });

  it('starts the node:http, node:net or zokio server, on the contender’s backend', () => {
    expect(serverArgs('/app', 'node:http', 4096)).toEqual(['/app/dist/http/node-http-server.js', '--backlog', '4096']);
    expect(serverArgs('/app', 'node:net', 4096)).toEqual(['/app/dist/http/node-net-server.js', '--backlog', '4096']);
    expect(serverArgs('/app', 'zokio-io_uring', 128)).toEqual([
      '/app/dist/http/zokio-server.js',
      '--backend',
      'io_uring',
      '--backlog',
      '128',
    ]);
    expect(() => serverArgs('/app', 'zokio-kqueue', 1)).toThrow(/zokio-<backend>/);
  });
});

describe('the minimal node:net server’s parts', () => {
  const date = 'Mon, 07 Dec 2026 02:40:50 GMT';

  it('answers with the bytes @zokio/http writes: status line, date, content-type, content-length, body', () => {
    expect(helloResponse(date)).toBe(
      `HTTP/1.1 200 OK\r\ndate: ${date}\r\ncontent-type: text/plain\r\ncontent-length: 13\r\n\r\nHello, World!`,
    );
    expect(checkHelloResponse(helloResponse(date))).toMatchObject({ bytes: 115, headers: { date } });
  });

  it('formats the date once a second, and repeats the response for pipelined requests', () => {
    const hello = new HelloResponse();
    const t = Date.parse(date);
    const first = hello.bytes(t + 100);
    expect(hello.bytes(t + 900)).toBe(first);
    expect(first.toString('latin1')).toBe(helloResponse(date));
    expect(hello.bytes(t + 1_000).toString('latin1')).toContain('02:40:51 GMT');
    expect(hello.repeated(3, t).toString('latin1')).toBe(helloResponse(date).repeat(3));
  });

  it('counts complete request heads: pipelined ones each, a split one once whole', () => {
    const get = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
    const heads = new HeadCounter();
    expect(heads.push(Buffer.from(get))).toBe(1);
    expect(heads.pending).toBe(0);
    expect(heads.push(Buffer.from(get + get + get.slice(0, 20)))).toBe(2);
    expect(heads.pending).toBe(20);
    expect(heads.push(Buffer.from(get.slice(20, -2)))).toBe(0);
    expect(heads.push(Buffer.from('\r\n'))).toBe(1);
    expect(heads.pending).toBe(0);
    const small = new HeadCounter(16);
    expect(small.push(Buffer.from('GET / HTTP/1.1\r\nHost: a-long-header'))).toBe(-1);
  });

  it('takes a reset or a broken pipe as the client gone, not as an error', () => {
    expect(clientGone(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(clientGone(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).toBe(true);
    expect(clientGone(new Error('parse error'))).toBe(false);
    expect(clientGone(null)).toBe(false);
  });

  it('refuses an answer that is not the hello response, saying what differs', () => {
    const chunked =
      'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nDate: Mon, 07 Dec 2026 02:40:50 GMT\r\n' +
      'Transfer-Encoding: chunked\r\n\r\nd\r\nHello, World!\r\n0\r\n\r\n';
    expect(() => checkHelloResponse(chunked)).toThrow(/content-length: 13/);
    expect(() => checkHelloResponse(helloResponse(date).replace('200 OK', '404 Not Found'))).toThrow(/status line/);
    expect(() => checkHelloResponse(helloResponse(date).replace(`date: ${date}\r\n`, ''))).toThrow(/date header/);
    expect(() => checkHelloResponse(helloResponse(date).replace('World', 'world'))).toThrow(/body/);
    expect(() => checkHelloResponse('HTTP/1.1 200 OK\r\n')).toThrow(/empty line/);
    // Node's own head, with its keep-alive fields and a length: accepted.
    const node =
      'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 13\r\nDate: Mon, 07 Dec 2026 02:40:50 GMT\r\n' +
      `Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n${HELLO_BODY}`;
    expect(checkHelloResponse(node).headers['keep-alive']).toBe('timeout=5');
  });
});

describe('pinning and CPU time', () => {
  it('reads CPU lists', () => {
    expect(parseCpuList('0-1')).toEqual([0, 1]);
    expect(parseCpuList('0,2-4,7\n')).toEqual([0, 2, 3, 4, 7]);
    expect(() => parseCpuList('zero')).toThrow(/CPU list/);
  });

  it('pins the server to the first CPU and wrk to the second, or says why not', () => {
    expect(planPinning([0, 1], true)).toEqual({ pinned: true, server: 0, wrk: 1 });
    expect(planPinning([2, 3, 5], true)).toEqual({ pinned: true, server: 2, wrk: 3 });
    expect(planPinning([0], true)).toMatchObject({ pinned: false, why: expect.stringMatching(/only CPU 0/) });
    expect(planPinning([0, 1], false)).toMatchObject({ pinned: false, why: expect.stringMatching(/taskset/) });
    expect(describePinning({ pinned: true, server: 0, wrk: 1 })).toBe(
      'the server on CPU 0, wrk on CPU 1 (`taskset -c`)',
    );
  });

  it('reads utime + stime of /proc/<pid>/stat, a command with spaces and parentheses included', () => {
    const fields = (comm: string) =>
      `1234 (${comm}) S 1 1234 1234 0 -1 4194560 500 0 0 0 37 12 0 0 20 0 11 0 100 1000000 5000`;
    expect(parseStatTicks(fields('node'))).toBe(49);
    expect(parseStatTicks(fields('a (b) c'))).toBe(49);
    expect(parseStatTicks(readFileSync('/proc/self/stat', 'utf8'))).toBeGreaterThanOrEqual(0);
    expect(() => parseStatTicks('garbage')).toThrow(/utime and stime/);
  });
});

describe('wrk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zokio-bench-wrk-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is looked for at $WRK, on PATH, then in /usr/bin, and its absence says to install it', () => {
    const fake = join(dir, 'wrk');
    writeFileSync(fake, '#!/bin/sh\necho "wrk 9.9 [fake] Copyright (C) 2012 Will Glozer"\nexit 1\n');
    chmodSync(fake, 0o755);
    expect(wrkPath({ PATH: `/nonexistent:${dir}` }, [])).toBe(fake);
    expect(wrkPath({ WRK: fake, PATH: '' }, [])).toBe(fake);
    expect(findWrk({ WRK: fake })).toEqual({ path: fake, version: 'wrk 9.9 [fake]' });
    expect(() => wrkPath({ PATH: '/nonexistent' }, ['/also-nonexistent'])).toThrow(/apt-get install wrk/);
    expect(() => wrkPath({ WRK: join(dir, 'none') })).toThrow(/WRK=.*apt-get install wrk/);
  });

  it('runs one thread, N connections, whole seconds, with latencies and the report hook', () => {
    expect(wrkArgs(8080, 256, 5, FULL.http_hello, '/s.lua')).toEqual([
      '-t1',
      '-c256',
      '-d5s',
      '--timeout',
      '2s',
      '--latency',
      '-s',
      '/s.lua',
      'http://127.0.0.1:8080/',
    ]);
    expect(() => wrkArgs(8080, 50, 0.5, FULL.http_hello, '/s.lua')).toThrow(RangeError);
  });

  it('keeps its hook under a name that changes with the script', () => {
    const path = prepareWrkScript(dir);
    expect(path).toBe(wrkScriptPath(dir));
    expect(path).toMatch(/wrk-report-[0-9a-f]{12}\.lua$/);
    expect(readFileSync(path, 'utf8')).toBe(WRK_REPORT_SCRIPT);
    expect(prepareWrkScript(dir)).toBe(path);
  });

  const run: WrkRun = {
    requests: 100_000,
    durationUs: 5_000_000,
    bytes: 11_500_000,
    connectErrors: 0,
    readErrors: 2,
    writeErrors: 0,
    statusErrors: 0,
    timeouts: 1,
    p50Us: 1_500,
    p99Us: 4_000,
    maxUs: 20_000,
    meanUs: 1_612.5,
    cpuTicks: 180,
  };

  it('reads the hook’s line after wrk’s own summary, and refuses a line with a field missing', () => {
    const output = `Running 5s test @ http://127.0.0.1:8080/\n  100000 requests in 5.00s\n${WRK_LINE}${JSON.stringify(run)}\n`;
    expect(parseWrkRun(output)).toEqual(run);
    expect(() => parseWrkRun('Running 5s test')).toThrow(/ZOKIO_WRK line/);
    expect(() => parseWrkRun(`${WRK_LINE}${JSON.stringify({ ...run, p99Us: undefined })}`)).toThrow(/p99Us/);
    expect(() => parseWrkRun(`${WRK_LINE}${JSON.stringify({ ...run, durationUs: 0 })}`)).toThrow(/some length/);
    expect(parseWrkRun(`${WRK_LINE}${JSON.stringify({ ...run, cpuTicks: -1 })}`).cpuTicks).toBe(-1);
  });

  it('says which socket errors a run had', () => {
    expect(socketErrors(run)).toBe('2 read errors, 1 timeout');
    expect(socketErrors({ ...run, readErrors: 0, timeouts: 0 })).toBeUndefined();
  });
});

describe('the report of the HTTP scenario', () => {
  const hello = (contender: string, variant: number, opsPerSec: number, nsPerRequest: number): ChildResult => ({
    contender,
    scenario: 'http_hello',
    variant,
    n: opsPerSec * 5,
    opsPerSec,
    elapsedMs: 5_000,
    roundTripMs: { median: 1.2, p99: 3.5, max: 12 },
    clientCpu: 0.4,
    serverCpu: 0.98,
    serverCpuNsPerOp: nsPerRequest,
    note: 'each response 115 bytes',
  });

  it('carries the server’s CPU per request and share of a core, and refuses malformed ones', () => {
    const line = hello('zokio-io_uring', 50, 40_000, 24_500);
    expect(parseChildResult(JSON.stringify(line))).toEqual(line);
    expect(() => parseChildResult(JSON.stringify({ ...line, serverCpu: 'busy' }))).toThrow(/Expected/);
    expect(() => parseChildResult(JSON.stringify({ ...line, serverCpuNsPerOp: null }))).toThrow(/Expected/);
  });

  const records = [
    hello('node:http', 50, 20_000, 49_000),
    hello('node:net', 50, 33_000, 29_700),
    hello('zokio-io_uring', 50, 40_000, 24_500),
    hello('node:http', 256, 18_000, 54_400),
    hello('node:net', 256, 30_000, 32_600),
    hello('zokio-io_uring', 256, 31_000, 31_600),
  ].map(recordOf);
  const contenders = ['node:http', 'node:net', 'zokio-io_uring'];
  const variants = variantReports(records, 'http_hello', [50, 256], contenders, 'node:http');
  const report = reportOf({
    command: 'node dist/run.js --scenario http_hello',
    rounds: 3,
    contenders: [...HTTP_CONTENDERS],
    scenarios: variants,
    runs: records,
    wrk: {
      path: '/usr/bin/wrk',
      version: 'wrk debian/4.1.0-3+b2 [epoll]',
      pinning: 'the server on CPU 0, wrk on CPU 1 (`taskset -c`)',
    },
  });
  const markdown = renderMarkdown(report);

  it('checks zokio against node:http and node:net at each connection count', () => {
    const results = checkTargets(SCENARIO_INFO.http_hello.checks ?? [], variants);
    expect(results.map((r) => r.met)).toEqual([true, false, true, false]);
    expect(markdown).toContain('- zokio-io_uring ≥ 1.8× node:http at 50 connections: 2.00×, **met**');
    expect(markdown).toContain('- zokio-io_uring ≥ 1.1× node:net at 256 connections: 1.03×, **not met**');
  });

  it('tables requests/s against both, with wrk’s latencies and CPU, and the server’s CPU per request', () => {
    expect(markdown).toContain(
      '| × node:http (higher is faster) | × node:net | median latency | p99 latency | wrk CPU | ' +
        'server CPU per request | server CPU | ok rounds |',
    );
    expect(markdown).toMatch(
      /\| zokio-io_uring \| 200 k \| 40\.0 k \| [^|]+ \| 2\.00× \| 1\.21× \| 1\.2 ms \| 3\.5 ms \| 40 % \| 24\.5 µs \| 98 % \| 1\/1 \|/,
    );
    expect(markdown).toContain('- **node:http**: each response 115 bytes');
    expect(charts(report, variants[1]!).map((c) => c.file)).toEqual(['http_hello-c256.svg']);
  });

  it('says which wrk ran, and where it and the server ran', () => {
    const line =
      'The load generator: `/usr/bin/wrk` (wrk debian/4.1.0-3+b2 [epoll]); the server on CPU 0, wrk on CPU 1 ' +
      '(`taskset -c`).';
    expect(markdown).toContain(line);
  });

  it('leaves the TCP scenarios’ columns as they were', () => {
    expect(markdown).not.toContain('median RTT');
  });
});
