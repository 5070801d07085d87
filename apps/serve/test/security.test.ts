/**
 * The static file server against an attacker, on every driver — what `traversal.test.ts`, `range.test.ts` and
 * `basics.test.ts` do not already cover (see `docs/threat-model.md`):
 *
 * - more traversal encodings on raw sockets: full-width dots, IIS `%u002e`, `..;`, double-encoded backslash and NUL,
 *   overlong UTF-8 for `/` and `\`, mixed-case escapes, a traversal too long for the request line (`414`), and
 *   absolute-form targets with userinfo and port;
 * - symlinks made for this test: to `/`, a chain of links that ends outside, a loop, a directory whose
 *   `index.html` links out, and a link that leaves the root and comes back in (served: the real path counts);
 * - a file swapped for a symlink out of the root while the locate cache remembers it: refused, never followed,
 *   for a file read whole and for one streamed; and a file replaced by a new version (a deploy) is served new;
 * - `Range` amplification: 1,000 ranges, overlapping ranges, repeated `Range` fields, and the largest `Range`
 *   header a head can hold all get the file once (`200`), never more bytes than the file;
 * - methods: `TRACE` never echoes the request, `CONNECT` to an authority is `400`, lower-case and unknown methods
 *   are `405` with `Allow`;
 * - a `GET` with a body trickled a byte at a time cannot hold the connection past `bodyTimeout`.
 *
 * No response may ever contain `MARKER`, which only the files outside the root hold.
 */
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  drivers,
  makeSite,
  MARKER,
  parseResponses,
  rawExchange,
  rawRequest,
  startServer,
  type Running,
  type Site,
} from './harness.js';

const PASSWD = 'root:x:0:0';

function expectNoLeak(bytes: Buffer): void {
  const text = bytes.toString('latin1');
  expect(text).not.toContain(MARKER);
  expect(text).not.toContain(PASSWD);
}

/** Targets, sent byte for byte on a raw socket, and the status each must get. */
const ENCODINGS: readonly (readonly [string, number])[] = [
  ['/%ef%bc%8e%ef%bc%8e/secret.txt', 404], // full-width dots: a name, not ".."
  ['/%u002e%u002e/secret.txt', 400], // IIS-style escapes: malformed here
  ['/..;/secret.txt', 404], // "..;" is a name (no path parameters)
  ['/%2e%2e;/secret.txt', 404],
  ['/%255c..%255csecret.txt', 404], // decoded once: the literal name "%5c..%5csecret.txt"
  ['/%2500/../secret.txt', 400],
  ['/%2500', 404],
  ['/%c0%af%c0%afsecret.txt', 400], // overlong "/"
  ['/%c1%9c..%c1%9csecret.txt', 400], // overlong "\"
  ['/%C0%AE%C0%AE/secret.txt', 400],
  ['/%2e%2E/secret.txt', 400],
  ['/.%2E/secret.txt', 400],
  ['/%2e/index.html', 400],
  ['/dir/%2e%2e', 400],
  ['/dir/..', 400],
  ['/dir/.', 400],
  ['/%00/secret.txt', 400],
  ['/dir%2f%2e%2e%2f%2e%2e%2fsecret.txt', 400],
  ['/' + '../'.repeat(3000) + 'etc/passwd', 414],
  ['http://user:pass@127.0.0.1:1/../secret.txt', 400],
  ['http://127.0.0.1:1/%2e%2e%5csecret.txt', 400],
  ['http://h\\..\\..\\secret.txt', 200], // no "/" after the authority: the path is "/", the root's index
];

