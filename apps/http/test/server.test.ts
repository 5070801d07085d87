import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fn, ready } from '@zokio/future';
import { sleep } from '@zokio/time';
import { ZokioError } from '@zokio/future';
import { HttpServer, Router, type BodySink, type Request } from '../src/index.js';
import {
  drivers,
  eventually,
  fdCount,
  rawConnection,
  rawExchange,
  startServer,
  statuses,
  type Running,
} from './harness.js';

const run = promisify(execFile);
const errors: unknown[] = [];

function routes(): Router {
  return new Router()
    .get(
      '/',
      fn(function* () {
        return { headers: { 'content-type': 'text/plain' }, body: 'hello' };
      }),
    )
    .get(
      '/id/:id',
      fn(function* (_r: Request, p: Readonly<Record<string, string>>) {
        return { body: `id=${p['id']}` };
      }),
    )
    .post(
      '/echo',
      fn(function* (r: Request) {
        return { body: yield* r.body.bytes() };
      }),
    )
    .post(
      '/ignore',
      fn(function* () {
        return { body: 'ignored' };
      }),
    )
    .get(
      '/slow',
      fn(function* (r: Request) {
        yield* sleep(Number(r.query.get('ms') ?? 100));
        return { body: 'slow done' };
      }),
    )
    .get(
      '/stream',
      fn(function* (r: Request) {
        const n = Number(r.query.get('n') ?? 3);
        const pad = '.'.repeat(Number(r.query.get('pad') ?? 0));
        return {
          body: {
            write: fn(function* (sink: BodySink) {
              for (let i = 0; i < n; i++) yield* sink.write(`${pad}${i}\n`);
            }),
          },
        };
      }),
    )
    .get(
      '/fail',
      fn(function* () {
        throw new Error('boom');
      }),
    )
    .get(
      '/split',
      fn(function* () {
        return { headers: { 'x-a': 'a\r\nset-cookie: evil=1' }, body: 'no' };
      }),
    )
    .get(
      '/split-stream',
      fn(function* () {
        return { headers: { 'x-a': 'a\r\nset-cookie: evil=1' }, body: { write: (sink: BodySink) => sink.write('no') } };
      }),
    )
    .post(
      '/upper',
      fn(function* (r: Request) {
        // A streamed response that reads the request body as it writes.
        return {
          body: {
            write: fn(function* (sink: BodySink) {
              for (let chunk = yield* r.body.read(); chunk.length > 0; chunk = yield* r.body.read())
                yield* sink.write(chunk.toString().toUpperCase());
            }),
          },
        };
      }),
    )
    .get(
      '/lie',
      fn(function* () {
        return { body: { length: 10, write: (sink: BodySink) => sink.write('12345') } };
      }),
    );
}

const GET = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;

