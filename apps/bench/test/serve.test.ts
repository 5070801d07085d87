import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOf, parseHttpArgs, responseEnd, serverArgs } from '../src/http/harness.js';
import { parseHead } from '../src/http/hello.js';
import {
  checkFileResponse,
  makeSite,
  SERVE_TARGETS,
  serveTarget,
  SITE_FILES,
  siteFile,
  writeSite,
  type SiteFile,
} from '../src/http/site.js';
import { wrkArgs } from '../src/http/wrk.js';
import type { ChildResult } from '../src/protocol.js';
import { charts, renderMarkdown } from '../src/report.js';
import {
  FULL,
  HTTP_SCENARIOS,
  isHttpScenario,
  QUICK,
  SCENARIO_INFO,
  SCENARIOS,
  scenarioContenders,
  SERVE_CONTENDERS,
} from '../src/scenarios.js';
import { recordOf, reportOf, variantReports } from './report-fixtures.js';

describe('serve_static’s sizes and contenders', () => {
  it('is an HTTP scenario: wrk -t1 -c50, 1 s of warm-up, then 5 s (2 s when quick), for two files', () => {
    expect(HTTP_SCENARIOS).toEqual(['http_hello', 'serve_static']);
    expect(SCENARIOS).toContain('serve_static');
    expect(isHttpScenario('serve_static')).toBe(true);
    expect(FULL.serve_static).toEqual({
      connections: 50,
      files: [18, 100],
      threads: 1,
      warmupS: 1,
      durationS: 5,
      timeoutS: 2,
    });
    expect(QUICK.serve_static).toMatchObject({ connections: 50, files: [18, 100], warmupS: 1, durationS: 2 });
    // http_hello's wrk, at its first connection count.
    const { connections: _c, files: _f, ...load } = FULL.serve_static;
    const { connections: _h, ...hello } = FULL.http_hello;
    expect(load).toEqual(hello);
    expect(FULL.http_hello.connections[0]).toBe(FULL.serve_static.connections);
  });

  it('stays bounded: about 3 minutes in full, under 45 s quick (each child ~1 s more than its wrk runs)', () => {
    const children = SERVE_CONTENDERS.length * FULL.serve_static.files.length;
    const rounds = SCENARIO_INFO.serve_static.rounds!;
    const seconds = (p: typeof FULL.serve_static) => p.warmupS + p.durationS + 1;
    expect(children * rounds * seconds(FULL.serve_static)).toBeLessThanOrEqual(210);
    expect(children * seconds(QUICK.serve_static)).toBeLessThan(45);
  });

  it('divides by node:http + fs.promises, and by sirv beside it; one table per file', () => {
    expect(scenarioContenders('serve_static')).toEqual([
      'node:http+fs',
      'sirv',
      'serve-static',
      'zokio-io_uring',
      'zokio-epoll',
    ]);
    expect(SCENARIO_INFO.serve_static.alsoAgainst).toBe('sirv');
    expect(SCENARIO_INFO.serve_static.unit).toBe('requests/s');
    const v = SCENARIO_INFO.serve_static.variants!;
    expect(v.values(FULL)).toEqual([18, 100]);
    expect([v.label(18), v.label(100)]).toEqual(['GET / (18 KiB)', 'GET /assets/app.js (100 KiB)']);
    expect([v.slug(18), v.slug(100)]).toEqual(['18k', '100k']);
    expect(SCENARIO_INFO.serve_static.describe(FULL)).toContain('`index.html` (18 KiB)');
    expect(SCENARIO_INFO.serve_static.describe(FULL)).toContain('`assets/data.bin` (1 MiB)');
  });
});

