/**
 * `Range` on every driver: one range is `206` with its exact bytes and `Content-Range`; suffix and open-ended
 * forms; `416` with `bytes *\/size`; several ranges, a stale `If-Range` or a malformed header give the whole file
 * as `200`; and a ≥ 5 MiB file streamed whole and in part.
 */
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, makeSite, rawRequest, sha256, startServer, type Running, type Site } from './harness.js';

describe.each(drivers)('Range on %s', (driver) => {
  let site: Site;
  let srv: Running;
  let blob: Buffer;
  beforeAll(async () => {
    site = makeSite();
    blob = site.files['blob.zzqx']!; // 700 bytes
    // Modified a minute ago: its Last-Modified is a strong validator, good for If-Range (RFC 9110 §8.8.2.2).
    const aMinuteAgo = new Date(Date.now() - 60_000);
    utimesSync(join(site.root, 'blob.zzqx'), aMinuteAgo, aMinuteAgo);
    srv = await startServer(driver, site.root);
  });
  afterAll(async () => {
    await srv?.stop();
    site?.cleanup();
  });

  const get = (path: string, headers: Record<string, string>) => rawRequest(srv.port, 'GET', path, headers);

  it.each([
    ['bytes=0-99', 0, 99],
    ['bytes=100-100', 100, 100],
    ['bytes=650-10000', 650, 699],
    ['bytes=-100', 600, 699],
    ['bytes=-5000', 0, 699],
    ['bytes=600-', 600, 699],
    ['bytes=0-', 0, 699],
    ['bytes= 10 - 19 ', 10, 19],
    ['Bytes=10-19', 10, 19],
  ])('%s is 206 with bytes %i–%i and Content-Range', async (range, start, end) => {
    const res = await get('/blob.zzqx', { Range: range });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/700`);
    expect(res.headers['content-length']).toBe(String(end - start + 1));
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.body.equals(blob.subarray(start, end + 1))).toBe(true);
    expect(res.rest.length).toBe(0);
  });

  it.each(['bytes=700-', 'bytes=700-800', 'bytes=99999999999999999999-', 'bytes=-0'])(
    '%s is 416 with Content-Range: bytes */700',
    async (range) => {
      const res = await get('/blob.zzqx', { Range: range });
      expect(res.status).toBe(416);
      expect(res.headers['content-range']).toBe('bytes */700');
      expect(res.body.toString()).toBe(`Range Not Satisfiable: ${range} of 700 bytes\n`);
    },
  );

  it('any range of an empty file is 416 with bytes */0', async () => {
    const res = await get('/empty.txt', { Range: 'bytes=0-' });
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toBe('bytes */0');
  });

  it.each(['bytes=0-1,5-6', 'bytes=0-99, 200-299', 'bytes=5-2', 'items=0-1', 'bytes=abc', 'bytes=-', 'bytes 0-1'])(
    '%s gets the whole file as 200',
    async (range) => {
      const res = await get('/blob.zzqx', { Range: range });
      expect(res.status).toBe(200);
      expect(res.headers['content-range']).toBeUndefined();
      expect(res.headers['content-length']).toBe('700');
      expect(res.body.equals(blob)).toBe(true);
    },
  );

  it('If-Range with another tag, our weak tag, or another date: 200 with the whole file', async () => {
    const { headers } = await get('/blob.zzqx', {});
    for (const ifRange of ['"other"', headers['etag']!, 'Mon, 01 Jan 2001 00:00:00 GMT']) {
      const res = await get('/blob.zzqx', { Range: 'bytes=0-9', 'If-Range': ifRange });
      expect(res.status).toBe(200);
      expect(res.headers['content-range']).toBeUndefined();
      expect(res.body.equals(blob)).toBe(true);
    }
  });

  it('If-Range with the current Last-Modified: 206', async () => {
    const { headers } = await get('/blob.zzqx', {});
    const res = await get('/blob.zzqx', { Range: 'bytes=0-9', 'If-Range': headers['last-modified']! });
    expect(res.status).toBe(206);
    expect(res.body.equals(blob.subarray(0, 10))).toBe(true);
  });

  it('If-Range with a Last-Modified of this very second is weak: 200 whole, never a splice of two versions', async () => {
    const path = join(site.root, 'fresh.zzqx');
    writeFileSync(path, Buffer.alloc(40, 'a'));
    const { headers } = await get('/fresh.zzqx', {});
    const res = await get('/fresh.zzqx', { Range: 'bytes=10-', 'If-Range': headers['last-modified']! });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(40);
  });

  it('If-Match with another tag, or If-Unmodified-Since before the change, is 412 — Range or not', async () => {
    for (const conditions of [
      { 'If-Match': '"another-version"' },
      { 'If-Match': '"another-version"', Range: 'bytes=5-' },
      { 'If-Unmodified-Since': 'Sat, 01 Jan 2000 00:00:00 GMT', Range: 'bytes=5-' },
    ]) {
      expect((await get('/blob.zzqx', conditions)).status).toBe(412);
    }
    expect((await get('/blob.zzqx', { 'If-Match': '*', Range: 'bytes=5-9' })).status).toBe(206);
  });

  it('HEAD with a Range: 206 head, no body', async () => {
    const res = await rawRequest(srv.port, 'HEAD', '/blob.zzqx', { Range: 'bytes=5-14' });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe('bytes 5-14/700');
    expect(res.headers['content-length']).toBe('10');
    expect(res.rest.length).toBe(0);
  });

  it('streams a large file whole (sha256 equal)', async () => {
    const res = await fetch(srv.url + '/big.bin');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(site.big.length));
    expect(res.headers.get('content-encoding')).toBeNull();
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(site.big.length);
    expect(sha256(body)).toBe(sha256(site.big));
  });

  it('serves a 1 MiB range inside the large file, and its last bytes', async () => {
    const start = 1_000_003;
    const end = start + 1024 * 1024 - 1;
    const res = await get('/big.bin', { Range: `bytes=${start}-${end}` });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${site.big.length}`);
    expect(res.body.length).toBe(1024 * 1024);
    expect(sha256(res.body)).toBe(sha256(site.big.subarray(start, end + 1)));
    const tail = await get('/big.bin', { Range: 'bytes=-300000' });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(site.big.subarray(site.big.length - 300000))).toBe(true);
  });
});