describe.each(drivers)('HttpServer on %s', (driver) => {
  let s: Running;
  beforeAll(async () => {
    s = await startServer(driver, routes().handler(), {
      onError: (e) => errors.push(e),
      headersTimeout: 300,
      keepAliveTimeout: 300,
      bodyTimeout: 300,
      maxBodyBytes: 4 * 1024 * 1024,
    });
  });
  afterAll(async () => {
    await s.stop();
  });

  it('answers fetch with status, headers and body', async () => {
    const res = await fetch(`${s.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.headers.get('content-length')).toBe('5');
    expect(Date.parse(res.headers.get('date')!)).toBeGreaterThan(Date.now() - 5000);
    expect(await res.text()).toBe('hello');
  });

  it('keeps a connection alive across requests and answers pipelined requests in order', async () => {
    const c = await rawConnection(s.port);
    c.socket.write(GET('/id/1'));
    await eventually(() => statuses(c.received()).length === 1);
    c.socket.write(GET('/id/2') + GET('/id/3') + GET('/id/4', 'Connection: close\r\n'));
    await c.ended;
    const text = c.received();
    expect(statuses(text)).toEqual([200, 200, 200, 200]);
    expect([...text.matchAll(/id=(\d)/g)].map((m) => m[1])).toEqual(['1', '2', '3', '4']);
    expect(text.match(/connection: close/g)).toHaveLength(1);
  });

  it('a streamed response may read the request body; with Expect: 100-continue the 100 comes before its head', async () => {
    const plain = await rawExchange(
      s.port,
      'POST /upper HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello',
    );
    expect(plain.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(plain.text).toContain('\r\n5\r\nHELLO\r\n0\r\n\r\n');
    const c = await rawConnection(s.port);
    c.socket.write(
      'POST /upper HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n',
    );
    await eventually(() => c.received().includes('100 Continue'));
    c.socket.write('hello');
    await c.ended;
    const text = c.received();
    expect(text.indexOf('HTTP/1.1 100 Continue\r\n\r\n')).toBe(0);
    expect(text).toContain('\r\n5\r\nHELLO\r\n0\r\n\r\n');
    expect(text.split('100 Continue').length).toBe(2);
  });

  it('an HTTP/1.0 streamed response without a length says Connection: close and closes, body or not (HEAD)', async () => {
    const { text, closed } = await rawExchange(
      s.port,
      'HEAD /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
    );
    expect(statuses(text)).toEqual([200]); // the second request is not served: the connection ended
    expect(text).toMatch(/connection: close\r\n/);
    expect(closed).toBe(true);
  });

  it('reads Content-Length and chunked bodies (extensions and trailers skipped)', async () => {
    const payload = Buffer.alloc(300_000, 'x');
    const res = await fetch(`${s.url}/echo`, { method: 'POST', body: payload });
    expect(Buffer.from(await res.arrayBuffer()).equals(payload)).toBe(true);
    const chunked =
      'POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
      '5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n';
    const { text } = await rawExchange(s.port, chunked);
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text.endsWith('\r\n\r\nhello world')).toBe(true);
  });

  it('streams a body of unknown length chunked, and close-delimited to HTTP/1.0', async () => {
    const res = await fetch(`${s.url}/stream?n=2000`);
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    const lines = (await res.text()).trim().split('\n');
    expect(lines).toHaveLength(2000);
    expect(lines[1999]).toBe('1999');
    const old = await rawExchange(s.port, 'GET /stream?n=3 HTTP/1.0\r\n\r\n');
    expect(old.closed).toBe(true);
    expect(old.text).not.toMatch(/transfer-encoding/);
    expect(old.text.endsWith('\r\n\r\n0\n1\n2\n')).toBe(true);
  });

  it('sends 100 Continue when the handler reads a body the client held back (curl)', async () => {
    const { stdout, stderr } = await run('curl', [
      '-sv',
      '-H',
      'Expect: 100-continue',
      '--data-binary',
      'x'.repeat(5000),
      `${s.url}/echo`,
    ]);
    expect(stdout).toBe('x'.repeat(5000));
    expect(stderr).toMatch(/HTTP\/1\.1 100 Continue/);
  });

  it('answers HEAD with the head only', async () => {
    const { text } = await rawExchange(s.port, 'HEAD / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    expect(text).toMatch(/content-length: 5\r\n/);
    expect(text.endsWith('\r\n\r\n')).toBe(true);
  });

  it.each([
    ['a malformed request line', 'BLAH\r\n\r\n', 400],
    ['a request line too long', `GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: t\r\n\r\n`, 414],
    ['headers too large', `GET / HTTP/1.1\r\nHost: t\r\nX: ${'a'.repeat(17000)}\r\n\r\n`, 431],
    [
      'too many headers',
      `GET / HTTP/1.1\r\nHost: t\r\n${Array.from({ length: 101 }, (_, i) => `h${i}: 1\r\n`).join('')}\r\n`,
      431,
    ],
    ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: t\r\n\r\n', 505],
    [
      'Content-Length with Transfer-Encoding',
      'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
    ],
    ['a gzip transfer coding', 'POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 501],
    ['a body over the limit', `POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: ${8 * 1024 * 1024}\r\n\r\n`, 413],
    ['a malformed chunk', 'POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400],
    ['an unknown expectation', 'GET / HTTP/1.1\r\nHost: t\r\nExpect: teapot\r\n\r\n', 417],
  ])('answers %s with %i and closes', async (_what, request, status) => {
    const { text, closed } = await rawExchange(s.port, request);
    expect(statuses(text)).toEqual([status]);
    expect(text).toMatch(/connection: close\r\n/);
    expect(text).toMatch(/Expected .+, got /);
    expect(closed).toBe(true);
  });

  it('a smuggled second request after a conflicting one is never served', async () => {
    const attack =
      'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /id/9 HTTP/1.1\r\nHost: t\r\n\r\n';
    const { text } = await rawExchange(s.port, attack);
    expect(statuses(text)).toEqual([400]);
    expect(text).not.toMatch(/id=9/);
  });

  it('closes a slow head with 408 after headersTimeout (slowloris), and an idle connection after keepAliveTimeout', async () => {
    const started = Date.now();
    const slow = await rawConnection(s.port);
    slow.socket.write('GET / HTTP/1.1\r\nHo');
    await slow.ended;
    expect(statuses(slow.received())).toEqual([408]);
    expect(Date.now() - started).toBeLessThan(2000);
    const idle = await rawConnection(s.port);
    idle.socket.write(GET('/'));
    await idle.ended;
    expect(statuses(idle.received())).toEqual([200]);
  });

  it('answers 408 when a body stalls past bodyTimeout', async () => {
    const { text, closed } = await rawExchange(
      s.port,
      'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc',
    );
    expect(statuses(text)).toEqual([408]);
    expect(closed).toBe(true);
  });

  it('turns a handler error into 500 (reported to onError) and keeps the connection', async () => {
    const before = errors.length;
    const c = await rawConnection(s.port);
    c.socket.write(GET('/fail') + GET('/', 'Connection: close\r\n'));
    await c.ended;
    expect(statuses(c.received())).toEqual([500, 200]);
    expect((errors[before] as Error).message).toBe('boom');
  });

  it('refuses response splitting: a header value with CRLF is a 500, nothing injected', async () => {
    const { text } = await rawExchange(s.port, GET('/split', 'Connection: close\r\n'));
    expect(statuses(text)).toEqual([500]);
    expect(text).not.toMatch(/set-cookie/i);
  });

  it('refuses response splitting in a streamed response too', async () => {
    const { text } = await rawExchange(s.port, GET('/split-stream', 'Connection: close\r\n'));
    expect(statuses(text)).toEqual([500]);
    expect(text).not.toMatch(/set-cookie/i);
  });

  it('closes the connection when a streamed body breaks its declared length', async () => {
    const { text, closed } = await rawExchange(s.port, GET('/lie'));
    expect(statuses(text)).toEqual([200]);
    expect(closed).toBe(true);
  });

  it('discards a small unread body and keeps the connection; closes after a large one', async () => {
    const small = await rawExchange(
      s.port,
      'POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789' +
        GET('/id/5', 'Connection: close\r\n'),
    );
    expect(statuses(small.text)).toEqual([200, 200]);
    expect(small.text).toMatch(/id=5/);
    const big = await rawExchange(
      s.port,
      `POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n${'x'.repeat(100_000)}`,
    );
    expect(statuses(big.text)).toEqual([200]);
    expect(big.text).toMatch(/connection: close/);
    expect(big.closed).toBe(true);
  });

  it('serves 2,000 requests from 50 concurrent keep-alive clients and leaks no fd', async () => {
    const before = fdCount();
    const client = async (k: number) => {
      const c = await rawConnection(s.port);
      for (let i = 0; i < 40; i++) {
        const want = statuses(c.received()).length + 1;
        c.socket.write(GET(`/id/${(k + i) % 10}`, i === 39 ? 'Connection: close\r\n' : ''));
        await eventually(() => statuses(c.received()).length === want, 5000);
      }
      await c.ended;
      return [...c.received().matchAll(/id=(\d)/g)].map((m) => Number(m[1]));
    };
    const results = await Promise.all(Array.from({ length: 50 }, (_, k) => client(k)));
    results.forEach((ids, k) => expect(ids).toEqual(Array.from({ length: 40 }, (_, i) => (k + i) % 10)));
    await eventually(() => fdCount() <= before, 2000);
  });
});

describe.each(drivers)('HttpServer lifecycle on %s', (driver) => {
  it('graceful shutdown: in-flight requests finish with Connection: close, idle ones close, new ones are refused', async () => {
    const s = await startServer(driver, routes().handler());
    const idle = await rawConnection(s.port);
    idle.socket.write(GET('/'));
    await eventually(() => statuses(idle.received()).length === 1);
    const busy = rawExchange(s.port, GET('/slow?ms=300'));
    await new Promise((r) => setTimeout(r, 100));
    const report = s.stop(5000);
    await idle.ended; // closed at once, not after keepAliveTimeout
    const { text } = await busy;
    expect(statuses(text)).toEqual([200]);
    expect(text).toMatch(/connection: close/);
    expect(text).toMatch(/slow done$/);
    expect(await report).toEqual({ accepted: 2, abandoned: 0 });
    await expect(
      new Promise((resolve, reject) => connect(s.port, '127.0.0.1').once('connect', resolve).once('error', reject)),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('a streamed response still being sent when shutdown begins arrives whole, its last chunk included', async () => {
    const s = await startServer(driver, routes().handler());
    const c = await rawConnection(s.port);
    c.socket.pause(); // take nothing: the server's sends back up
    c.socket.write(GET('/stream?n=100&pad=65536'));
    await new Promise((r) => setTimeout(r, 200));
    const report = s.stop(5000);
    c.socket.resume();
    await c.ended;
    const text = c.received();
    expect(statuses(text)).toEqual([200]);
    expect(text.endsWith('\r\n0\r\n\r\n')).toBe(true);
    const body = text.slice(text.indexOf('\r\n\r\n') + 4).replace(/[0-9a-f]+\r\n([^\r]*)\r\n/g, '$1');
    expect(body.split('\n').filter((l) => l !== '')).toHaveLength(100);
    expect(await report).toEqual({ accepted: 1, abandoned: 0 });
  });

  it('aborts what is still running at the grace deadline and says so', async () => {
    const s = await startServer(driver, routes().handler());
    const busy = rawExchange(s.port, GET('/slow?ms=10000'), 5000);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    expect(await s.stop(100)).toEqual({ accepted: 1, abandoned: 1 });
    expect(Date.now() - started).toBeLessThan(2000);
    const { text, closed } = await busy;
    expect(text).toBe('');
    expect(closed).toBe(true);
  });

  it('closes after maxRequestsPerConnection', async () => {
    const s = await startServer(driver, () => ready({ body: 'x' }), { maxRequestsPerConnection: 2 });
    const { text, closed } = await rawExchange(s.port, GET('/') + GET('/') + GET('/'));
    expect(statuses(text)).toEqual([200, 200]);
    expect(closed).toBe(true);
    await s.stop();
  });
});

describe('HttpServer options', () => {
  it.each([
    [{ maxHeaders: 0 }, /Expected option maxHeaders to be a positive integer, got number 0/],
    [{ keepAliveTimeout: 'soon' }, /Expected option keepAliveTimeout to be a positive integer, got the string "soon"/],
    [{ onResponse: 3 }, /Expected option onResponse to be a function, got number 3/],
    [{ maxHeader: 3 }, /Expected options among .*; got "maxHeader"/],
  ])('refuses %j with a typed error', (options, message) => {
    let error: unknown;
    try {
      HttpServer.bind('127.0.0.1:0', () => ready({}), options as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ZokioError);
    expect((error as ZokioError).code).toBe('ERR_INVALID_ARG_VALUE');
    expect((error as Error).message).toMatch(message);
  });
});
