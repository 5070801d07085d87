/**
 * {@link Response}: what a handler returns, and how its head is written.
 *
 * A body is a string (UTF-8), bytes, or a {@link BodyWriter} that streams it. The server frames it: a known
 * length becomes `Content-Length`, a stream without one is sent `Transfer-Encoding: chunked` to HTTP/1.1 clients
 * (and delimited by closing the connection for HTTP/1.0 ones). `HEAD` responses and `1xx`/`204`/`304` carry no body.
 * Header names and values are checked before anything is sent: a CR or LF in a value (response splitting) fails
 * the response with `500` instead.
 *
 * @module
 */
import type { Future } from '@zokio/future';
import { ZokioError } from '@zokio/future';
import { all, TOKEN_CHAR, VALUE_CHAR } from './chars.js';

/** Where a {@link BodyWriter} writes its body. */
export interface BodySink {
  /**
   * Sends one piece of the body; resolves once the socket took it, so the caller may reuse `chunk` afterwards.
   * **Not cancel-safe**: dropped, any prefix may have been sent (the connection is then closed).
   */
  write(chunk: Uint8Array | string): Future<void>;
}

/**
 * A streamed body: `write` sends it through the sink. `length`, when given, becomes `Content-Length` (and the body
 * must be exactly that long); without it the body is chunked.
 *
 * @example
 * ```ts
 * const countdown: Response = {
 *   body: {
 *     write: fn(function* (sink: BodySink) {
 *       for (let i = 3; i > 0; i--) yield* sink.write(`${i}\n`); // each piece leaves before the next is made
 *     }),
 *   },
 * };
 * ```
 */
export interface BodyWriter {
  readonly length?: number;
  write(sink: BodySink): Future<void>;
}

/** A header value: repeated fields as an array. */
export type HeaderValue = string | number | readonly string[];

/**
 * A response. Every field is optional: `{}` is `200` with an empty body.
 *
 * @example
 * ```ts
 * const ok: Response = { status: 200, headers: { 'content-type': 'text/plain' }, body: 'Hello, World!' };
 * ```
 */
export interface Response {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, HeaderValue | undefined>>;
  readonly body?: string | Uint8Array | BodyWriter;
}

export const REASONS: Readonly<Record<number, string>> = {
  100: 'Continue',
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  206: 'Partial Content',
  301: 'Moved Permanently',
  302: 'Found',
  304: 'Not Modified',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'HTTP Version Not Supported',
};

/** Header names the server writes itself. */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection', 'date']);

let dateSecond = -1;
let dateText = '';

/** The `Date` header value, formatted once per second. */
export function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

/** Whether a response with `status` to `method` carries a body. */
export function hasBody(status: number, method: string): boolean {
  return method !== 'HEAD' && status >= 200 && status !== 204 && status !== 304;
}

function badHeader(what: string, got: string): ZokioError {
  return new ZokioError('ERR_HTTP_INVALID_HEADER', `Expected ${what}, got ${JSON.stringify(got)}`);
}

/**
 * Header names and values already checked, so that a server sending the same headers on every response (a static
 * file's type, ETag and date) checks each once, not per response: names mapped to whether the server owns them
 * (framing), short values in a set. Both bounded: when one is full it starts over, so the strings in use now are the
 * ones remembered.
 */
const CHECKED_NAMES = new Map<string, boolean>();
const CHECKED_VALUES = new Set<string>();
const MAX_CHECKED = 1024;
const MAX_CHECKED_VALUE_LENGTH = 256;

/** Whether `name` is a framing header the server sets itself; throws if it is not a token. */
function isFramingName(name: string): boolean {
  const known = CHECKED_NAMES.get(name);
  if (known !== undefined) return known;
  if (name.length === 0 || !all(name, TOKEN_CHAR)) throw badHeader('a header name token', name);
  const framing = FRAMING.has(name.toLowerCase());
  if (CHECKED_NAMES.size >= MAX_CHECKED) CHECKED_NAMES.clear();
  CHECKED_NAMES.set(name, framing);
  return framing;
}

function checkValue(value: string): void {
  if (CHECKED_VALUES.has(value)) return;
  if (!all(value, VALUE_CHAR))
    throw badHeader('a header value of latin1 text without CR, LF or control characters', value);
  if (value.length > MAX_CHECKED_VALUE_LENGTH) return;
  if (CHECKED_VALUES.size >= MAX_CHECKED) CHECKED_VALUES.clear();
  CHECKED_VALUES.add(value);
}

/**
 * The head of a response, up to and including its final empty line. `length` is the body's length (`undefined`:
 * streamed, chunked when `chunked`); `close` adds `Connection: close`, `keepAlive10` adds `Connection: keep-alive`.
 */
export function writeHead(
  status: number,
  headers: Response['headers'],
  length: number | undefined,
  framing: 'length' | 'chunked' | 'none' | 'close-delimited',
  connection: 'close' | 'keep-alive' | undefined,
): string {
  if (!Number.isInteger(status) || status < 100 || status > 999)
    throw new ZokioError('ERR_HTTP_INVALID_STATUS', `Expected a status code from 100 to 999, got ${String(status)}`);
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Unknown'}\r\ndate: ${httpDate()}\r\n`;
  if (headers !== undefined) {
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined) continue;
      if (isFramingName(name)) continue; // the server frames the body and owns the connection
      if (typeof value === 'object') {
        for (const v of value) {
          checkValue(v);
          head += `${name}: ${v}\r\n`;
        }
      } else {
        const v = String(value);
        checkValue(v);
        head += `${name}: ${v}\r\n`;
      }
    }
  }
  if (framing === 'length') head += `content-length: ${length ?? 0}\r\n`;
  else if (framing === 'chunked') head += 'transfer-encoding: chunked\r\n';
  if (connection !== undefined) head += `connection: ${connection}\r\n`;
  return head + '\r\n';
}
