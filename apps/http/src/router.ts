/**
 * {@link Router}: the small routing example — method and path patterns with `:name` parameters, `404` for an
 * unknown path and `405` (with `Allow`) for a known path and an unrouted method. `HEAD` is served by the `GET`
 * route (the server sends the head only).
 *
 * @module
 */
import { ready, type Future } from '@zokio/future';
import type { Handler } from './connection.js';
import type { Request } from './request.js';
import type { Response } from './response.js';

/** A routed handler: the request and the path's `:name` parameters (percent-decoded). */
export type RouteHandler = (request: Request, params: Readonly<Record<string, string>>) => Future<Response>;

interface Route {
  readonly method: string;
  readonly parts: readonly string[];
  readonly handler: RouteHandler;
}

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body };
}

/**
 * Routes requests by method and path.
 *
 * @example
 * ```ts
 * const router = new Router()
 *   .get('/', fn(function* () { return { body: 'home' }; }))
 *   .get('/users/:id', fn(function* (_req, params) { return { body: `user ${params.id}` }; }));
 * const server = yield* HttpServer.bind('127.0.0.1:8080', router.handler());
 * ```
 */
export class Router {
  readonly #routes: Route[] = [];

  /** Adds a route for `method` (upper case) and `pattern` (`/users/:id`; `*` as the last part matches the rest). */
  route(method: string, pattern: string, handler: RouteHandler): this {
    if (typeof pattern !== 'string' || pattern[0] !== '/')
      throw new TypeError(`Router: Expected a pattern starting with "/", got ${JSON.stringify(pattern)}`);
    if (typeof handler !== 'function')
      throw new TypeError(`Router: Expected a handler function, got ${typeof handler}`);
    this.#routes.push({ method: method.toUpperCase(), parts: pattern.split('/').slice(1), handler });
    return this;
  }

  get(pattern: string, handler: RouteHandler): this {
    return this.route('GET', pattern, handler);
  }

  post(pattern: string, handler: RouteHandler): this {
    return this.route('POST', pattern, handler);
  }

  /** The server's handler. */
  handler(): Handler {
    return (request) => this.#dispatch(request);
  }

  #dispatch(request: Request): Future<Response> {
    const parts = request.path.split('/').slice(1);
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const allowed: string[] = [];
    for (const route of this.#routes) {
      const params = match(route.parts, parts);
      if (params === undefined) continue;
      if (route.method === method) return route.handler(request, params);
      allowed.push(route.method);
    }
    if (allowed.length === 0) return ready(text(404, `Not Found: ${request.path}\n`));
    if (allowed.includes('GET')) allowed.push('HEAD');
    return ready(text(405, `Method Not Allowed: ${request.method}\n`, { allow: allowed.join(', ') }));
  }
}

function match(pattern: readonly string[], parts: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === '*' && i === pattern.length - 1) {
      params['*'] = parts.slice(i).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (p[0] === ':') {
      try {
        params[p.slice(1)] = decodeURIComponent(part);
      } catch {
        return undefined;
      }
    } else if (p !== part) return undefined;
  }
  return parts.length === pattern.length ? params : undefined;
}
