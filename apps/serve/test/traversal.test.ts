/**
 * Traversal is impossible, on every driver: dot segments in every encoding, double encoding, backslashes, NUL,
 * malformed and overlong escapes, absolute-form targets, and symlinks to a file or directory outside the root.
 * No response ever contains the marker that only files outside the root hold, and each is `400` or `404`.
 *
 * The requests go out byte for byte: on raw sockets, and through `curl --path-as-is` (`fetch` would resolve the
 * dot segments before sending anything).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curl, drivers, makeSite, MARKER, rawRequest, startServer, type Running, type Site } from './harness.js';

const PASSWD = 'root:x:0:0';

/** Targets and the status each must get. */
const ATTACKS: readonly (readonly [string, 400 | 404])[] = [
  ['/../secret.txt', 400],
  ['/../../../../../../etc/passwd', 400],
  ['/dir/../../secret.txt', 400],
  ['/..', 400],
  ['/./index.html', 400],
  ['/%2e%2e/secret.txt', 400],
  ['/%2E%2E/%2E%2E/etc/passwd', 400],
  ['/%2E%2E%2Fsecret.txt', 400],
  ['/..%2fsecret.txt', 400],
  ['/..%2Foutside%2Fsecret.txt', 400],
  ['/.%2e/secret.txt', 400],
  ['/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd', 400],
  ['/dir/%2e%2e/%2e%2e/secret.txt', 400],
  ['/%252e%252e/secret.txt', 404],
  ['/%252e%252e%252fsecret.txt', 404],
  ['/%25252e%25252e/secret.txt', 404],
  ['/\\..\\secret.txt', 400],
  ['/..\\secret.txt', 400],
  ['/dir\\..\\..\\secret.txt', 400],
  ['/%5c..%5csecret.txt', 400],
  ['/%5C..%5Coutside%5Csecret.txt', 400],
  ['/..%5csecret.txt', 400],
  ['/%00', 400],
  ['/secret.txt%00.html', 400],
  ['/index.html%00', 400],
  ['/%zz', 400],
  ['/%', 400],
  ['/%2', 400],
  ['/..%zz/secret.txt', 400],
  ['/%c0%ae%c0%ae/secret.txt', 400],
  ['/%c0%af..%c0%afsecret.txt', 400],
  ['/%e0%80%ae%e0%80%ae/secret.txt', 400],
  ['/%ff%fe/secret.txt', 400],
  ['/link-file.txt', 404],
  ['/link-sibling.txt', 404],
  ['/link-dir', 404],
  ['/link-dir/', 404],
  ['/link-dir/secret.txt', 404],
  ['/link-dir/index.html', 404],
  ['/dir/up-link/secret.txt', 404],
  ['/dir/up-link/', 404],
  ['/etc/passwd', 404],
  ['//etc/passwd', 404],
  ['/root-evil/secret.txt', 404],
  ['/outside/secret.txt', 404],
];

/** Absolute-form targets: only a raw socket sends these. */
const ABSOLUTE: readonly (readonly [string, 400 | 404])[] = [
  ['http://host/../../etc/passwd', 400],
  ['http://127.0.0.1/../secret.txt', 400],
  ['HTTP://host/%2e%2e/secret.txt', 400],
  ['http://host/..%2f..%2fetc%2fpasswd', 400],
  ['https://host/link-dir/secret.txt', 404],
  ['http://host//etc/passwd', 404],
  ['http://host/etc/passwd', 404],
];

function expectNoLeak(body: Buffer): void {
  const text = body.toString('latin1');
  expect(text).not.toContain(MARKER);
  expect(text).not.toContain(PASSWD);
}

describe.each(drivers)('traversal on %s', (driver) => {
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

  it.each(ATTACKS)('raw GET %s → %i, nothing from outside', async (target, status) => {
    const res = await rawRequest(srv.port, 'GET', target);
    expectNoLeak(res.body);
    expectNoLeak(res.rest);
    expect(res.status).toBe(status);
  });

  it.each(ATTACKS)('curl --path-as-is %s → %i, nothing from outside', async (target, status) => {
    const res = await curl(['--path-as-is', srv.url + target]);
    expectNoLeak(res.body);
    expect(res.status).toBe(status);
  });

  it.each(ABSOLUTE)('raw GET of the absolute-form target %s → %i', async (target, status) => {
    const res = await rawRequest(srv.port, 'GET', target);
    expectNoLeak(res.body);
    expectNoLeak(res.rest);
    expect(res.status).toBe(status);
  });

  it('HEAD of the outside links says 404, like a missing file (no oracle)', async () => {
    for (const target of ['/link-file.txt', '/link-dir', '/link-dir/secret.txt']) {
      const res = await rawRequest(srv.port, 'HEAD', target);
      expect(res.status).toBe(404);
      expect(res.headers['content-length']).toBe(String(`Not Found: ${target}\n`.length));
    }
  });

  it('a random mix of dots, escapes, slashes, backslashes and link names never leaks', async () => {
    const piece = fc.constantFrom(
      '..',
      '.',
      '%2e',
      '%2E',
      '%2e%2e',
      '%252e',
      '%2f',
      '%2F',
      '%5c',
      '\\',
      '%00',
      '%',
      '/',
      '//',
      'dir',
      'link-dir',
      'link-file.txt',
      'link-sibling.txt',
      'up-link',
      'outside',
      'secret.txt',
      'root-evil',
      'etc',
      'passwd',
      'index.html',
    );
    const target = fc.array(piece, { minLength: 1, maxLength: 8 }).map((parts) => '/' + parts.join(''));
    await fc.assert(
      fc.asyncProperty(target, fc.boolean(), async (t, absolute) => {
        const res = await rawRequest(srv.port, 'GET', absolute ? `http://h${t}` : t);
        expectNoLeak(res.body);
        expectNoLeak(res.rest);
        expect([200, 301, 400, 404]).toContain(res.status);
      }),
      { numRuns: 150 },
    );
  });
});
