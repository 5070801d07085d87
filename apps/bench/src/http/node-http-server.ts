/**
 * The `node:http` server of `http_hello` (the baseline): `node --expose-gc dist/http/node-http-server.js --backlog
 * N`. `http.createServer` with the handler a Node program writes: `res.writeHead(200, { 'content-type':
 * 'text/plain', 'content-length': 13 })`, `res.end('Hello, World!')`; Node's defaults otherwise. The length is
 * given because `writeHead` without one commits the head to chunked framing (`end(body)` only measures a body
 * whose head is not written yet): with it, the response is framed as the others' are. Prints its port and answers
 * `stats` like the TCP scenarios' servers (`server-control.ts`).
 *
 * @module
 */
import { integerFlag } from '../net/server-control.js';
import { HELLO_BODY, HELLO_CONTENT_TYPE } from './hello.js';
import { listenNodeHttp } from './serve-http.js';

const LENGTH = Buffer.byteLength(HELLO_BODY);

listenNodeHttp(
  (_req, res) => {
    res.writeHead(200, { 'content-type': HELLO_CONTENT_TYPE, 'content-length': LENGTH });
    res.end(HELLO_BODY);
  },
  integerFlag(process.argv.slice(2), 'backlog'),
);