describe('serve_static’s command lines', () => {
  it('reads the contender and the file, and loads 50 connections with http_hello’s wrk', () => {
    const index = parseHttpArgs(['sirv', 'serve_static', '--variant', '18']);
    expect(index).toMatchObject({
      contender: 'sirv',
      scenario: 'serve_static',
      variant: 18,
      connections: 50,
      path: '/',
      params: FULL,
    });
    expect(parseHttpArgs(['zokio-epoll', 'serve_static', '--variant', '100', '--quick'])).toMatchObject({
      variant: 100,
      path: '/assets/app.js',
      params: QUICK,
    });
    expect(loadOf(index)).toBe(FULL.serve_static);
    // http_hello's variant is still its connection count, its path `/`.
    expect(parseHttpArgs(['node:net', 'http_hello', '--variant', '256'])).toMatchObject({
      variant: 256,
      connections: 256,
      path: '/',
    });
  });

  it('refuses contenders of the other scenario, and files it does not request', () => {
    expect(() => parseHttpArgs(['node:http', 'serve_static', '--variant', '18'])).toThrow(/contender of serve_static/);
    expect(() => parseHttpArgs(['sirv', 'http_hello', '--variant', '50'])).toThrow(/contender of http_hello/);
    expect(() => parseHttpArgs(['sirv', 'serve_static', '--variant', '2'])).toThrow(/--variant to be one of 18, 100/);
  });

  it('starts the node:http server with the contender’s handler, or the zokio one on its backend, on the site', () => {
    const common = ['--root', '/tmp/site', '--backlog', '4096'];
    const node = (handler: string) => ['/app/dist/http/static-node-server.js', '--handler', handler, ...common];
    expect(serverArgs('/app', 'node:http+fs', 4096, '/tmp/site')).toEqual(node('fs'));
    expect(serverArgs('/app', 'sirv', 4096, '/tmp/site')).toEqual(node('sirv'));
    expect(serverArgs('/app', 'serve-static', 4096, '/tmp/site')).toEqual(node('serve-static'));
    expect(serverArgs('/app', 'zokio-io_uring', 4096, '/tmp/site')).toEqual([
      '/app/dist/http/static-zokio-server.js',
      '--backend',
      'io_uring',
      ...common,
    ]);
    expect(() => serverArgs('/app', 'node:net', 1, '/tmp/site')).toThrow(/node:http\+fs, sirv, serve-static/);
    // Without a site, http_hello's servers, as before.
    expect(serverArgs('/app', 'zokio-epoll', 1)[0]).toBe('/app/dist/http/zokio-server.js');
  });

  it('points wrk at the file’s path', () => {
    expect(wrkArgs(8080, 50, 5, FULL.serve_static, '/s.lua', '/assets/app.js').at(-1)).toBe(
      'http://127.0.0.1:8080/assets/app.js',
    );
    expect(wrkArgs(8080, 50, 5, FULL.serve_static, '/s.lua').at(-1)).toBe('http://127.0.0.1:8080/');
    expect(() => wrkArgs(8080, 50, 5, FULL.serve_static, '/s.lua', 'index.html')).toThrow(RangeError);
  });
});

describe('the site', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zokio-bench-site-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has an 18 KiB index page, a 2 KiB stylesheet, a 100 KiB script and a 1 MiB binary, each exactly', () => {
    expect(SITE_FILES.map((f) => [f.path, f.bytes, f.type])).toEqual([
      ['index.html', 18_432, 'text/html'],
      ['assets/style.css', 2_048, 'text/css'],
      ['assets/app.js', 102_400, 'text/javascript'],
      ['assets/data.bin', 1_048_576, 'application/octet-stream'],
    ]);
    for (const file of SITE_FILES) expect(siteFile(file).length).toBe(file.bytes);
  });

  it('is the same bytes every time: text that links its assets, and a binary no compressor shrinks', () => {
    for (const file of SITE_FILES) expect(siteFile(file).equals(siteFile(file))).toBe(true);
    const html = siteFile(SITE_FILES[0]!).toString('latin1');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toContain('href="assets/style.css"');
    expect(html).toContain('src="assets/app.js"');
    const bin = siteFile(SITE_FILES[3]!);
    expect(gzipSync(bin).length).toBeGreaterThan(bin.length);
    expect(new Set(bin.subarray(0, 4096)).size).toBe(256);
  });

  it('requests the index page as `/` and the script by its path', () => {
    expect(SERVE_TARGETS.map((t) => [t.kib, t.url, t.file.path])).toEqual([
      [18, '/', 'index.html'],
      [100, '/assets/app.js', 'assets/app.js'],
    ]);
    for (const t of SERVE_TARGETS) expect(t.file.bytes).toBe(t.kib * 1024);
    expect(serveTarget(100).url).toBe('/assets/app.js');
    expect(() => serveTarget(1024)).toThrow(/18, 100 KiB/);
  });

  it('is written under a directory, and made and removed in a temporary one', () => {
    writeSite(join(dir, 'site'));
    for (const file of SITE_FILES) {
      expect(readFileSync(join(dir, 'site', file.path)).equals(siteFile(file))).toBe(true);
    }
    const site = makeSite(dir);
    expect(site.dir.startsWith(join(dir, 'zokio-bench-site-'))).toBe(true);
    expect(readFileSync(join(site.dir, 'index.html')).length).toBe(18_432);
    site.remove();
    expect(existsSync(site.dir)).toBe(false);
  });
});

