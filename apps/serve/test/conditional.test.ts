/**
 * Validators and conditional requests on every driver: `ETag`/`Last-Modified` on every file, `304` for
 * `If-None-Match` (exact, a list, `*`, weak and strong forms) and `If-Modified-Since`, and `200` once the file
 * changed.
 */
import { renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, makeSite, rawRequest, startServer, type Running, type Site } from './harness.js';

const ETAG = /^W\/"[0-9a-f]+-[0-9a-f]+"$/;

describe.each(drivers)('conditional requests on %s', (driver) => {
  let site: Site;
  let srv: Running;
  beforeAll(async () => {
    site = makeSite();
    srv = await startServer(driver, site.root, { static: { cacheMs: 0 } }); // every request sees the file as it is
  });
  afterAll(async () => {
    await srv?.stop();
    site?.cleanup();
  });

  const get = (path: string, headers: Record<string, string> = {}) => rawRequest(srv.port, 'GET', path, headers);

  it('sends a weak ETag from size and mtime, Last-Modified, and Cache-Control: no-cache', async () => {
    const res = await get('/text.txt');
    const stats = statSync(join(site.root, 'text.txt'));
    expect(res.status).toBe(200);
    expect(res.headers['etag']).toMatch(ETAG);
    expect(res.headers['etag']).toBe(`W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`);
    expect(res.headers['last-modified']).toBe(new Date(Math.floor(stats.mtimeMs / 1000) * 1000).toUTCString());
    expect(res.headers['cache-control']).toBe('no-cache');
    // The validators are stable across requests.
    const again = await get('/text.txt');
    expect(again.headers['etag']).toBe(res.headers['etag']);
    expect(again.headers['last-modified']).toBe(res.headers['last-modified']);
  });

  it('304 for If-None-Match with the exact ETag: validators kept, no body, no Content-Type', async () => {
    const { headers } = await get('/text.txt');
    const res = await get('/text.txt', { 'If-None-Match': headers['etag']! });
    expect(res.status).toBe(304);
    expect(res.headers['etag']).toBe(headers['etag']);
    expect(res.headers['last-modified']).toBe(headers['last-modified']);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['vary']).toBe('Accept-Encoding');
    expect(res.headers['content-type']).toBeUndefined();
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.body.length).toBe(0);
    expect(res.rest.length).toBe(0);
  });

  it('304 for If-None-Match with a list containing the ETag', async () => {
    const { headers } = await get('/pic.png');
    const res = await get('/pic.png', { 'If-None-Match': `"nope", W/"0-0",${headers['etag']!} , "other"` });
    expect(res.status).toBe(304);
    expect(res.headers['etag']).toBe(headers['etag']);
  });

  it('304 for If-None-Match: *', async () => {
    const res = await get('/pic.png', { 'If-None-Match': '*' });
    expect(res.status).toBe(304);
  });

  it('304 for the ETag in its strong form: If-None-Match compares weakly', async () => {
    const { headers } = await get('/pic.png');
    const res = await get('/pic.png', { 'If-None-Match': headers['etag']!.slice(2) });
    expect(res.status).toBe(304);
  });

  it('200 for an If-None-Match that names other tags', async () => {
    const res = await get('/pic.png', { 'If-None-Match': '"abc", W/"def"' });
    expect(res.status).toBe(200);
    expect(res.body.equals(site.files['pic.png']!)).toBe(true);
  });

  it('304 for If-Modified-Since at or after Last-Modified; 200 before it or when unparseable', async () => {
    const { headers } = await get('/pic.png');
    const lastModified = headers['last-modified']!;
    expect((await get('/pic.png', { 'If-Modified-Since': lastModified })).status).toBe(304);
    const later = new Date(Date.parse(lastModified) + 3600_000).toUTCString();
    expect((await get('/pic.png', { 'If-Modified-Since': later })).status).toBe(304);
    const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
    const res = await get('/pic.png', { 'If-Modified-Since': earlier });
    expect(res.status).toBe(200);
    expect(res.body.equals(site.files['pic.png']!)).toBe(true);
    expect((await get('/pic.png', { 'If-Modified-Since': 'yesterday-ish' })).status).toBe(200);
  });

  it('If-None-Match wins over If-Modified-Since', async () => {
    const { headers } = await get('/pic.png');
    const res = await get('/pic.png', { 'If-None-Match': '"other"', 'If-Modified-Since': headers['last-modified']! });
    expect(res.status).toBe(200);
  });

  it('304 with HEAD too', async () => {
    const { headers } = await get('/pic.png');
    const res = await rawRequest(srv.port, 'HEAD', '/pic.png', { 'If-None-Match': headers['etag']! });
    expect(res.status).toBe(304);
    expect(res.rest.length).toBe(0);
  });

  it('200 with the new content once the file changed (other size), for both validators', async () => {
    const path = join(site.root, 'changing.txt');
    writeFileSync(path, 'version one\n');
    const first = await get('/changing.txt');
    expect(first.status).toBe(200);
    expect(first.body.toString()).toBe('version one\n');
    expect((await get('/changing.txt', { 'If-None-Match': first.headers['etag']! })).status).toBe(304);

    writeFileSync(path, 'version two, longer\n');
    const byTag = await get('/changing.txt', { 'If-None-Match': first.headers['etag']! });
    expect(byTag.status).toBe(200);
    expect(byTag.body.toString()).toBe('version two, longer\n');
    expect(byTag.headers['etag']).not.toBe(first.headers['etag']);
    expect(byTag.headers['etag']).toMatch(ETAG);

    // A modification time a minute later: If-Modified-Since with the old date no longer matches.
    const future = new Date(Date.parse(first.headers['last-modified']!) + 60_000);
    utimesSync(path, future, future);
    const byDate = await get('/changing.txt', { 'If-Modified-Since': first.headers['last-modified']! });
    expect(byDate.status).toBe(200);
    expect(byDate.headers['last-modified']).toBe(future.toUTCString());
    expect(byDate.body.toString()).toBe('version two, longer\n');
    const current = await get('/changing.txt', { 'If-Modified-Since': byDate.headers['last-modified']! });
    expect(current.status).toBe(304);
  });

  it('a gzipped response has its own ETag; its 304 carries that ETag', async () => {
    const plain = await get('/text.txt');
    const zipped = await get('/text.txt', { 'Accept-Encoding': 'gzip' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['etag']).toBe(plain.headers['etag']!.replace(/"$/, '-gz"'));
    const revalidated = await get('/text.txt', { 'Accept-Encoding': 'gzip', 'If-None-Match': zipped.headers['etag']! });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers['etag']).toBe(zipped.headers['etag']);
    // Without gzip the identity tag is current, and the gzip tag still names this version.
    const identity = await get('/text.txt', { 'If-None-Match': zipped.headers['etag']! });
    expect(identity.status).toBe(304);
    expect(identity.headers['etag']).toBe(plain.headers['etag']);
  });
});

