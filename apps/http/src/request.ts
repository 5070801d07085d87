/**
 * {@link Request}: one parsed request, as a handler sees it.
 *
 * @module
 */
import type { Body } from './body.js';
import type { RequestHead } from './head.js';

/**
 * A request: its head, parsed and validated, and its {@link Body}.
 *
 * @example
 * ```ts
 * const hello = fn(function* (req: Request) {
 *   return { body: `hello ${req.query.get('name') ?? 'world'} from ${req.path}` };
 * });
 * ```
 */
export class Request {
  readonly method: string;
  /** The request target as sent: `/path?query`. */
  readonly target: string;
  readonly version: 'HTTP/1.1' | 'HTTP/1.0';
  /** Header fields by lower-cased name. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Body;
  readonly #peer: { readonly remote: string };
  #path: string | undefined = undefined;
  #query: URLSearchParams | undefined = undefined;

  /** @internal Made by the connection. */
  constructor(head: RequestHead, body: Body, peer: { readonly remote: string }) {
    this.method = head.method;
    this.target = head.target;
    this.version = head.version;
    this.headers = head.headers;
    this.body = body;
    this.#peer = peer;
  }

  /** The client's address as text (`127.0.0.1:50412`). */
  get remote(): string {
    return this.#peer.remote;
  }

  /** The path part of the target, still percent-encoded (`/a%20b` for `/a%20b?x=1`). */
  get path(): string {
    return (this.#path ??= pathOf(this.target));
  }

  /** The query string's parameters. */
  get query(): URLSearchParams {
    if (this.#query === undefined) {
      const q = this.target.indexOf('?');
      this.#query = new URLSearchParams(q < 0 ? '' : this.target.slice(q + 1));
    }
    return this.#query;
  }

  /** A header's value by name (any case). */
  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()];
  }
}

/** The path part of a request target (absolute-form: without scheme and authority), without the query. */
function pathOf(target: string): string {
  if (target[0] !== '/' && target !== '*') {
    const slash = target.indexOf('/', target.indexOf('//') + 2);
    target = slash < 0 ? '/' : target.slice(slash);
  }
  const q = target.indexOf('?');
  return q < 0 ? target : target.slice(0, q);
}
