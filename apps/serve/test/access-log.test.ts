/**
 * The access log on every driver: the server's `onResponse` feeding an {@link AccessLog} gives one Combined Log
 * Format line per request, with method, target, status and body bytes sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessLog } from '../src/index.js';
import { drivers, eventually, makeSite, rawRequest, startServer, type Running, type Site } from './harness.js';

const LINE =
  /^127\.0\.0\.1 - - \[\d{2}\/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "(\S+) (\S+) (HTTP\/1\.[01])" (\d{3}) (\d+) "-" ("(?:[^"\\]|\\.)*") (\d+\.\d{2})ms$/;

describe.each(drivers)('access log on %s', (driver) => {
  let site: Site;
  let srv: Running;
  const writes: string[] = [];
  const lines = () =>
    writes
      .join('')
      .split('\n')
      .filter((l) => l.length > 0);
  beforeAll(async () => {
    site = makeSite();
    const log = new AccessLog({ write: (text: string) => writes.push(text) });
    srv = await startServer(driver, site.root, { server: { onResponse: log.record } });
  });
  afterAll(async () => {
    await srv?.stop();
    site?.cleanup();
  });

  it('writes one Combined Log Format line per request with method, target, status and bytes', async () => {
    writes.length = 0;
    const ua = { 'User-Agent': 'zokio-test/1.0 "quoted"' };
    const gz = await rawRequest(srv.port, 'GET', '/', { 'Accept-Encoding': 'gzip', ...ua });
    await rawRequest(srv.port, 'GET', '/index.html?x=1', ua);
    await rawRequest(srv.port, 'HEAD', '/text.txt', ua);
    await rawRequest(srv.port, 'GET', '/missing.txt', ua);
    await rawRequest(srv.port, 'GET', '/big.bin', { Range: 'bytes=0-999', ...ua });
    await rawRequest(srv.port, 'POST', '/index.html', { 'Content-Length': '0', ...ua });
    await rawRequest(srv.port, 'GET', '/dir', ua);
    await rawRequest(srv.port, 'GET', '/pic.png');
    await rawRequest(srv.port, 'GET', '/%2e%2e/secret.txt', ua);
    await eventually(() => lines().length >= 9);
    const expected = [
      ['GET', '/', 200, gz.body.length],
      ['GET', '/index.html?x=1', 200, site.files['index.html']!.length],
      ['HEAD', '/text.txt', 200, 0],
      ['GET', '/missing.txt', 404, 'Not Found: /missing.txt\n'.length],
      ['GET', '/big.bin', 206, 1000],
      ['POST', '/index.html', 405, 'Method Not Allowed: POST\n'.length],
      ['GET', '/dir', 301, 'Moved to /dir/\n'.length],
      ['GET', '/pic.png', 200, site.files['pic.png']!.length],
    ] as const;
    const got = lines();
    expect(got).toHaveLength(9);
    for (const [i, [method, target, status, bytes]] of expected.entries()) {
      const m = LINE.exec(got[i]!);
      expect(m, got[i]).not.toBeNull();
      expect(m!.slice(2, 7)).toEqual([method, target, 'HTTP/1.1', String(status), String(bytes)]);
      expect(m![7]).toBe(i === 7 ? '"-"' : JSON.stringify('zokio-test/1.0 "quoted"'));
    }
    const bad = LINE.exec(got[8]!);
    expect(bad!.slice(2, 6)).toEqual(['GET', '/%2e%2e/secret.txt', 'HTTP/1.1', '400']);
    expect(writes.every((w) => w.endsWith('\n'))).toBe(true);
  });

  it('batches: concurrent requests share writes, and every line arrives', async () => {
    writes.length = 0;
    await Promise.all(Array.from({ length: 20 }, (_, i) => rawRequest(srv.port, 'GET', `/small.txt?n=${i}`)));
    await eventually(() => lines().length >= 20);
    const got = lines();
    expect(got).toHaveLength(20);
    expect(new Set(got.map((l) => LINE.exec(l)![3])).size).toBe(20);
    for (const l of got) expect(LINE.exec(l)!.slice(5, 7)).toEqual(['200', '6']);
    expect(writes.length).toBeLessThanOrEqual(20);
  });
});
