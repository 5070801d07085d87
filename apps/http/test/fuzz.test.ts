/**
 * The HTTP parser fuzzed through the server, on every driver: random bytes, mutated pipelines of valid requests,
 * and generated malformed requests of each class, each sent on a fresh raw socket and half-closed. Properties:
 *
 * - no crash: every response is a well-formed response with a status from the documented set (`200`, the router's
 *   `404`/`405`, `100 Continue`, and `400`, `413`, `414`, `417`, `431`, `501`, `505` for bad input), never a `500`,
 *   a refusal is always the last response on its connection, and `onError` is never called;
 * - no hang: every connection is closed by the server within 3 s;
 * - the right status: each malformed class gets exactly its status (`414`, `431`, `413`, `501`, `505`, `400`);
 * - unmutated requests get their exact answers;
 * - afterwards the server is up (a valid request succeeds), holds no connection, and over 500 more requests
 *   (after 500 of warm-up) its heap grows by less than a bound smaller than the bodies they carried.
 *
 * Runs are bounded (`numRuns`, and `interruptAfterTimeLimit` a few seconds per property) and the seed is fixed,
 * so a failure replays. `head.test.ts` fuzzes `parseHead` alone; this drives the whole connection.
 */
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fn } from '@zokio/future';
import { Router, type Request } from '../src/index.js';
import { drivers, eventually, startServer, type Running } from './harness.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SEED = 20261207;
const LIMITS = {
  maxRequestLineBytes: 512,
  maxHeaderBytes: 2048,
  maxHeaders: 16,
  maxBodyBytes: 4096,
  headersTimeout: 2000,
  bodyTimeout: 2000,
  keepAliveTimeout: 2000,
};
/** Every status the server may send here: the routes' and the documented refusals. */
const ALLOWED = new Set([100, 200, 404, 405, 400, 413, 414, 417, 431, 501, 505]);

const router = new Router()
  .get(
    '/',
    fn(function* () {
      return { body: 'root' };
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
  );

interface Reply {
  readonly status: number;
  readonly body: string;
}

/** Sends `bytes`, half-closes, and collects until the server closes (or `ms` passes: `closed` false). */
function exchange(port: number, bytes: Uint8Array, ms = 3000): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(() => done(false), ms);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => done(true)); // ECONNRESET, EPIPE: the server closed on us
    socket.on('close', () => done(true));
    socket.end(bytes);
  });
}

/** Parses a byte stream of responses (bodies framed by Content-Length; the server sends nothing else here). */
function replies(data: Buffer): Reply[] {
  const out: Reply[] = [];
  for (let at = 0; at < data.length;) {
    const end = data.indexOf('\r\n\r\n', at, 'latin1');
    const head = data.toString('latin1', at, end < 0 ? data.length : end);
    const m = /^HTTP\/1\.1 (\d{3}) [^\r\n]*\r\n/.exec(head + '\r\n');
    if (end < 0 || m === null) throw new Error(`Expected a response at byte ${at}, got ${JSON.stringify(head)}`);
    const status = Number(m[1]);
    const length = /\r\ncontent-length: (\d+)/.exec(head);
    const n = status < 200 || length === null ? 0 : Number(length[1]);
    if (end + 4 + n > data.length) throw new Error(`Expected ${n} body bytes at byte ${end + 4}, got fewer`);
    out.push({ status, body: data.toString('latin1', end + 4, end + 4 + n) });
    at = end + 4 + n;
  }
  return out;
}

/** A well-formed request and the reply it must get. */
interface Valid {
  readonly wire: string;
  readonly want: Reply;
}

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,10}$/);
const fieldValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,20}[\x21-\x7e])?$/);
const extraFields = fc
  .uniqueArray(fc.tuple(token, fieldValue), { maxLength: 4, selector: ([n]) => n.toLowerCase() })
  .map((fields) =>
    fields
      .filter(
        ([n]) => !['host', 'content-length', 'transfer-encoding', 'expect', 'connection'].includes(n.toLowerCase()),
      )
      .map(([n, v]) => `${n}: ${v}\r\n`)
      .join(''),
  );
const bodyText = fc.stringMatching(/^[\x20-\x7e]{0,200}$/);

const valid: fc.Arbitrary<Valid> = fc.oneof(
  fc.tuple(fc.nat({ max: 9999 }), extraFields).map(([id, extra]) => ({
    wire: `GET /id/${id} HTTP/1.1\r\nHost: h\r\n${extra}\r\n`,
    want: { status: 200, body: `id=${id}` },
  })),
  fc.tuple(bodyText, extraFields).map(([body, extra]) => ({
    wire: `POST /echo HTTP/1.1\r\nHost: h\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`,
    want: { status: 200, body },
  })),
  fc.tuple(fc.array(fc.stringMatching(/^[\x20-\x7e]{1,40}$/), { maxLength: 4 }), extraFields).map(([parts, extra]) => ({
    wire:
      `POST /echo HTTP/1.1\r\nHost: h\r\n${extra}Transfer-Encoding: chunked\r\n\r\n` +
      parts.map((p) => `${p.length.toString(16)}\r\n${p}\r\n`).join('') +
      '0\r\n\r\n',
    want: { status: 200, body: parts.join('') },
  })),
  fc.constant({
    wire: 'DELETE / HTTP/1.1\r\nHost: h\r\n\r\n',
    want: { status: 405, body: 'Method Not Allowed: DELETE\n' },
  }),
);

