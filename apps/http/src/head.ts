/**
 * The request-head parser: request line and header fields, per RFC 9112, strict where leniency enables request
 * smuggling and bounded everywhere.
 *
 * `parseHead(buf, limits)` looks at the unparsed bytes of a connection. It returns `undefined` when the head is not
 * complete yet (the caller reads more), a {@link RequestHead} when it is, and throws an {@link HttpError} when the
 * bytes can never become a valid head:
 *
 * | input                                                        | status |
 * | ------------------------------------------------------------ | ------ |
 * | request line longer than `maxRequestLineBytes`               | 414    |
 * | head longer than `maxHeaderBytes`, more than `maxHeaders`    | 431    |
 * | bad method token, target, version syntax, header syntax       | 400    |
 * | obsolete line folding, whitespace before a colon, bare CR/LF  | 400    |
 * | a control character in a value (only SP and HTAB are trimmed) | 400    |
 * | HTTP/1.1 without exactly one `Host`                           | 400    |
 * | `Content-Length` not digits, or two different ones           | 400    |
 * | `Transfer-Encoding` and `Content-Length` together             | 400    |
 * | `Transfer-Encoding` whose last coding is not `chunked`        | 400    |
 * | `Transfer-Encoding` in an HTTP/1.0 request (RFC 9112 §6.1)    | 400    |
 * | a transfer coding other than `chunked`                        | 501    |
 * | a version other than HTTP/1.0 or HTTP/1.1                     | 505    |
 * | `Content-Length` above `maxBodyBytes`                         | 413    |
 *
 * Empty lines before the request line are skipped (RFC 9112 §2.2). Header names are lower-cased; repeated fields
 * are joined with `, ` (RFC 9110 §5.3), except the framing fields above.
 *
 * @module
 */
import { badRequest, HttpError, quote } from './errors.js';
import { all, TARGET_CHAR, TOKEN_CHAR, VALUE_CHAR } from './chars.js';
import type { Limits } from './options.js';

/** How the request body is framed. */
export type BodyFraming =
  { readonly kind: 'none' } | { readonly kind: 'length'; readonly length: number } | { readonly kind: 'chunked' };

/** A parsed request head. */
export interface RequestHead {
  readonly method: string;
  /** The request target as sent (`/path?query`, `http://host/path`, or `*`). */
  readonly target: string;
  /** `'HTTP/1.1'` or `'HTTP/1.0'`. */
  readonly version: 'HTTP/1.1' | 'HTTP/1.0';
  /** Header fields by lower-cased name; repeated fields joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly framing: BodyFraming;
  /** Whether the client lets the connection stay open after this request. */
  readonly keepAlive: boolean;
  /** Bytes of `buf` the head took, its final empty line included. */
  readonly size: number;
}

const NO_BODY: BodyFraming = { kind: 'none' };
const CRLF = Buffer.from('\r\n', 'latin1');
const END_OF_HEAD = Buffer.from('\r\n\r\n', 'latin1');
/** Methods every server sees: skip the token check. */
const COMMON_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);
const DIGITS = /^[0-9]+$/;

/**
 * Header fields by lower-cased name, in an object whose prototype chain is empty: a field named `__proto__` or
 * `constructor` is just a field, and lookups stay on V8's fast path (`Object.create(null)` objects start in the
 * slow dictionary mode, which cost this parser more than all its other work together).
 */
const HeaderFields = function HeaderFields() {} as unknown as new () => Record<string, string>;
HeaderFields.prototype = Object.create(null) as Record<string, string>;

/**
 * `text` without leading and trailing optional whitespace — space and tab only (RFC 9110 §5.6.3). Not
 * `String.prototype.trim`, which also strips VT, FF and NBSP (0xA0): `Transfer-Encoding: chunked\x0b` would pass as
 * `chunked` here while a proxy in front reads another coding — a request-smuggling gap.
 */
function trimOws(text: string): string {
  let from = 0;
  let to = text.length;
  while (from < to && (text.charCodeAt(from) === 32 || text.charCodeAt(from) === 9)) from++;
  while (to > from && (text.charCodeAt(to - 1) === 32 || text.charCodeAt(to - 1) === 9)) to--;
  return from === 0 && to === text.length ? text : text.slice(from, to);
}

