/**
 * gzip on every driver: text files of ≥ 256 bytes are compressed for a client that accepts gzip (and gunzip to the
 * file); nothing is compressed without `Accept-Encoding`, for binary types, for small files, or with a `Range`.
 */
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curl, drivers, makeSite, rawRequest, startServer, type Running, type Site } from './harness.js';

describe.each(drivers)('gzip on %s', (driver) => {
  let site: Site;
  let srv: Running;
  beforeAll(async () => {
    site = makeSite();
    srv = await startServer(driver, site.root);
  });
  afterAll(async () => {
    await srv?.stop();
    site?.cleanup();
  });

  const get = (path: string, headers: Record<string, string> = {}) => rawRequest(srv.port, 'GET', path, headers);

  it.each(['text.txt', 'index.html', 'style.css', 'app.js', 'data.json', 'logo.svg'])(
    'gzips %s for Accept-Encoding: gzip, and it gunzips to the file',
    async (name) => {
      const file = site.files[name]!;
      expect(file.length).toBeGreaterThanOrEqual(256);
      const res = await get('/' + name, { 'Accept-Encoding': 'gzip' });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(res.headers['vary']).toBe('Accept-Encoding');
      expect(res.headers['content-length']).toBe(String(res.body.length));
      expect(res.body.length).toBeLessThan(file.length);
      expect(gunzipSync(res.body).equals(file)).toBe(true);
      // Again, from the cache: the same bytes.
      const again = await get('/' + name, { 'Accept-Encoding': 'gzip' });
      expect(again.body.equals(res.body)).toBe(true);
    },
  );

  it.each(['gzip, deflate, br', 'br;q=1.0, gzip;q=0.5', 'x-gzip', '*', 'GZIP'])('gzips for %j', async (accept) => {
    const res = await get('/text.txt', { 'Accept-Encoding': accept });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(res.body).equals(site.files['text.txt']!)).toBe(true);
  });

  it('fetch (which asks for gzip itself) gets it and decodes it', async () => {
    const res = await fetch(srv.url + '/text.txt');
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(await res.text()).toBe(site.files['text.txt']!.toString());
  });

  it('curl --compressed gets gzip and decodes it', async () => {
    const res = await curl(['--compressed', srv.url + '/app.js']);
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.body.equals(site.files['app.js']!)).toBe(true);
  });

  it('no gzip without Accept-Encoding (raw socket and plain curl), but Vary all the same', async () => {
    for (const res of [await get('/text.txt'), await curl([srv.url + '/text.txt'])]) {
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.headers['vary']).toBe('Accept-Encoding');
      expect(res.headers['content-length']).toBe(String(site.files['text.txt']!.length));
      expect(res.body.equals(site.files['text.txt']!)).toBe(true);
    }
  });

  it.each(['identity', 'gzip;q=0', 'deflate, br', 'gzip;q=0, *', '*;q=0'])('no gzip for %j', async (accept) => {
    const res = await get('/text.txt', { 'Accept-Encoding': accept });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.equals(site.files['text.txt']!)).toBe(true);
  });

  it.each(['pic.png', 'blob.zzqx', 'big.bin'])('no gzip for the binary %s, and no Vary', async (name) => {
    const res = await get('/' + name, { 'Accept-Encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['vary']).toBeUndefined();
    expect(res.body.equals(site.files[name]!)).toBe(true);
  });

  it('no gzip for a text file under 256 bytes', async () => {
    const res = await get('/small.txt', { 'Accept-Encoding': 'gzip' });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.toString()).toBe('short\n');
  });

  it('no gzip with a Range: 206 of the identity bytes', async () => {
    const file = site.files['text.txt']!;
    const res = await get('/text.txt', { 'Accept-Encoding': 'gzip', Range: 'bytes=10-59' });
    expect(res.status).toBe(206);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-range']).toBe(`bytes 10-59/${file.length}`);
    expect(res.body.equals(file.subarray(10, 60))).toBe(true);
  });

  it('no gzip when the handler is made with gzip: false', async () => {
    const other = await startServer(driver, site.root, { static: { gzip: false } });
    try {
      const res = await rawRequest(other.port, 'GET', '/text.txt', { 'Accept-Encoding': 'gzip' });
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.body.equals(site.files['text.txt']!)).toBe(true);
    } finally {
      await other.stop();
    }
  });
});