describe('the check of a server’s answer', () => {
  const file: SiteFile = { path: 'assets/app.js', bytes: 20, type: 'text/javascript' };
  const body = Buffer.from('export const x = 1;\n');
  const head = (fields: string) => `HTTP/1.1 200 OK\r\n${fields}\r\n\r\n`;
  const good = 'content-type: text/javascript; charset=utf-8\r\ncontent-length: 20\r\netag: W/"14-1"';
  const response = (fields = good, payload: Buffer = body, status = '200 OK') =>
    Buffer.concat([Buffer.from(head(fields).replace('200 OK', status), 'latin1'), payload]);

  it('accepts 200, the media type with any parameters, the length, an etag and the very bytes', () => {
    const check = checkFileResponse(response(), file, body);
    expect(check).toMatchObject({ bytes: response().length, headBytes: head(good).length });
    expect(check.headers['etag']).toBe('W/"14-1"');
    // sirv's spelling of the type, and an explicit identity encoding: accepted.
    const sirv = good.replace('; charset=utf-8', '') + '\r\nContent-Encoding: identity';
    expect(checkFileResponse(response(sirv), file, body).headers['content-encoding']).toBe('identity');
  });

  it('refuses another status, type or length, no etag, a compressed body, or other bytes, saying which', () => {
    expect(() => checkFileResponse(response(good, body, '404 Not Found'), file, body)).toThrow(/status 200/);
    const html = good.replace('text/javascript', 'text/html');
    expect(() => checkFileResponse(response(html), file, body)).toThrow(/content-type text\/javascript/);
    expect(() => checkFileResponse(response(good.replace('20', '21')), file, body)).toThrow(/content-length: 20/);
    expect(() => checkFileResponse(response(good.replace(/\r\netag.*$/, '')), file, body)).toThrow(/etag/);
    const gzip = `${good}\r\ncontent-encoding: gzip`;
    expect(() => checkFileResponse(response(gzip), file, body)).toThrow(/no content-encoding/);
    const other = Buffer.from('export const x = 2;\n');
    expect(() => checkFileResponse(response(good, other), file, body)).toThrow(/first difference at byte 17/);
    expect(() => checkFileResponse(Buffer.from('HTTP/1.1 200 OK\r\n'), file, body)).toThrow(/empty line/);
  });

  it('reads a head’s status line and fields by lower-case name', () => {
    expect(parseHead('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag:  "x" ')).toEqual({
      status: 'HTTP/1.1 200 OK',
      headers: { 'content-length': '5', etag: '"x"' },
    });
    expect(() => parseHead('HTTP/1.1 200 OK\r\nno colon')).toThrow(/name: value/);
  });

  it('knows where a response ends once its head is whole, and refuses one framed without a length', () => {
    expect(responseEnd(Buffer.from('HTTP/1.1 200 OK\r\ncontent-le'))).toBeUndefined();
    const whole = response();
    expect(responseEnd(whole)).toBe(whole.length);
    expect(responseEnd(whole.subarray(0, head(good).length))).toBe(whole.length);
    const chunked = Buffer.from(head('transfer-encoding: chunked'));
    expect(() => responseEnd(chunked)).toThrow(/content-length header/);
    // A field whose name ends in content-length is not the length.
    expect(() => responseEnd(Buffer.from(head('x-content-length: 3')))).toThrow(/content-length header/);
  });
});

describe('the report of serve_static', () => {
  const result = (contender: string, variant: number, opsPerSec: number, nsPerRequest: number): ChildResult => ({
    contender,
    scenario: 'serve_static',
    variant,
    n: opsPerSec * 5,
    opsPerSec,
    elapsedMs: 5_000,
    roundTripMs: { median: 2.5, p99: 9, max: 30 },
    clientCpu: 0.3,
    serverCpu: 0.95,
    serverCpuNsPerOp: nsPerRequest,
    note: 'each response 18,695 bytes, its head 263 (text/html; charset=utf-8)',
  });
  const records = [
    result('node:http+fs', 18, 4_000, 240_000),
    result('sirv', 18, 8_000, 120_000),
    result('zokio-io_uring', 18, 20_000, 48_000),
    result('node:http+fs', 100, 2_000, 480_000),
    result('sirv', 100, 3_000, 320_000),
    result('zokio-io_uring', 100, 4_500, 210_000),
  ].map(recordOf);
  const contenders = ['node:http+fs', 'sirv', 'zokio-io_uring'];
  const variants = variantReports(records, 'serve_static', [18, 100], contenders, 'node:http+fs');
  const report = reportOf({
    command: 'node dist/run.js --scenario serve_static',
    rounds: 3,
    contenders: [...SERVE_CONTENDERS],
    scenarios: variants,
    runs: records,
    wrk: { path: '/usr/bin/wrk', version: 'wrk 4.1.0', pinning: 'the server on CPU 0, wrk on CPU 1 (`taskset -c`)' },
  });
  const markdown = renderMarkdown(report);

  it('tables requests/s × node:http+fs and × sirv, per file, with latency and server CPU per request', () => {
    expect(markdown).toContain('## serve_static: a static site under wrk');
    expect(markdown).toContain('### GET / (18 KiB)');
    expect(markdown).toContain('### GET /assets/app.js (100 KiB)');
    expect(markdown).toContain(
      '| × node:http+fs (higher is faster) | × sirv | median latency | p99 latency | wrk CPU | ' +
        'server CPU per request | server CPU | ok rounds |',
    );
    expect(markdown).toMatch(
      /\| zokio-io_uring \| 100 k \| 20\.0 k \| [^|]+ \| 5\.00× \| 2\.50× \| 2\.5 ms \| 9 ms \| 30 % \| 48 µs \| 95 % \| 1\/1 \|/,
    );
    expect(markdown).toMatch(/\| zokio-io_uring \| 22\.5 k \| 4\.50 k \| [^|]+ \| 2\.25× \| 1\.50× \|/);
    expect(markdown).toContain('its head 263 (text/html; charset=utf-8)');
  });

  it('draws one chart per file', () => {
    expect(variants.flatMap((v) => charts(report, v).map((c) => c.file))).toEqual([
      'serve_static-18k.svg',
      'serve_static-100k.svg',
    ]);
  });
});