const MAX_EMPTY_LINES = 8;

/** Parses the head at the start of `buf`, or returns `undefined` if it is incomplete. See the module doc. */
export function parseHead(buf: Buffer, limits: Limits): RequestHead | undefined {
  let start = 0;
  while (start <= 2 * MAX_EMPTY_LINES && start + 1 < buf.length && buf[start] === 13 && buf[start + 1] === 10)
    start += 2;
  // Empty lines before a request line are skipped (RFC 9112 §2.2: at least one), but not without end: they would
  // count against no limit, and every read would copy them again.
  if (start > 2 * MAX_EMPTY_LINES)
    throw new HttpError(
      400,
      'ERR_HTTP_BAD_REQUEST_LINE',
      `Expected at most ${MAX_EMPTY_LINES} empty lines before the request line, got more`,
    );
  const lineEnd = buf.indexOf(CRLF, start);
  if (lineEnd < 0 || lineEnd - start > limits.maxRequestLineBytes) {
    if (buf.length - start > limits.maxRequestLineBytes)
      throw new HttpError(
        414,
        'ERR_HTTP_REQUEST_LINE_TOO_LONG',
        `Expected a request line of at most ${limits.maxRequestLineBytes} bytes, got ${buf.length - start} without its end`,
      );
    return undefined;
  }
  const end = buf.indexOf(END_OF_HEAD, lineEnd);
  if (end < 0 || end + 4 - start > limits.maxHeaderBytes) {
    if (buf.length - start > limits.maxHeaderBytes)
      throw new HttpError(
        431,
        'ERR_HTTP_HEADERS_TOO_LARGE',
        `Expected a request head of at most ${limits.maxHeaderBytes} bytes, got ${buf.length - start} without its end`,
      );
    return undefined;
  }
  const text = buf.toString('latin1', start, end + 2);
  const line = text.slice(0, lineEnd - start);
  const sp1 = line.indexOf(' ');
  const sp2 = line.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0)
    throw badRequest('ERR_HTTP_BAD_REQUEST_LINE', 'a request line "METHOD target HTTP/1.1"', quote(line));
  const method = line.slice(0, sp1);
  const target = line.slice(sp1 + 1, sp2);
  const versionText = line.slice(sp2 + 1);
  if (!COMMON_METHODS.has(method) && !all(method, TOKEN_CHAR))
    throw badRequest('ERR_HTTP_BAD_METHOD', 'a method token', quote(method));
  if (
    target.length === 0 ||
    !all(target, TARGET_CHAR) ||
    !(target[0] === '/' || target === '*' || /^https?:\/\//i.test(target))
  )
    throw badRequest('ERR_HTTP_BAD_TARGET', 'a request target such as "/path?query"', quote(target));
  let version: 'HTTP/1.1' | 'HTTP/1.0';
  if (versionText === 'HTTP/1.1') version = 'HTTP/1.1';
  else if (versionText === 'HTTP/1.0') version = 'HTTP/1.0';
  else if (/^HTTP\/[0-9]\.[0-9]$/.test(versionText))
    throw new HttpError(505, 'ERR_HTTP_VERSION', `Expected HTTP/1.1 or HTTP/1.0, got ${quote(versionText)}`);
  else throw badRequest('ERR_HTTP_BAD_REQUEST_LINE', 'a version "HTTP/1.1"', quote(versionText));

  const headers = new HeaderFields();
  let count = 0;
  let hosts = 0;
  let contentLength: string | undefined;
  let transferEncoding: string | undefined;
  for (let at = lineEnd - start + 2; at < text.length;) {
    const eol = text.indexOf('\r\n', at);
    const field = text.slice(at, eol);
    at = eol + 2;
    if (++count > limits.maxHeaders)
      throw new HttpError(
        431,
        'ERR_HTTP_TOO_MANY_HEADERS',
        `Expected at most ${limits.maxHeaders} header fields, got more`,
      );
    const colon = field.indexOf(':');
    if (colon <= 0) {
      if (field[0] === ' ' || field[0] === '\t')
        throw badRequest('ERR_HTTP_OBS_FOLD', 'no obsolete line folding', quote(field));
      throw badRequest('ERR_HTTP_BAD_HEADER', 'a header field "Name: value"', quote(field));
    }
    const rawName = field.slice(0, colon);
    if (!all(rawName, TOKEN_CHAR))
      throw badRequest('ERR_HTTP_BAD_HEADER', 'a header name token (no whitespace before the colon)', quote(rawName));
    const value = trimOws(field.slice(colon + 1));
    if (!all(value, VALUE_CHAR))
      throw badRequest('ERR_HTTP_BAD_HEADER', 'a header value without control characters', quote(field));
    const name = rawName.toLowerCase();
    switch (name) {
      case 'host':
        hosts++;
        break;
      case 'content-length':
        // Repeated identical values ("5, 5" or two fields) are one length; different ones are smuggling.
        for (const part of value.split(',')) {
          const n = trimOws(part);
          if (!DIGITS.test(n))
            throw badRequest('ERR_HTTP_BAD_CONTENT_LENGTH', 'a Content-Length of digits', quote(value));
          if (contentLength !== undefined && contentLength !== n)
            throw badRequest('ERR_HTTP_BAD_CONTENT_LENGTH', 'one Content-Length', `${contentLength} and ${n}`);
          contentLength = n;
        }
        continue;
      case 'transfer-encoding':
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
        continue;
    }
    const before = headers[name];
    headers[name] = before === undefined ? value : `${before}, ${value}`;
  }
  if (version === 'HTTP/1.1' && hosts !== 1)
    throw badRequest('ERR_HTTP_BAD_HOST', 'exactly one Host header in an HTTP/1.1 request', `${hosts}`);

  let framing = NO_BODY;
  if (transferEncoding !== undefined) {
    if (contentLength !== undefined)
      throw badRequest('ERR_HTTP_CONFLICTING_FRAMING', 'Content-Length or Transfer-Encoding', 'both');
    // RFC 9112 §6.1: an HTTP/1.0 peer (or a proxy in between) may not have framed the body by it — the bytes we
    // would read as its chunks could be, to them, the next request.
    if (version === 'HTTP/1.0')
      throw badRequest(
        'ERR_HTTP_BAD_TRANSFER_ENCODING',
        'no Transfer-Encoding in an HTTP/1.0 request',
        quote(transferEncoding),
      );
    const codings = transferEncoding.split(',').map((c) => trimOws(c).toLowerCase());
    if (codings[codings.length - 1] !== 'chunked')
      throw badRequest(
        'ERR_HTTP_BAD_TRANSFER_ENCODING',
        'a Transfer-Encoding ending in chunked',
        quote(transferEncoding),
      );
    if (codings.length > 1)
      throw new HttpError(
        501,
        'ERR_HTTP_UNSUPPORTED_TRANSFER_ENCODING',
        `Expected Transfer-Encoding: chunked, got ${quote(transferEncoding)}`,
      );
    framing = { kind: 'chunked' };
    headers['transfer-encoding'] = transferEncoding;
  } else if (contentLength !== undefined) {
    const length = Number(contentLength);
    if (length > limits.maxBodyBytes)
      throw new HttpError(
        413,
        'ERR_HTTP_BODY_TOO_LARGE',
        `Expected a body of at most ${limits.maxBodyBytes} bytes, got Content-Length ${contentLength}`,
      );
    if (length > 0) framing = { kind: 'length', length };
    headers['content-length'] = contentLength;
  }

  const connection = headers['connection'];
  let keepAlive = version === 'HTTP/1.1';
  if (connection !== undefined) {
    const tokens = connection.toLowerCase();
    if (/(^|,)\s*close\s*(,|$)/.test(tokens)) keepAlive = false;
    else if (version === 'HTTP/1.0' && /(^|,)\s*keep-alive\s*(,|$)/.test(tokens)) keepAlive = true;
  }
  return { method, target, version, headers, framing, keepAlive, size: end + 4 };
}
