/**
 * `writeHead`: the response head it writes, and its checks of header names and values — which remember what they
 * already accepted, so a header sent on every response is checked once. What was refused is never remembered: a bad
 * name or value is refused every time, also after the same name with a good value, and after the memory started over.
 */
import { describe, expect, it } from 'vitest';
import { writeHead } from '../src/response.js';

const head = (headers: Record<string, string | string[]>) => writeHead(200, headers, 2, 'length', undefined);

describe('writeHead', () => {
  it('writes the status line, date, headers in order, framing, and the empty line', () => {
    const text = head({ 'content-type': 'text/plain', etag: 'W/"2-1"', 'set-cookie': ['a=1', 'b=2'] });
    expect(text).toMatch(
      /^HTTP\/1\.1 200 OK\r\ndate: .+ GMT\r\ncontent-type: text\/plain\r\netag: W\/"2-1"\r\nset-cookie: a=1\r\nset-cookie: b=2\r\ncontent-length: 2\r\n\r\n$/,
    );
    expect(head({ 'content-type': 'text/plain' })).toContain('content-type: text/plain\r\n'); // again, remembered
  });

  it('refuses a bad value every time, also after the same header with a good value', () => {
    expect(head({ 'x-a': 'ok' })).toContain('x-a: ok\r\n');
    for (let i = 0; i < 2; i++) {
      expect(() => head({ 'x-a': 'ok\r\nset-cookie: evil=1' })).toThrow(/Expected a header value of latin1 text/);
    }
  });

  it('refuses a bad name every time, and leaves out framing headers the server sets itself', () => {
    for (let i = 0; i < 2; i++) expect(() => head({ 'bad name': 'x' })).toThrow(/Expected a header name token/);
    for (let i = 0; i < 2; i++) {
      const text = head({ 'Content-Length': '999', Connection: 'upgrade' });
      expect(text).not.toMatch(/999|upgrade/);
      expect(text).toContain('content-length: 2\r\n');
    }
  });

  it('still refuses bad input after the remembered names and values started over', () => {
    for (let i = 0; i < 3000; i++) head({ [`x-${i}`]: `value ${i}` });
    expect(() => head({ 'x-1': 'bad\n' })).toThrow(/Expected a header value/);
    expect(() => head({ 'x y': 'fine' })).toThrow(/Expected a header name token/);
    expect(head({ 'x-1': 'value 1' })).toContain('x-1: value 1\r\n');
  });
});
