import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HttpError } from '../src/errors.js';
import { parseHead } from '../src/head.js';
import { resolveOptions } from '../src/options.js';

const limits = resolveOptions({ maxRequestLineBytes: 100, maxHeaderBytes: 400, maxHeaders: 5, maxBodyBytes: 1000 });
const parse = (text: string) => parseHead(Buffer.from(text, 'latin1'), limits);

function refusal(text: string): { status: number; code: string; message: string } {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    const e = error as HttpError;
    return { status: e.status, code: e.code, message: e.message };
  }
  throw new Error(`Expected ${JSON.stringify(text)} to be refused, got a head`);
}

describe('parseHead', () => {
  it('parses a request line and headers, lower-casing names and joining repeats', () => {
    const head = parse('GET /a?b=1 HTTP/1.1\r\nHost: x\r\nAccept: a\r\naccept: b\r\nX-Y:  v  \r\n\r\nrest')!;
    expect(head).toMatchObject({ method: 'GET', target: '/a?b=1', version: 'HTTP/1.1', keepAlive: true });
    expect(head.headers).toEqual({ host: 'x', accept: 'a, b', 'x-y': 'v' });
    expect(head.framing).toEqual({ kind: 'none' });
    expect(head.size).toBe(
      Buffer.byteLength('GET /a?b=1 HTTP/1.1\r\nHost: x\r\nAccept: a\r\naccept: b\r\nX-Y:  v  \r\n\r\n'),
    );
  });

  it('keeps fields named like Object.prototype members as plain fields', () => {
    const head = parse('GET / HTTP/1.1\r\nHost: h\r\n__proto__: x\r\nconstructor: y\r\n\r\n')!;
    expect(head.headers['__proto__']).toBe('x');
    expect(head.headers['constructor']).toBe('y');
    expect(head.headers['toString']).toBeUndefined();
    expect(Object.keys(head.headers)).toEqual(['host', '__proto__', 'constructor']);
  });

  it('returns undefined until the head is complete, at every split point', () => {
    const text = 'POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n';
    for (let i = 0; i < text.length; i++) expect(parse(text.slice(0, i))).toBeUndefined();
    expect(parse(text)!.framing).toEqual({ kind: 'length', length: 3 });
  });

  it('skips empty lines before the request line', () => {
    expect(parse('\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n')!.size).toBe(
      4 + 'GET / HTTP/1.1\r\nHost: h\r\n\r\n'.length,
    );
  });

  it('decides keep-alive from the version and Connection', () => {
    expect(parse('GET / HTTP/1.0\r\n\r\n')!.keepAlive).toBe(false);
    expect(parse('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')!.keepAlive).toBe(true);
    expect(parse('GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n')!.keepAlive).toBe(false);
    expect(parse('GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade, close\r\n\r\n')!.keepAlive).toBe(false);
  });

  it('frames chunked bodies and identical repeated Content-Lengths', () => {
    expect(parse('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n')!.framing).toEqual({
      kind: 'chunked',
    });
    expect(parse('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n')!.framing).toEqual({
      kind: 'length',
      length: 5,
    });
    expect(parse('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n')!.framing).toEqual({ kind: 'none' });
  });

  it.each([
    ['a request line too long', `GET /${'a'.repeat(120)} HTTP/1.1\r\n`, 414, 'ERR_HTTP_REQUEST_LINE_TOO_LONG'],
    [
      'a head too large',
      `GET / HTTP/1.1\r\nHost: h\r\nX: ${'a'.repeat(90)}\r\nY: ${'a'.repeat(90)}\r\nZ: ${'a'.repeat(90)}\r\nW: ${'a'.repeat(90)}\r\n`,
      431,
      'ERR_HTTP_HEADERS_TOO_LARGE',
    ],
    [
      'too many headers',
      'GET / HTTP/1.1\r\nHost: h\r\na: 1\r\nb: 1\r\nc: 1\r\nd: 1\r\ne: 1\r\n\r\n',
      431,
      'ERR_HTTP_TOO_MANY_HEADERS',
    ],
    ['a request line without version', 'GET /\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_BAD_REQUEST_LINE'],
    ['two spaces in the request line', 'GET  / HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_BAD_REQUEST_LINE'],
    ['a bad method', 'G(T / HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_BAD_METHOD'],
    ['a relative target', 'GET a/b HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_BAD_TARGET'],
    ['a control character in the target', 'GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_BAD_TARGET'],
    ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: h\r\n\r\n', 505, 'ERR_HTTP_VERSION'],
    ['a garbage version', 'GET / HTTQ/1.1\r\nHost: h\r\n\r\n', 400, 'ERR_HTTP_BAD_REQUEST_LINE'],
    ['a header without colon', 'GET / HTTP/1.1\r\nHost: h\r\nnocolon\r\n\r\n', 400, 'ERR_HTTP_BAD_HEADER'],
    ['whitespace before the colon', 'GET / HTTP/1.1\r\nHost : h\r\n\r\n', 400, 'ERR_HTTP_BAD_HEADER'],
    ['obsolete line folding', 'GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n', 400, 'ERR_HTTP_OBS_FOLD'],
    ['a bare LF in a value', 'GET / HTTP/1.1\r\nHost: h\r\nX: a\nb\r\n\r\n', 400, 'ERR_HTTP_BAD_HEADER'],
    ['no Host in HTTP/1.1', 'GET / HTTP/1.1\r\nX: 1\r\n\r\n', 400, 'ERR_HTTP_BAD_HOST'],
    ['two Hosts', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400, 'ERR_HTTP_BAD_HOST'],
    [
      'a non-numeric Content-Length',
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1e3\r\n\r\n',
      400,
      'ERR_HTTP_BAD_CONTENT_LENGTH',
    ],
    [
      'a negative Content-Length',
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n',
      400,
      'ERR_HTTP_BAD_CONTENT_LENGTH',
    ],
    [
      'two different Content-Lengths',
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n',
      400,
      'ERR_HTTP_BAD_CONTENT_LENGTH',
    ],
    [
      'Content-Length and Transfer-Encoding (smuggling)',
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n',
      400,
      'ERR_HTTP_CONFLICTING_FRAMING',
    ],
    [
      'Transfer-Encoding not ending in chunked',
      'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n',
      400,
      'ERR_HTTP_BAD_TRANSFER_ENCODING',
    ],
    [
      'an obfuscated Transfer-Encoding',
      'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n',
      400,
      'ERR_HTTP_BAD_TRANSFER_ENCODING',
    ],
    [
      'a coding other than chunked',
      'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
      501,
      'ERR_HTTP_UNSUPPORTED_TRANSFER_ENCODING',
    ],
    [
      'a body over maxBodyBytes',
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1001\r\n\r\n',
      413,
      'ERR_HTTP_BODY_TOO_LARGE',
    ],
  ])('refuses %s', (_what, text, status, code) => {
    const r = refusal(text);
    expect(r).toMatchObject({ status, code });
    expect(r.message).toMatch(/^Expected .+, got .+/);
  });

  it('never throws anything but an HttpError, and never reads past its head (random bytes)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          const head = parseHead(Buffer.from(bytes), limits);
          if (head !== undefined) expect(head.size).toBeLessThanOrEqual(bytes.length);
        } catch (error) {
          expect(error).toBeInstanceOf(HttpError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('parses any well-formed head, and mutations of it only ever succeed or fail with an HttpError', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
    const value = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,20}[\x21-\x7e])?$/);
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'POST', 'DELETE', 'PURGE'),
        fc.stringMatching(/^\/[\x21-\x7e]{0,30}$/),
        fc.uniqueArray(fc.tuple(token, value), { maxLength: 3, selector: ([n]) => n.toLowerCase() }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (method, target, fields, at, byte) => {
          const named = fields.filter(
            ([n]) => !['host', 'content-length', 'transfer-encoding'].includes(n.toLowerCase()),
          );
          const text = `${method} ${target} HTTP/1.1\r\nHost: h\r\n${named.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
          const head = parse(text)!;
          expect(head.method).toBe(method);
          expect(head.target).toBe(target);
          for (const [n, v] of named) expect(head.headers[n.toLowerCase()]).toBe(v);
          const mutated = Buffer.from(text, 'latin1');
          mutated[at % mutated.length] = byte;
          try {
            parseHead(mutated, limits);
          } catch (error) {
            expect(error).toBeInstanceOf(HttpError);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