/** Bytes a mutation inserts: framing-relevant tokens, and random bytes. */
const insertion = fc.oneof(
  fc.constantFrom(
    '\r\n',
    '\n',
    '\r',
    ' ',
    '\t',
    ':',
    '\0',
    '\x0b',
    '\xa0',
    ',',
    ';',
    'chunked',
    'Content-Length: 1\r\n',
    'Content-Length: 99999\r\n',
    'Transfer-Encoding: chunked\r\n',
    'Expect: 100-continue\r\n',
    'Host: x\r\n',
    '0\r\n\r\n',
    'ffffffff',
    '-1',
    'HTTP/1.0',
    '%00',
  ),
  fc.uint8Array({ minLength: 1, maxLength: 8 }).map((b) => Buffer.from(b).toString('latin1')),
);

type Mutation =
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'insert'; readonly at: number; readonly text: string }
  | { readonly kind: 'delete'; readonly at: number; readonly n: number }
  | { readonly kind: 'repeat'; readonly at: number; readonly n: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: insertion }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 64 }) }),
);

function mutate(wire: string, mutations: readonly Mutation[]): string {
  let s = wire;
  for (const m of mutations) {
    const at = m.at % (s.length + 1);
    if (m.kind === 'set') s = s.slice(0, at) + String.fromCharCode(m.byte) + s.slice(at + 1);
    else if (m.kind === 'insert') s = s.slice(0, at) + m.text + s.slice(at);
    else if (m.kind === 'delete') s = s.slice(0, at) + s.slice(at + m.n);
    else s = s.slice(0, at) + s.slice(at, at + m.n) + s.slice(at);
  }
  return s;
}

