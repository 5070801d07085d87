/**
 * The server against an attacker on raw sockets, on every driver — the threats of `docs/threat-model.md` that
 * `server.test.ts` and `head.test.ts` do not already cover:
 *
 * - request smuggling on the wire: two different `Content-Length`s (two fields, or one list), `Transfer-Encoding:
 *   chunked, identity` and other non-final or unknown codings, `Transfer-Encoding` in HTTP/1.0, obs-fold and
 *   whitespace before the colon on the framing fields, VT, FF and NBSP around a framing value (not optional
 *   whitespace), bare LF, NUL, malformed chunk sizes — each a `400` (or
 *   `501`), the connection closed, and the request smuggled behind it never answered;
 * - the exact limits at their defaults: a request line of 8 KiB, a head of 16 KiB and 100 fields are served, one
 *   byte or field more is `414`/`431`; a chunked body past `maxBodyBytes` is `413`, a chunk line over 4 KiB `400`,
 *   more than 64 trailer fields `431`;
 * - slowloris: a head trickled a byte at a time still gets `408` at `headersTimeout` (the deadline is total, not
 *   per read); a flood of silent and half-sent connections is closed within `headersTimeout` while a real client
 *   is served; a stalled chunked body is `408`; an unwanted body trickled a byte at a time cannot hold the
 *   connection past `bodyTimeout`;
 * - a client that never reads its response is dropped after `sendTimeout`;
 * - methods: `405` with `Allow` from the router, `TRACE` never echoes the request, authority-form `CONNECT` is `400`.
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fn } from '@zokio/future';
import { Router, type BodySink, type Request } from '../src/index.js';
import { drivers, eventually, rawConnection, rawExchange, startServer, statuses, type Running } from './harness.js';

const SMUGGLED = 'SMUGGLED-RESPONSE-0b5e';
const BIG_CHUNK = Buffer.alloc(64 * 1024, 'z');

function routes(): Router {
  return new Router()
    .get(
      '/',
      fn(function* () {
        return { headers: { 'content-type': 'text/plain' }, body: 'hello' };
      }),
    )
    .get(
      '/smuggled',
      fn(function* () {
        return { body: SMUGGLED };
      }),
    )
    .post(
      '/echo',
      fn(function* (r: Request) {
        return { body: yield* r.body.bytes() };
      }),
    )
    .get(
      '/ignore',
      fn(function* () {
        return { body: 'ignored' };
      }),
    )
    .get(
      '/big',
      fn(function* (r: Request) {
        const chunks = Number(r.query.get('chunks') ?? 1);
        return {
          body: {
            length: chunks * BIG_CHUNK.length,
            write: fn(function* (sink: BodySink) {
              for (let i = 0; i < chunks; i++) yield* sink.write(BIG_CHUNK);
            }),
          },
        };
      }),
    );
}

const SMUGGLE = 'GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n';
const POST = 'POST /echo HTTP/1.1\r\nHost: t\r\n';

/** Framing attacks: each request is followed on the wire by `SMUGGLE`, which must never be answered. */
const FRAMING: readonly (readonly [string, string, number])[] = [
  ['two different Content-Length fields', `${POST}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`, 400],
  ['a Content-Length list of two values', `${POST}Content-Length: 5, 6\r\n\r\nhello!`, 400],
  ['a signed Content-Length', `${POST}Content-Length: +5\r\n\r\nhello`, 400],
  ['a hexadecimal Content-Length', `${POST}Content-Length: 0x5\r\n\r\nhello`, 400],
  [
    'Transfer-Encoding before Content-Length',
    `${POST}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`,
    400,
  ],
  ['Transfer-Encoding: chunked, identity', `${POST}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`, 400],
  ['Transfer-Encoding: identity', `${POST}Transfer-Encoding: identity\r\n\r\n0\r\n\r\n`, 400],
  [
    'Transfer-Encoding split over two fields',
    `${POST}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n`,
    400,
  ],
  ['chunked applied twice', `${POST}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 501],
  [
    'Transfer-Encoding in HTTP/1.0',
    'POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n0\r\n\r\n',
    400,
  ],
  ['obs-fold on Transfer-Encoding', `${POST}Transfer-Encoding: identity\r\n chunked\r\n\r\n0\r\n\r\n`, 400],
  ['obs-fold with a tab on Content-Length', `${POST}X: a\r\n\tContent-Length: 5\r\n\r\nhello`, 400],
  ['whitespace before the colon of Transfer-Encoding', `${POST}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`, 400],
  ['a bare LF inside the head', `${POST}X: a\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
  ['a vertical tab after chunked', `${POST}Transfer-Encoding: chunked\x0b\r\n\r\n0\r\n\r\n`, 400],
  ['a form feed before chunked', `${POST}Transfer-Encoding: \x0cchunked\r\n\r\n0\r\n\r\n`, 400],
  ['a no-break space (0xA0) after chunked', `${POST}Transfer-Encoding: chunked\xa0\r\n\r\n0\r\n\r\n`, 400],
  ['a no-break space (0xA0) before a Content-Length', `${POST}Content-Length: \xa05\r\n\r\nhello`, 400],
  ['a NUL in a header value', `${POST}X: a\x00b\r\nContent-Length: 0\r\n\r\n`, 400],
  ['a chunk size with 0x', `${POST}Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n`, 400],
  ['a negative chunk size', `${POST}Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n`, 400],
  [
    'an overflowing chunk size',
    `${POST}Transfer-Encoding: chunked\r\n\r\n${'f'.repeat(17)}\r\nhello\r\n0\r\n\r\n`,
    400,
  ],
  ['chunk data ended by a bare LF', `${POST}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n`, 400],
];

const GET = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;
const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes `data` one byte every `everyMs` until done or the connection ends; returns the bytes written. */
async function trickle(c: { socket: Socket; ended: Promise<void> }, data: string, everyMs: number): Promise<number> {
  let ended = false;
  void c.ended.then(() => (ended = true));
  let i = 0;
  for (; i < data.length && !ended && !c.socket.destroyed; i++) {
    c.socket.write(data[i]!);
    await sleepMs(everyMs);
  }
  return i;
}

describe.each(drivers)('HttpServer security on %s', (driver) => {
  let s: Running;
  beforeAll(async () => {
    s = await startServer(driver, routes().handler(), {
      headersTimeout: 300,
      keepAliveTimeout: 300,
      bodyTimeout: 300,
      sendTimeout: 300,
      maxBodyBytes: 64 * 1024,
      onError: () => undefined,
    });
  });
  afterAll(async () => {
    await s.stop();
  });

  it.each(FRAMING)('%s: refused, closed, and the request behind it never answered', async (_what, attack, status) => {
    const { text, closed } = await rawExchange(s.port, Buffer.from(attack + SMUGGLE, 'latin1'));
    expect(statuses(text)).toEqual([status]);
    expect(text).toMatch(/connection: close\r\n/);
    expect(text).not.toContain(SMUGGLED);
    expect(closed).toBe(true);
  });

  it('a chunked body past maxBodyBytes is 413, in one chunk or in many', async () => {
    const one = await rawExchange(s.port, `${POST}Transfer-Encoding: chunked\r\n\r\n20000\r\n`);
    expect(statuses(one.text)).toEqual([413]);
    expect(one.closed).toBe(true);
    const piece = `1000\r\n${'x'.repeat(0x1000)}\r\n`;
    const many = await rawExchange(s.port, `${POST}Transfer-Encoding: chunked\r\n\r\n${piece.repeat(17)}0\r\n\r\n`);
    expect(statuses(many.text)).toEqual([413]);
    expect(many.closed).toBe(true);
  });

  it.each([
    [
      'a chunk-size line over 4 KiB (extensions)',
      `${POST}Transfer-Encoding: chunked\r\n\r\n5;${'e'.repeat(5000)}`,
      400,
    ],
    ['65 trailer fields', `${POST}Transfer-Encoding: chunked\r\n\r\n0\r\n${'t: 1\r\n'.repeat(65)}\r\n`, 431],
    // A front end ending lines at a bare LF would read "2;" + "xx" as one chunk and the rest as another.
    ['a bare LF in a chunk extension', `${POST}Transfer-Encoding: chunked\r\n\r\n2;\nxx\r\n0\r\n\r\n`, 400],
    ['a NUL in a chunk extension', `${POST}Transfer-Encoding: chunked\r\n\r\n5;a\0b\r\nhello\r\n0\r\n\r\n`, 400],
    ['a trailer line without a colon', `${POST}Transfer-Encoding: chunked\r\n\r\n0\r\nno colon\r\n\r\n`, 400],
    ['a bare LF in a trailer', `${POST}Transfer-Encoding: chunked\r\n\r\n0\r\nt: 1\nx: 2\r\n\r\n`, 400],
    [
      'more than 16 KiB of chunk extensions (read and dropped: a bound on the work per data byte)',
      `${POST}Transfer-Encoding: chunked\r\n\r\n${`1;e=${'v'.repeat(4000)}\r\nx\r\n`.repeat(5)}0\r\n\r\n`,
      400,
    ],
    ['more than 8 empty lines before a request line', `${'\r\n'.repeat(9)}${GET('/')}`, 400],
  ])('%s: refused with its status, and closed', async (_what, request, status) => {
    const { text, closed } = await rawExchange(s.port, request + SMUGGLE);
    expect(statuses(text)).toEqual([status]);
    expect(text).not.toContain(SMUGGLED);
    expect(closed).toBe(true);
  });

  it('extensions and trailers that are well formed are skipped: the body is read', async () => {
    const body = `5;name=value;flag;q="a \\"quoted\\" value"\r\nhello\r\n0\r\nx-check: 1\r\n\r\n`;
    const { text } = await rawExchange(s.port, `${POST}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body}`);
    expect(statuses(text)).toEqual([200]);
    expect(text.endsWith('hello')).toBe(true);
  });

  it('an HTTP/1.0 request with Expect: 100-continue gets no 100: its Expect is ignored', async () => {
    const { text } = await rawExchange(
      s.port,
      'POST /echo HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello',
    );
    expect(text).not.toContain('100 Continue');
    expect(statuses(text)).toEqual([200]);
  });

  it('the first head is timed from accept: a first byte sent late does not restart headersTimeout', async () => {
    const c = await rawConnection(s.port);
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 250)); // most of the 300 ms, then the first byte
    c.socket.write('G');
    await c.ended;
    expect(Date.now() - started).toBeLessThan(500); // not 250 + 300
    expect(statuses(c.received())).toEqual([408]);
  });

  it('slowloris: a head trickled a byte every 40 ms gets 408 at headersTimeout, not a fresh timeout per byte', async () => {
    const c = await rawConnection(s.port);
    const started = Date.now();
    const head = GET('/', `X-Pad: ${'p'.repeat(100)}\r\n`); // 150 bytes: 6 s at this pace
    const written = await trickle(c, head, 40);
    await c.ended;
    expect(Date.now() - started).toBeLessThan(1500);
    expect(written).toBeLessThan(head.length);
    expect(statuses(c.received())).toEqual([408]);
  });

  it('a flood of silent and half-sent connections is closed at headersTimeout while a real client is served', async () => {
    const silent = await Promise.all(Array.from({ length: 60 }, () => rawConnection(s.port)));
    const half = await Promise.all(Array.from({ length: 60 }, () => rawConnection(s.port)));
    for (const c of half) c.socket.write('GET / HTTP/1.1\r\nHost: t\r\n');
    const started = Date.now();
    const res = await fetch(`${s.url}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello');
    await Promise.all([...silent, ...half].map((c) => c.ended));
    expect(Date.now() - started).toBeLessThan(3000);
    for (const c of silent) expect(c.received()).toBe('');
    for (const c of half) expect(statuses(c.received())).toEqual([408]);
    await eventually(() => s.server.connections === 0, 3000);
  });

  it('a chunked body that stalls mid-size-line is 408 after bodyTimeout', async () => {
    const started = Date.now();
    const { text, closed } = await rawExchange(s.port, `${POST}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1`);
    expect(statuses(text)).toEqual([408]);
    expect(closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('an unwanted body trickled a byte every 40 ms cannot hold the connection past bodyTimeout', async () => {
    const c = await rawConnection(s.port);
    const started = Date.now();
    c.socket.write('GET /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n');
    const written = await trickle(c, 'b'.repeat(1000), 40); // 40 s at this pace
    await c.ended;
    expect(Date.now() - started).toBeLessThan(2500);
    expect(written).toBeLessThan(1000);
    const text = c.received();
    expect(statuses(text)).toEqual([200]);
    expect(text).toMatch(/connection: close\r\n/);
  });

  it('TRACE is 405 with Allow and never echoes the request; unknown and lower-case methods are 405 too', async () => {
    for (const method of ['TRACE', 'DELETE', 'BREW', 'get']) {
      const { text } = await rawExchange(
        s.port,
        `${method} / HTTP/1.1\r\nHost: t\r\nCookie: session=SECRET-COOKIE\r\nConnection: close\r\n\r\n`,
      );
      expect(statuses(text)).toEqual([405]);
      expect(text).toMatch(/\r\nallow: GET, HEAD\r\n/);
      expect(text).not.toContain('SECRET-COOKIE');
    }
  });

  it.each([
    ['CONNECT to an authority', 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n'],
    ['a method with a slash', 'GE/T / HTTP/1.1\r\nHost: t\r\n\r\n'],
    ['a target without a leading slash', 'GET index.html HTTP/1.1\r\nHost: t\r\n\r\n'],
    ['a target with a space smuggled in', 'GET /a HTTP/1.1 x HTTP/1.1\r\nHost: t\r\n\r\n'],
  ])('%s is 400 and closed', async (_what, request) => {
    const { text, closed } = await rawExchange(s.port, request + SMUGGLE);
    expect(statuses(text)).toEqual([400]);
    expect(text).not.toContain(SMUGGLED);
    expect(closed).toBe(true);
  });
});

describe.each(drivers)('HttpServer limits at their defaults on %s', (driver) => {
  let s: Running;
  beforeAll(async () => {
    s = await startServer(driver, routes().handler());
  });
  afterAll(async () => {
    await s.stop();
  });

  /** A request whose request line is exactly `n` bytes long. */
  const lineOf = (n: number) => `GET /${'a'.repeat(n - 'GET / HTTP/1.1'.length)} HTTP/1.1`;
  /** A request head of exactly `n` bytes. */
  const headOf = (n: number) => {
    const bare = 'GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX: \r\n\r\n';
    return bare.replace('X: ', `X: ${'v'.repeat(n - bare.length)}`);
  };
  const fields = (n: number) => Array.from({ length: n - 2 }, (_, i) => `x-${i}: ${i}\r\n`).join('');

  it('maxRequestLineBytes 8 KiB: a line of 8,192 bytes is served (404: no such route), 8,193 is 414', async () => {
    const ok = await rawExchange(s.port, `${lineOf(8192)}\r\nHost: t\r\nConnection: close\r\n\r\n`);
    expect(statuses(ok.text)).toEqual([404]);
    const long = await rawExchange(s.port, `${lineOf(8193)}\r\nHost: t\r\n\r\n`);
    expect(statuses(long.text)).toEqual([414]);
    expect(long.closed).toBe(true);
  });

  it('maxHeaderBytes 16 KiB: a head of 16,384 bytes is served, 16,385 is 431', async () => {
    expect(headOf(16384)).toHaveLength(16384);
    const ok = await rawExchange(s.port, headOf(16384));
    expect(statuses(ok.text)).toEqual([200]);
    const big = await rawExchange(s.port, headOf(16385));
    expect(statuses(big.text)).toEqual([431]);
    expect(big.closed).toBe(true);
  });

  it('maxHeaders 100: 100 fields are served, 101 are 431', async () => {
    const ok = await rawExchange(s.port, `GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n${fields(100)}\r\n`);
    expect(statuses(ok.text)).toEqual([200]);
    const many = await rawExchange(s.port, `GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n${fields(101)}\r\n`);
    expect(statuses(many.text)).toEqual([431]);
  });

  it('maxBodyBytes 1 MiB: a Content-Length of 1,048,577 is 413 before any body byte is read', async () => {
    const { text, closed } = await rawExchange(s.port, `${POST}Content-Length: 1048577\r\n\r\n`);
    expect(statuses(text)).toEqual([413]);
    expect(closed).toBe(true);
  });
});

describe.each(drivers)('HttpServer and a client that never reads on %s', (driver) => {
  it('is dropped after sendTimeout: the connection closes with most of a 64 MiB response unsent', async () => {
    const s = await startServer(driver, routes().handler(), { sendTimeout: 300, onError: () => undefined });
    try {
      const c = await rawConnection(s.port);
      c.socket.pause(); // take nothing: the server's sends back up once the kernel's buffers are full
      c.socket.write(GET('/big?chunks=1024'));
      await eventually(() => s.server.connections === 1, 2000);
      const started = Date.now();
      await eventually(() => s.server.connections === 0, 5000);
      expect(Date.now() - started).toBeLessThan(5000);
      c.socket.resume();
      await c.ended;
      expect(c.received().length).toBeLessThan(64 * 1024 * 1024);
    } finally {
      await s.stop();
    }
  });
});