describe.each(drivers)('serve security on %s', (driver) => {
  let site: Site;
  let srv: Running;
  let blob: Buffer;
  beforeAll(async () => {
    site = makeSite();
    blob = site.files['blob.zzqx']!; // 700 bytes
    const { base, root } = site;
    symlinkSync('/', join(root, 'fs-root'));
    symlinkSync('../outside', join(root, 'chain-end'));
    symlinkSync('chain-end', join(root, 'chain-start'));
    symlinkSync('loop-b', join(root, 'loop-a'));
    symlinkSync('loop-a', join(root, 'loop-b'));
    mkdirSync(join(root, 'escape-index'));
    symlinkSync('../../outside/secret.txt', join(root, 'escape-index', 'index.html'));
    symlinkSync('../root/text.txt', join(root, 'out-and-back.txt'));
    writeFileSync(join(base, 'outside', 'plain.txt'), `${MARKER}\n`);
    srv = await startServer(driver, root, { server: { headersTimeout: 300, bodyTimeout: 300, keepAliveTimeout: 300 } });
  });
  afterAll(async () => {
    await srv?.stop();
    site?.cleanup();
  });

  it.each(ENCODINGS)('raw GET %s → %i, nothing from outside', async (target, status) => {
    const res = await rawRequest(srv.port, 'GET', target);
    expectNoLeak(res.body);
    expectNoLeak(res.rest);
    expect(res.status).toBe(status);
  });

  it.each([
    '/fs-root/etc/passwd',
    '/fs-root/',
    '/fs-root',
    '/chain-start/secret.txt',
    '/chain-start/plain.txt',
    '/chain-start/',
    '/chain-end/secret.txt',
    '/loop-a',
    '/loop-a/x',
    '/escape-index/',
    '/escape-index/index.html',
  ])(
    'a symlink out of the root, to / or through a chain, a loop, or as a directory index: %s → 404',
    async (target) => {
      for (const method of ['GET', 'HEAD']) {
        const res = await rawRequest(srv.port, method, target);
        expectNoLeak(res.body);
        expectNoLeak(res.rest);
        expect(res.status).toBe(404);
      }
    },
  );

  it('a link that leaves the root and comes back in is served: the real path is what counts', async () => {
    const res = await rawRequest(srv.port, 'GET', '/out-and-back.txt');
    expect(res.status).toBe(200);
    expect(res.body.equals(site.files['text.txt']!)).toBe(true);
  });

  it('1,000 ranges, or 1,000 overlapping ones, get the file once as 200: never more bytes than the file', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => `${i % 700}-${i % 700}`).join(',');
    const overlapping = Array.from({ length: 1000 }, () => '0-699').join(',');
    for (const range of [`bytes=${many}`, `bytes=${overlapping}`, 'bytes=0-400,200-699', 'bytes=0-,0-,0-']) {
      const res = await rawRequest(srv.port, 'GET', '/blob.zzqx', { Range: range });
      expect(res.status).toBe(200);
      expect(res.headers['content-length']).toBe('700');
      expect(res.headers['content-range']).toBeUndefined();
      expect(res.body.equals(blob)).toBe(true);
      expect(res.rest.length).toBe(0);
    }
  });

  it('two Range fields are one list of two ranges: 200 with the file once', async () => {
    const { bytes } = await rawExchange(
      srv.port,
      'GET /blob.zzqx HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\nRange: bytes=10-19\r\nConnection: close\r\n\r\n',
    );
    const { responses, rest } = parseResponses(bytes, ['GET']);
    expect(responses[0]!.status).toBe(200);
    expect(responses[0]!.body.equals(blob)).toBe(true);
    expect(rest.length).toBe(0);
  });

  it('the largest Range header a head can hold is 200 with the file once; one byte more is 431', async () => {
    const head = (n: number) => {
      const bare = 'GET /blob.zzqx HTTP/1.1\r\nHost: x\r\nConnection: close\r\nRange: bytes=\r\n\r\n';
      const specs = '0-0,'.repeat(Math.ceil(n / 4)).slice(0, n - bare.length - 1) + '0';
      return bare.replace('bytes=', `bytes=${specs}`);
    };
    expect(head(16384)).toHaveLength(16384);
    const fits = await rawExchange(srv.port, head(16384));
    const { responses } = parseResponses(fits.bytes, ['GET']);
    expect(responses[0]!.status).toBe(200);
    expect(fits.bytes.length).toBeLessThan(700 + 1024);
    const over = await rawExchange(srv.port, head(16385));
    expect(parseResponses(over.bytes, ['GET']).responses[0]!.status).toBe(431);
  });

  it('TRACE is 405 with Allow and never echoes the request; lower-case and unknown methods are 405 too', async () => {
    for (const method of ['TRACE', 'get', 'PROPFIND', 'BREW']) {
      const res = await rawRequest(srv.port, method, '/index.html', { Cookie: 'session=SECRET-COOKIE' });
      expect(res.status).toBe(405);
      expect(res.headers['allow']).toBe('GET, HEAD');
      expect(res.body.toString('latin1')).not.toContain('SECRET-COOKIE');
    }
  });

  it('CONNECT to an authority is 400 and closed', async () => {
    const { bytes, closed } = await rawExchange(
      srv.port,
      'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n',
    );
    expect(parseResponses(bytes, ['CONNECT']).responses[0]!.status).toBe(400);
    expect(closed).toBe(true);
  });

  it('a GET with a body trickled a byte every 40 ms is answered and closed at bodyTimeout', async () => {
    const started = Date.now();
    const { bytes, closed } = await new Promise<{ bytes: Buffer; closed: boolean }>((resolve) => {
      const chunks: Buffer[] = [];
      const socket = connect(srv.port, '127.0.0.1');
      const finish = (closed: boolean) => {
        clearInterval(drip);
        clearTimeout(limit);
        socket.destroy();
        resolve({ bytes: Buffer.concat(chunks), closed });
      };
      const drip = setInterval(() => socket.write('b'), 40); // 1,000 bytes: 40 s at this pace
      const limit = setTimeout(() => finish(false), 10_000);
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => finish(true));
      socket.on('error', () => finish(true));
      socket.write('GET /small.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
    });
    expect(closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(2500);
    const { responses } = parseResponses(bytes, ['GET']);
    expect(responses[0]!.status).toBe(200);
    expect(responses[0]!.headers['connection']).toBe('close');
    expect(responses[0]!.body.equals(site.files['small.txt']!)).toBe(true);
  });
});