/** Malformed requests of each class, with the one status each must get. */
const malformed: fc.Arbitrary<readonly [string, number]> = fc.oneof(
  fc.nat({ max: 3000 }).map((k) => [`GET /${'a'.repeat(499 + k)} HTTP/1.1\r\nHost: h\r\n\r\n`, 414] as const),
  fc.nat({ max: 3000 }).map((k) => [`GET / HTTP/1.1\r\nHost: h\r\nX: ${'v'.repeat(2030 + k)}\r\n\r\n`, 431] as const),
  fc
    .integer({ min: 17, max: 60 })
    .map(
      (n) =>
        [
          `GET / HTTP/1.1\r\nHost: h\r\n${Array.from({ length: n - 1 }, (_, i) => `x${i}: ${i}\r\n`).join('')}\r\n`,
          431,
        ] as const,
    ),
  fc
    .nat({ max: 1e9 })
    .map((k) => [`POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: ${4097 + k}\r\n\r\n`, 413] as const),
  fc
    .nat({ max: 1e9 })
    .map(
      (k) =>
        [
          `POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n${(4097 + k).toString(16)}\r\n`,
          413,
        ] as const,
    ),
  fc
    .constantFrom('gzip', 'deflate', 'compress', 'br', 'x-custom')
    .map((c) => [`POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ${c}, chunked\r\n\r\n0\r\n\r\n`, 501] as const),
  fc
    .constantFrom('HTTP/1.2', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/3.0')
    .map((v) => [`GET / ${v}\r\nHost: h\r\n\r\n`, 505] as const),
  fc
    .constantFrom('HTTP/1.1x', 'http/1.1', 'HTTP/11', 'HTTP/1.', 'HTTP 1.1', 'HTTP/1.1 ')
    .map((v) => [`GET / ${v}\r\nHost: h\r\n\r\n`, 400] as const),
  fc
    .tuple(token, fc.constantFrom(...'(),/:;<=>?@[\\]{}"'), token)
    .map(([a, bad, b]) => [`${a}${bad}${b} / HTTP/1.1\r\nHost: h\r\n\r\n`, 400] as const),
  fc
    .tuple(
      fieldValue,
      fc.integer({ min: 0, max: 0x1f }).filter((c) => c !== 9),
      fc.nat(),
    )
    .map(([v, c, at]) => {
      const i = at % (v.length + 1);
      const value = v.slice(0, i) + String.fromCharCode(c) + v.slice(i);
      return [`GET / HTTP/1.1\r\nHost: h\r\nX: ${value}\r\n\r\n`, 400] as const;
    }),
  fc
    .tuple(fc.boolean(), fc.constantFrom('chunked', 'Chunked', 'CHUNKED'), fc.nat({ max: 4096 }))
    .map(([clFirst, te, n]) => {
      const cl = `Content-Length: ${n}\r\n`;
      const tf = `Transfer-Encoding: ${te}\r\n`;
      return [`POST /echo HTTP/1.1\r\nHost: h\r\n${clFirst ? cl + tf : tf + cl}\r\n0\r\n\r\n`, 400] as const;
    }),
  fc
    .tuple(fc.nat({ max: 4096 }), fc.nat({ max: 4096 }))
    .filter(([a, b]) => a !== b)
    .map(
      ([a, b]) =>
        [`POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: ${a}\r\nContent-Length: ${b}\r\n\r\n`, 400] as const,
    ),
  fc
    .tuple(fieldValue, fc.constantFrom(' ', '\t'), fieldValue)
    .map(([a, ws, b]) => [`GET / HTTP/1.1\r\nHost: h\r\nX: ${a}\r\n${ws}${b}\r\n\r\n`, 400] as const),
  fc.constant(['GET / HTTP/1.1\r\nX: 1\r\n\r\n', 400] as const),
);

describe.each(drivers)('the HTTP parser fuzzed through the server on %s', (driver) => {
  let s: Running;
  const errors: unknown[] = [];
  beforeAll(async () => {
    s = await startServer(driver, router.handler(), { ...LIMITS, onError: (e) => errors.push(e) });
  });
  afterAll(async () => {
    await s.stop();
  });

  const send = async (wire: string): Promise<Reply[]> => {
    const { data, closed } = await exchange(s.port, Buffer.from(wire, 'latin1'));
    expect(closed, `the server hung on ${JSON.stringify(wire.slice(0, 200))}`).toBe(true);
    const got = replies(data);
    for (const r of got) expect(ALLOWED.has(r.status), `status ${r.status}`).toBe(true);
    // A refusal is always the last response: after bad input nothing more on the connection is read.
    const refused = got.findIndex((r) => r.status >= 400 && r.status !== 404 && r.status !== 405);
    if (refused >= 0) expect(refused).toBe(got.length - 1);
    return got;
  };

  it('random bytes, after nothing or after a valid start: only documented statuses, always closed', async () => {
    const prefix = fc.constantFrom('', 'GET / HTTP/1.1\r\n', 'POST /echo HTTP/1.1\r\nHost: h\r\n', 'GET /');
    await fc.assert(
      fc.asyncProperty(prefix, fc.uint8Array({ maxLength: 3000 }), async (p, bytes) => {
        await send(p + Buffer.from(bytes).toString('latin1'));
      }),
      { seed: SEED, numRuns: 150, interruptAfterTimeLimit: 8000 },
    );
    expect(errors).toEqual([]);
  }, 30_000);

  it('pipelines of valid requests, mutated: only documented statuses; unmutated, the exact answers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(valid, { minLength: 1, maxLength: 4 }),
        fc.array(mutation, { maxLength: 4 }),
        async (requests, mutations) => {
          const wire = requests.map((r) => r.wire).join('');
          const got = await send(mutate(wire, mutations));
          if (mutations.length === 0) expect(got).toEqual(requests.map((r) => r.want));
        },
      ),
      { seed: SEED, numRuns: 200, interruptAfterTimeLimit: 8000 },
    );
    expect(errors).toEqual([]);
  }, 30_000);

  it('each class of malformed request gets exactly its status, and the connection closes', async () => {
    await fc.assert(
      fc.asyncProperty(malformed, async ([wire, status]) => {
        const got = await send(wire);
        expect(got.map((r) => r.status)).toEqual([status]);
      }),
      { seed: SEED, numRuns: 200, interruptAfterTimeLimit: 8000 },
    );
    expect(errors).toEqual([]);
  }, 30_000);

  it('afterwards: still serving, no connection held, heap bounded over 500 more requests', async () => {
    const res = await fetch(`${s.url}/id/7`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('id=7');
    await eventually(() => s.server.connections === 0, 5000);

    const burst = async () => {
      for (let i = 0; i < 20; i++)
        await Promise.all(
          Array.from({ length: 25 }, (_, k) =>
            (k % 2 === 0
              ? send(`POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 4000\r\n\r\n${'e'.repeat(4000)}`)
              : send(`GET /${'j'.repeat(600)} HTTP/1.1\r\n`)
            ).then((got) => expect(got.map((r) => r.status)).toEqual([k % 2 === 0 ? 200 : 414])),
          ),
        );
    };
    await burst(); // warm up: the first requests fill lazily made tables and pools
    await eventually(() => s.server.connections === 0, 5000);
    gc();
    const before = process.memoryUsage().heapUsed;
    await burst();
    await eventually(() => s.server.connections === 0, 5000);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    // 500 requests carried 4,000-byte bodies (2 MB in, 2 MB out): retaining each one's would exceed this.
    expect(grown).toBeLessThan(1.5 * 1024 * 1024);
    expect(errors).toEqual([]);
  }, 60_000);
});
