/**
 * # @zokio/http
 *
 * An HTTP/1.1 server on `@zokio/net`: keep-alive, pipelining, `Content-Length` and chunked bodies in both
 * directions, limits on the request line, head size and header count, timeouts for slow and idle clients, a clear
 * `4xx` for malformed input, and graceful shutdown. Handlers are zokio futures: cancelling the server cancels them.
 *
 * @packageDocumentation
 */
export { HttpServer, type ServeReport } from './server.js';
export type { Handler } from './connection.js';
export { Request } from './request.js';
export { Body } from './body.js';
export type { Response, BodyWriter, BodySink, HeaderValue } from './response.js';
export { httpDate } from './response.js';
export { HttpError } from './errors.js';
export type { ServerOptions, AccessRecord } from './options.js';
export { Router, type RouteHandler } from './router.js';
