/**
 * The basics on every driver: MIME types, `index.html`, the trailing-slash redirect, `404`, `405`, and `HEAD`
 * (the same head as `GET`, no body bytes after it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  drivers,
  makeSite,
  parseResponses,
  rawExchange,
  rawRequest,
  startServer,
  type Running,
  type Site,
} from './harness.js';

describe.each(drivers)('basics on %s', (driver) => {
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

  it.each([
    ['/index.html', 'text/html; charset=utf-8'],
    ['/style.css', 'text/css; charset=utf-8'],
    ['/app.js', 'text/javascript; charset=utf-8'],
    ['/data.json', 'application/json; charset=utf-8'],
    ['/logo.svg', 'image/svg+xml'],
    ['/pic.png', 'image/png'],
    ['/text.txt', 'text/plain; charset=utf-8'],
    ['/blob.zzqx', 'application/octet-stream'],
  ])('serves %s as %s with its exact bytes', async (path, type) => {
    const res = await fetch(srv.url + path, { headers: { 'accept-encoding': 'identity' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    const want = site.files[path.slice(1)]!;
    expect(res.headers.get('content-length')).toBe(String(want.length));
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(Buffer.from(await res.arrayBuffer()).equals(want)).toBe(true);
  });

  it('serves an empty file as 200 with Content-Length 0', async () => {
    const res = await rawRequest(srv.port, 'GET', '/empty.txt');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('0');
    expect(res.body.length).toBe(0);
    expect(res.rest.length).toBe(0);
  });

  it('decodes percent escapes once: /a%20b.txt is the file "a b.txt"', async () => {
    const res = await rawRequest(srv.port, 'GET', '/a%20b.txt');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('a file with a space\n');
  });

  it('serves index.html for / and for /dir/', async () => {
    const root = await fetch(srv.url + '/');
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await root.text()).toBe(site.files['index.html']!.toString());
    const dir = await fetch(srv.url + '/dir/');
    expect(dir.status).toBe(200);
    expect(await dir.text()).toBe(site.files['dir/index.html']!.toString());
  });

  it('serves index.html for an absolute-form target with no path', async () => {
    const res = await rawRequest(srv.port, 'GET', `http://127.0.0.1:${srv.port}`);
    expect(res.status).toBe(200);
    expect(res.body.equals(site.files['index.html']!)).toBe(true);
  });

  it('redirects /dir to /dir/ with 301, keeping the query', async () => {
    const plain = await fetch(srv.url + '/dir', { redirect: 'manual' });
    expect(plain.status).toBe(301);
    expect(plain.headers.get('location')).toBe('/dir/');
    const query = await fetch(srv.url + '/dir?a=1&b=two', { redirect: 'manual' });
    expect(query.status).toBe(301);
    expect(query.headers.get('location')).toBe('/dir/?a=1&b=two');
    // Followed, it lands on the index.
    const followed = await fetch(srv.url + '/dir?x=1');
    expect(followed.status).toBe(200);
    expect(followed.url).toBe(srv.url + '/dir/?x=1');
    expect(await followed.text()).toBe(site.files['dir/index.html']!.toString());
  });

  it('a file named with a trailing slash is not found (as open(2) says: ENOTDIR)', async () => {
    const res = await fetch(srv.url + '/index.html/');
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('Not Found: /index.html/\n');
    expect((await fetch(srv.url + '/dir/index.html/')).status).toBe(404);
    expect((await fetch(srv.url + '/index.html')).status).toBe(200);
  });

  it('never redirects to another host: //dir gives a same-origin Location', async () => {
    // `Location: //dir/` would be a protocol-relative URL: the browser would go to the host "dir".
    const res = await rawRequest(srv.port, 'GET', '//dir?q=1');
    expect(res.status).toBe(301);
    expect(res.headers['location']).toBe('/dir/?q=1');
    const many = await rawRequest(srv.port, 'GET', '///dir');
    expect(many.status).toBe(301);
    expect(many.headers['location']).toBe('/dir/');
  });

  it('serves a link that stays inside the root, and a linked directory', async () => {
    const file = await fetch(srv.url + '/link-inside.txt', { headers: { 'accept-encoding': 'identity' } });
    expect(file.status).toBe(200);
    expect(await file.text()).toBe(site.files['text.txt']!.toString());
    const dir = await fetch(srv.url + '/link-inside-dir/page.html');
    expect(dir.status).toBe(200);
    expect(await dir.text()).toBe(site.files['dir/page.html']!.toString());
  });

  it.each(['/missing.html', '/dir/missing/', '/noindex/', '/index.html/x', '/missing/deeper/file.txt'])(
    '404 for %s',
    async (path) => {
      const res = await fetch(srv.url + path);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(await res.text()).toBe(`Not Found: ${path}\n`);
    },
  );

  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('405 with Allow: GET, HEAD for %s', async (method) => {
    const res = await fetch(srv.url + '/index.html', {
      method,
      ...(method === 'POST' || method === 'PUT' ? { body: 'x' } : {}),
    });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(await res.text()).toBe(`Method Not Allowed: ${method}\n`);
  });

  it('405 for a POST to a missing file too (the method is checked first)', async () => {
    const res = await rawRequest(srv.port, 'POST', '/nope', { 'Content-Length': '0' });
    expect(res.status).toBe(405);
    expect(res.headers['allow']).toBe('GET, HEAD');
  });

  it.each(['/index.html', '/text.txt', '/pic.png', '/big.bin', '/empty.txt', '/'])(
    'HEAD %s has the same head as GET and no body',
    async (path) => {
      const get = await rawRequest(srv.port, 'GET', path, { 'Accept-Encoding': 'gzip' });
      const head = await rawRequest(srv.port, 'HEAD', path, { 'Accept-Encoding': 'gzip' });
      expect(head.status).toBe(200);
      const { date: _g, ...getHeaders } = get.headers;
      const { date: _h, ...headHeaders } = head.headers;
      expect(headHeaders).toEqual(getHeaders);
      expect(Number(head.headers['content-length'])).toBe(get.body.length);
      // Nothing after the head: the server closed the connection (Connection: close) with no body bytes.
      expect(head.rest.length).toBe(0);
    },
  );

  it('HEAD then GET pipelined on one connection: the GET response starts right after the HEAD head', async () => {
    const req = (method: string, close = false) =>
      `${method} /text.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;
    const { bytes, closed } = await rawExchange(srv.port, req('HEAD') + req('GET', true));
    expect(closed).toBe(true);
    const { responses, rest } = parseResponses(bytes, ['HEAD', 'GET']);
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect(responses[0]!.body.length).toBe(0);
    expect(responses[1]!.body.equals(site.files['text.txt']!)).toBe(true);
    expect(rest.length).toBe(0);
  });

  it('HEAD of a redirect and of a 404 carry no body either', async () => {
    const redirect = await rawRequest(srv.port, 'HEAD', '/dir');
    expect(redirect.status).toBe(301);
    expect(redirect.headers['location']).toBe('/dir/');
    expect(redirect.rest.length).toBe(0);
    const missing = await rawRequest(srv.port, 'HEAD', '/missing');
    expect(missing.status).toBe(404);
    expect(missing.rest.length).toBe(0);
  });
});
