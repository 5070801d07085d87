/**
 * {@link ServerOptions}: the server's limits and timeouts, with defaults close to Node's `http` and nginx's, and
 * their validation.
 *
 * @module
 */
import { ZokioError } from '@zokio/future';
import { badOption } from './errors.js';

/** What one served request looks like to the access log. */
export interface AccessRecord {
  readonly remote: string;
  readonly method: string;
  readonly target: string;
  readonly version: string;
  readonly status: number;
  /** Body bytes sent. */
  readonly bytes: number;
  /** From the request head's arrival to the response's last byte handed to the socket. */
  readonly ms: number;
  readonly userAgent: string;
}

/** Limits and timeouts of an {@link HttpServer}. Every field is optional. */
export interface ServerOptions {
  /** Longest request line (method, target, version) in bytes: longer is `414`. Default 8 KiB. */
  readonly maxRequestLineBytes?: number;
  /** Largest request head (request line and headers) in bytes: larger is `431`. Default 16 KiB. */
  readonly maxHeaderBytes?: number;
  /** Most header fields: more is `431`. Default 100. */
  readonly maxHeaders?: number;
  /** Largest body `Body.bytes()`/`text()` will buffer, and largest `Content-Length` accepted: `413`. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** How long a kept-alive connection may wait for its next request before it is closed. Default 5 s. */
  readonly keepAliveTimeout?: number;
  /** How long a request head may take to arrive once its first byte came (slowloris): `408`. Default 10 s. */
  readonly headersTimeout?: number;
  /** How long the body may go without a byte arriving while the handler reads it: `408`. Default 10 s. */
  readonly bodyTimeout?: number;
  /** How long the client may go without taking any of the response before the connection is dropped. Default 30 s. */
  readonly sendTimeout?: number;
  /** Most requests served on one connection before it is closed. Default 10,000. */
  readonly maxRequestsPerConnection?: number;
  /** Called once per response, after its last byte was handed to the socket. */
  readonly onResponse?: (record: AccessRecord) => void;
  /** Called with an error a handler threw (the client got `500`). Default: `console.error`. */
  readonly onError?: (error: unknown) => void;
}

/** {@link ServerOptions} with every default filled in. @internal */
export type Limits = Required<Omit<ServerOptions, 'onResponse'>> & Pick<ServerOptions, 'onResponse'>;

const DEFAULTS = {
  maxRequestLineBytes: 8 * 1024,
  maxHeaderBytes: 16 * 1024,
  maxHeaders: 100,
  maxBodyBytes: 1024 * 1024,
  keepAliveTimeout: 5_000,
  headersTimeout: 10_000,
  bodyTimeout: 10_000,
  sendTimeout: 30_000,
  maxRequestsPerConnection: 10_000,
} as const;

/** Fills in defaults and checks every field. @internal */
export function resolveOptions(options: ServerOptions = {}): Limits {
  if (typeof options !== 'object' || options === null) throw badOption('options', 'an object', options);
  const out: Record<string, unknown> = { ...DEFAULTS, onError: (error: unknown) => console.error(error) };
  for (const [name, value] of Object.entries(options)) {
    if (name === 'onResponse' || name === 'onError') {
      if (value !== undefined && typeof value !== 'function') throw badOption(name, 'a function', value);
      if (value !== undefined) out[name] = value;
      continue;
    }
    if (!(name in DEFAULTS))
      throw new ZokioError(
        'ERR_INVALID_ARG_VALUE',
        `HttpServer: Expected options among ${Object.keys(DEFAULTS).join(', ')}, onResponse, onError; got ${JSON.stringify(name)}`,
      );
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)
      throw badOption(name, 'a positive integer', value);
    out[name] = value;
  }
  return out as unknown as Limits;
}