describe.each(drivers)('serve with a long-lived locate cache on %s', (driver) => {
  let site: Site;
  let srv: Running;
  const errors: unknown[] = [];
  beforeAll(async () => {
    site = makeSite();
    // Paths are remembered for a minute; contents are never cached, so every response reads from disk.
    srv = await startServer(driver, site.root, {
      static: { cacheMs: 60_000, cacheBytes: 0, inMemoryBytes: 1024 },
      server: { onError: (e) => errors.push(e) },
    });
  });
  afterAll(async () => {
    await srv?.stop();
    site?.cleanup();
  });

  /** Puts `target` in place of `name` under the root atomically, as a deploy does: renamed over it. */
  const replace = (name: string, put: (tmp: string) => void) => {
    const tmp = join(site.root, `${name}.tmp`);
    put(tmp);
    renameSync(tmp, join(site.root, name));
  };
  const secret = () => join(site.base, 'outside', 'secret.txt');

  it.each([
    ['read whole', 'swap-small.txt', Buffer.from('inside the root, and long enough to cover the secret\n')],
    ['streamed', 'swap-big.bin', Buffer.alloc(4096, 'i')],
  ])(
    'a file %s, swapped for a link out of the root while remembered: 404, never followed',
    async (_how, name, data) => {
      writeFileSync(join(site.root, name), data);
      const before = await rawRequest(srv.port, 'GET', `/${name}`, { 'Accept-Encoding': 'identity' });
      expect(before.status).toBe(200);
      expect(before.body.equals(data)).toBe(true);
      replace(name, (tmp) => symlinkSync(secret(), tmp));
      for (let i = 0; i < 3; i++) {
        const res = await rawRequest(srv.port, 'GET', `/${name}`, { 'Accept-Encoding': 'identity' });
        expectNoLeak(res.body);
        expectNoLeak(res.rest);
        expect(res.status).toBe(404);
      }
      expect(errors).toEqual([]);
    },
  );

  it.each([
    ['read whole', 'deploy-small.txt', 300],
    ['streamed', 'deploy-big.bin', 5000],
  ])('a file %s, replaced by a new version while remembered: the new version, whole', async (_how, name, size) => {
    writeFileSync(join(site.root, name), Buffer.alloc(size, 'o'));
    expect((await rawRequest(srv.port, 'GET', `/${name}`)).status).toBe(200);
    const next = Buffer.alloc(size + 100, 'n');
    replace(name, (tmp) => writeFileSync(tmp, next));
    const res = await rawRequest(srv.port, 'GET', `/${name}`, { 'Accept-Encoding': 'identity' });
    expect(res.status).toBe(200);
    expect(res.body.equals(next)).toBe(true);
    expect(errors).toEqual([]);
  });
});