describe.each(drivers)('the metadata cache on %s', (driver) => {
  it('serves what it resolved for cacheMs, then sees the change', async () => {
    const site = makeSite();
    const srv = await startServer(driver, site.root, { static: { cacheMs: 300 } });
    try {
      const path = join(site.root, 'cached.txt');
      writeFileSync(path, 'version one\n');
      const first = await rawRequest(srv.port, 'GET', '/cached.txt', {});
      writeFileSync(path, 'version two, longer\n');
      const soon = await rawRequest(srv.port, 'GET', '/cached.txt', {});
      expect(soon.body.toString()).toBe('version one\n'); // within cacheMs: the old version, whole and consistent
      expect(soon.headers['etag']).toBe(first.headers['etag']);
      await new Promise((r) => setTimeout(r, 400));
      const later = await rawRequest(srv.port, 'GET', '/cached.txt', {});
      expect(later.body.toString()).toBe('version two, longer\n');
      expect(later.headers['etag']).not.toBe(first.headers['etag']);
    } finally {
      await srv.stop();
      site.cleanup();
    }
  });
  it('a file rewritten in place, or deleted, within cacheMs is never served torn or as a server error', async () => {
    const site = makeSite();
    // Streamed, not kept whole in the content cache: every GET reads the file.
    const srv = await startServer(driver, site.root, { static: { cacheMs: 60_000, inMemoryBytes: 0 } });
    try {
      const path = join(site.root, 'rewritten.txt');
      writeFileSync(path, 'version one\n');
      await rawRequest(srv.port, 'HEAD', '/rewritten.txt', {}); // resolved and remembered
      writeFileSync(path, 'version two, longer\n'); // same inode, new size and mtime
      const after = await rawRequest(srv.port, 'GET', '/rewritten.txt', {});
      expect(after.body.toString()).toBe('version two, longer\n');
      expect(after.headers['content-length']).toBe(String('version two, longer\n'.length));
      rmSync(path);
      expect((await rawRequest(srv.port, 'GET', '/rewritten.txt', {})).status).toBe(404);
    } finally {
      await srv.stop();
      site.cleanup();
    }
  });

  it('a new file with the same size and mtime (cp -p) is a new version for the content cache', async () => {
    const site = makeSite();
    const srv = await startServer(driver, site.root, { static: { cacheMs: 0 } });
    try {
      const path = join(site.root, 'deployed.js');
      const when = 1_700_000_000; // whole seconds: both versions get exactly this mtime
      writeFileSync(path, 'export const version = 1;\n');
      utimesSync(path, when, when);
      for (let i = 0; i < 3; i++) {
        expect((await rawRequest(srv.port, 'GET', '/deployed.js', {})).body.toString()).toContain('version = 1');
      }
      const next = join(site.root, 'deployed.js.new');
      writeFileSync(next, 'export const version = 2;\n'); // same size
      utimesSync(next, when, when); // mtime preserved (to the ms the ETag counts), as `cp -p`, `tar x` or `rsync -t` do
      renameSync(next, path);
      expect((await rawRequest(srv.port, 'GET', '/deployed.js', {})).body.toString()).toContain('version = 2');
    } finally {
      await srv.stop();
      site.cleanup();
    }
  });
});
