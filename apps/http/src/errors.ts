/**
 * {@link HttpError}: a request the server refuses, with the status it answers and a stable `code`.
 *
 * The connection turns an `HttpError` thrown while reading a request (by the parser, or by a handler reading the
 * body) into that status with a short plain-text body, then closes: after malformed framing nothing later on the
 * connection can be trusted (a smuggled second request, say).
 *
 * @module
 */
import { describeValue, ZokioError } from '@zokio/future';

/**
 * An HTTP-level failure: `status` is what the client is told (400, 408, 413, 414, 431, 501, 505), `code` is stable
 * (`ERR_HTTP_*`), and the message says what was expected and what was got.
 *
 * @example
 * ```ts
 * throw new HttpError(413, 'ERR_HTTP_BODY_TOO_LARGE', 'Expected a body of at most 1048576 bytes, got 2000000');
 * ```
 */
export class HttpError extends ZokioError {
  /** The response status this error becomes. */
  readonly status: number;

  constructor(status: number, code: string, message: string) {
    super(code, message);
    this.status = status;
  }
}

/** A `400 Bad Request` for malformed input: `what` was expected, `got` is a short quote of what came. */
export function badRequest(code: string, what: string, got: string): HttpError {
  return new HttpError(400, code, `Expected ${what}, got ${got}`);
}

/** Quotes at most 40 characters of raw input for an error message. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? text.slice(0, 40) + '…' : text);
}

/** A bad server option, with Node's `code`. */
export function badOption(name: string, what: string, got: unknown): ZokioError {
  return new ZokioError(
    'ERR_INVALID_ARG_VALUE',
    `HttpServer: Expected option ${name} to be ${what}, got ${describeValue(got)}`,
  );
}
