/**
 * The little of `serve-static` (2.x, which ships no types) that `static-node-server.ts` uses: the middleware for
 * `node:http`, `next` called for a request it does not serve.
 */
declare module 'serve-static' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  function serveStatic(
    root: string,
    options?: Readonly<Record<string, unknown>>,
  ): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;
  export default serveStatic;
}
