/**
 * The pure parts, without a server: range decisions, conditional checks, `Accept-Encoding`, path rules, content
 * types, the log line and its batching, and the gzip cache's bookkeeping.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ready, type Future } from '@zokio/future';
import { HttpError, type AccessRecord } from '@zokio/http';
import type { Stats } from '@zokio/fs';
import {
  acceptsGzip,
  AccessLog,
  contentTypeOf,
  decideRange,
  formatAccess,
  isCompressible,
  isInside,
  isNotModified,
  pathSegments,
  validatorsOf,
} from '../src/index.js';
import { ContentCache, LocateCache } from '../src/caches.js';
import { gzipOf } from '../src/compress.js';
import { preconditionFailed, rangeStillValid } from '../src/conditional.js';
import { runtimeOn } from './harness.js';

describe('decideRange', () => {
  it.each([
    [undefined, 100, { kind: 'full' }],
    ['bytes=0-9', 100, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=90-', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-10', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-1000', 100, { kind: 'partial', start: 0, end: 99 }],
    ['bytes=50-5000', 100, { kind: 'partial', start: 50, end: 99 }],
    ['bytes=99-99', 100, { kind: 'partial', start: 99, end: 99 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=-5', 0, { kind: 'unsatisfiable' }],
    ['bytes=9007199254740993-', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-1,3-4', 100, { kind: 'full' }],
    ['bytes=5-1', 100, { kind: 'full' }],
    ['bytes=', 100, { kind: 'full' }],
    ['bytes=-', 100, { kind: 'full' }],
    ['bytes=x-1', 100, { kind: 'full' }],
    ['lines=0-1', 100, { kind: 'full' }],
    ['0-1', 100, { kind: 'full' }],
  ] as const)('%j of %i bytes → %j', (header, size, want) => {
    expect(decideRange(header, size)).toEqual(want);
  });
});

describe('validators and conditions', () => {
  const stats = { size: 0x1234, mtimeMs: 1_700_000_000_123.7 } as Stats;
  const v = validatorsOf(stats);

  it('makes a weak ETag from size and mtime, and an HTTP date of the whole second', () => {
    expect(v.etag).toBe(`W/"1234-${Math.floor(1_700_000_000_123.7).toString(16)}"`);
    expect(v.lastModified).toBe('Tue, 14 Nov 2023 22:13:20 GMT');
  });

  it.each([
    [{ 'if-none-match': v.etag }, true],
    [{ 'if-none-match': v.etag.slice(2) }, true],
    [{ 'if-none-match': ` "a",  ${v.etag} ` }, true],
    [{ 'if-none-match': '*' }, true],
    [{ 'if-none-match': '"a", W/"b"' }, false],
    [{ 'if-none-match': '"a"', 'if-modified-since': v.lastModified }, false],
    [{ 'if-modified-since': v.lastModified }, true],
    [{ 'if-modified-since': 'Tue, 14 Nov 2023 22:13:19 GMT' }, false],
    [{ 'if-modified-since': 'Wed, 15 Nov 2023 00:00:00 GMT' }, true],
    [{ 'if-modified-since': 'not a date' }, false],
    [{ 'if-modified-since': '2099' }, false], // Date.parse takes it, but it is no HTTP-date: ignored (§13.1.3)
    [{ 'if-modified-since': 'Dec 2099' }, false],
    [{ 'if-modified-since': 'Wednesday, 15-Nov-23 00:00:00 GMT' }, true], // the obsolete forms still count
    [{ 'if-modified-since': 'Wed Nov 15 00:00:00 2023' }, true],
    [{}, false],
  ])('isNotModified(%j) is %s', (headers, want) => {
    expect(isNotModified(headers, v.etag, stats.mtimeMs)).toBe(want);
  });

  it.each([
    [{}, true],
    [{ 'if-range': v.lastModified }, true],
    [{ 'if-range': 'Tue, 14 Nov 2023 22:13:19 GMT' }, false],
    [{ 'if-range': v.etag }, false],
    [{ 'if-range': v.etag.slice(2) }, false],
  ])('rangeStillValid(%j) is %s', (headers, want) => {
    expect(rangeStillValid(headers, v, stats.mtimeMs, stats.mtimeMs + 60_000)).toBe(want);
  });

  it('a Last-Modified in the same second as now is weak: If-Range by date does not allow a 206 (§8.8.2.2)', () => {
    const headers = { 'if-range': v.lastModified };
    expect(rangeStillValid(headers, v, stats.mtimeMs, stats.mtimeMs + 500)).toBe(false);
    expect(rangeStillValid(headers, v, stats.mtimeMs, stats.mtimeMs + 1_000)).toBe(true);
  });

  it.each([
    [{}, false],
    [{ 'if-match': '*' }, false],
    [{ 'if-match': v.etag }, true], // If-Match compares strongly; our tags are weak
    [{ 'if-match': '"other"' }, true],
    [{ 'if-unmodified-since': 'Sat, 01 Jan 2000 00:00:00 GMT' }, true],
    [{ 'if-unmodified-since': v.lastModified }, false],
    [{ 'if-unmodified-since': '2000' }, false], // no HTTP-date: ignored
    [{ 'if-match': '*', 'if-unmodified-since': 'Sat, 01 Jan 2000 00:00:00 GMT' }, false], // If-Match decides
  ])('preconditionFailed(%j) is %s', (headers, want) => {
    expect(preconditionFailed(headers, stats.mtimeMs)).toBe(want);
  });
});

describe('acceptsGzip', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['gzip', true],
    ['GZIP', true],
    ['x-gzip', true],
    ['deflate, gzip;q=0.1', true],
    ['gzip ; q=1.0', true],
    ['*', true],
    ['gzip;q=0', false],
    ['gzip;q=0.000', false],
    ['identity', false],
    ['br, deflate', false],
    ['*;q=0', false],
    ['gzip;q=0, *', false],
    ['*, gzip;q=0', false],
    ['*;q=0, gzip', true],
  ])('%j → %s', (header, want) => {
    expect(acceptsGzip(header)).toBe(want);
  });
});

describe('pathSegments and isInside', () => {
  it.each([
    ['/', []],
    ['/a/b.txt', ['a', 'b.txt']],
    ['//a///b/', ['a', 'b']],
    ['/a%20b', ['a b']],
    ['/%252e%252e', ['%2e%2e']],
    ['/%2E%2Ea', ['..a']],
    ['/...', ['...']],
    ['/caf%C3%A9', ['café']],
  ])('%j → %j', (path, want) => {
    expect(pathSegments(path)).toEqual(want);
  });

  it.each([
    '/..',
    '/a/../b',
    '/.',
    '/%2e%2e',
    '/%2e',
    '/a%2f..%2fb',
    '/a\\b',
    '/%5c',
    '/%00',
    '/a%00b',
    '/%zz',
    '/%',
    '/%c0%ae',
  ])('%j is refused with 400', (path) => {
    let error: unknown;
    try {
      pathSegments(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(400);
    expect((error as HttpError).code).toBe('ERR_SERVE_BAD_PATH');
  });

  it('isInside needs the separator: /srv/root-evil is not inside /srv/root', () => {
    expect(isInside('/srv/root', '/srv/root')).toBe(true);
    expect(isInside('/srv/root', '/srv/root/a')).toBe(true);
    expect(isInside('/srv/root', '/srv/root-evil/a')).toBe(false);
    expect(isInside('/srv/root', '/srv')).toBe(false);
    expect(isInside('/', '/etc/passwd')).toBe(true);
  });
});

describe('content types', () => {
  it.each([
    ['a.html', 'text/html; charset=utf-8', true],
    ['a.css', 'text/css; charset=utf-8', true],
    ['a.js', 'text/javascript; charset=utf-8', true],
    ['a.mjs', 'text/javascript; charset=utf-8', true],
    ['a.json', 'application/json; charset=utf-8', true],
    ['a.svg', 'image/svg+xml', true],
    ['a.wasm', 'application/wasm', true],
    ['a.png', 'image/png', false],
    ['a.woff2', 'font/woff2', false],
    ['a.gz', 'application/gzip', false],
    ['README', 'application/octet-stream', false],
    ['a.zzqx', 'application/octet-stream', false],
  ])('%s is %s (compressible: %s)', (name, type, compressible) => {
    expect(contentTypeOf(name)).toBe(type);
    expect(isCompressible(type)).toBe(compressible);
  });
});

describe('the access log', () => {
  const record: AccessRecord = {
    remote: '127.0.0.1:50412',
    method: 'GET',
    target: '/a?b=1',
    version: 'HTTP/1.1',
    status: 200,
    bytes: 1234,
    ms: 1.5,
    userAgent: 'curl/8 "x"',
  };

  it('formats the Combined Log Format plus the time taken', () => {
    const line = formatAccess(record, new Date(Date.UTC(2024, 0, 2, 3, 4, 5)));
    expect(line).toBe(
      '127.0.0.1 - - [02/Jan/2024:03:04:05 +0000] "GET /a?b=1 HTTP/1.1" 200 1234 "-" "curl/8 \\"x\\"" 1.50ms',
    );
    expect(formatAccess({ ...record, remote: '[::1]:8080' }, new Date(0))).toMatch(
      /^::1 - - \[01\/Jan\/1970:00:00:00 \+0000\] /,
    );
  });

  it('writes the lines of one event-loop turn in one write', async () => {
    const writes: string[] = [];
    const log = new AccessLog({ write: (t: string) => writes.push(t) });
    log.record(record);
    log.record({ ...record, status: 404 });
    log.record({ ...record, method: 'HEAD' });
    expect(writes).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(1);
    expect(writes[0]!.split('\n')).toHaveLength(4); // three lines and the final newline
    log.flush();
    expect(writes).toHaveLength(1); // nothing new: no empty write
    log.record(record);
    log.flush();
    expect(writes).toHaveLength(2);
  });
});

describe('ContentCache and gzipOf', () => {
  const { run } = runtimeOn('js');
  const data = (i: number) =>
    Buffer.from(`${String(i).padStart(4, '0')} ${'the same text again and again '.repeat(40)}`);

  it('compresses once per key, then serves from memory without loading', async () => {
    const cache = new ContentCache();
    let loads = 0;
    const load = () => {
      loads++;
      return ready(data(1));
    };
    const first = await run(cache.get('k', () => gzipOf(load)));
    expect(gunzipSync(first).equals(data(1))).toBe(true);
    expect(await run(cache.get('k', () => gzipOf(load)))).toBe(first);
    expect(loads).toBe(1);
  });

  it('keeps its own copy of a value that is a view into a larger buffer (a slab), and keeps whole buffers as they are', async () => {
    const cache = new ContentCache();
    const slab = Buffer.alloc(32 * 1024, 7);
    const view = slab.subarray(100, 200);
    const kept = await run(cache.get('view', () => ready(view)));
    expect(kept.equals(view)).toBe(true);
    expect(kept.buffer.byteLength).toBe(100); // not the 32 KiB slab
    expect(await run(cache.get('view', () => ready(Buffer.alloc(0))))).toBe(kept);
    const whole = Buffer.allocUnsafeSlow(64).fill(1);
    expect(await run(cache.get('whole', () => ready(whole)))).toBe(whole);
    expect(cache.bytes).toBe(164);
  });

  it('keeps its byte count right when one key is loaded by concurrent misses', async () => {
    const sizes = [0, 1, 2, 3].map((i) => data(i).length);
    const room = 4 * Math.max(...sizes);
    // Counting k0 twice would overflow the room and evict it.
    expect(2 * sizes[0]! + sizes[1]! + sizes[2]! + sizes[3]!).toBeGreaterThan(room);
    const cache = new ContentCache(room);
    const get = (i: number): Future<Buffer> => cache.get(`k${i}`, () => ready(data(i)));
    // Two misses of k0 at once: both load, and the second put replaces the first.
    await Promise.all([run(get(0)), run(get(0))]);
    const k0 = await run(get(0));
    for (const i of [1, 2, 3]) await run(get(i));
    // Four entries fit in four entries' room: k0 is still cached.
    expect(await run(get(0))).toBe(k0);
    expect(cache.bytes).toBe(sizes.reduce((a, b) => a + b, 0));
  });

  it('evicts the least recently used entry when full', async () => {
    const room = 4 * data(0).length; // an entry may take a quarter of the room
    const cache = new ContentCache(room);
    const get = (i: number): Future<Buffer> => cache.get(`k${i}`, () => ready(data(i)));
    const k0 = await run(get(0));
    for (const i of [1, 2, 3]) await run(get(i));
    expect(await run(get(0))).toBe(k0); // k0 used: k1 is now the oldest
    await run(get(4)); // over the room: k1 goes
    expect(await run(get(0))).toBe(k0);
    expect(cache.bytes).toBe(room);
    let reloaded = false;
    await run(cache.get('k1', () => ((reloaded = true), ready(data(1)))));
    expect(reloaded).toBe(true);
  });
});

describe('LocateCache', () => {
  it('keeps a value for its lifetime, then forgets it; 0 keeps nothing', async () => {
    const cache = new LocateCache<string>(50);
    cache.set('a', 'x');
    expect(cache.get('a')).toBe('x');
    await new Promise((r) => setTimeout(r, 70));
    expect(cache.get('a')).toBeUndefined();
    const none = new LocateCache<string>(0);
    none.set('a', 'x');
    expect(none.get('a')).toBeUndefined();
  });

  it('drops the oldest half when full', () => {
    const cache = new LocateCache<number>(60_000, 4);
    for (let i = 0; i < 5; i++) cache.set(`k${i}`, i);
    expect([0, 1, 2, 3, 4].map((i) => cache.get(`k${i}`))).toEqual([undefined, undefined, 2, 3, 4]);
  });
});
