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
import { createServer } from 'node:http';
import { Counts, die, integerFlag, serveCommands } from '../net/server-control.js';
import { HELLO_BODY, HELLO_CONTENT_TYPE, clientGone } from './hello.js';

const backlog = integerFlag(process.argv.slice(2), 'backlog');
const counts = new Counts();

const LENGTH = Buffer.byteLength(HELLO_BODY);

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': HELLO_CONTENT_TYPE, 'content-length': LENGTH });
  res.end(HELLO_BODY);
});
server.on('connection', (socket) => {
  counts.accepted++;
  counts.open++;
  socket.on('close', () => counts.open--);
});
// What Node does by default for a client gone or a request it cannot parse, drop the connection; the latter counted.
server.on('clientError', (error, socket) => {
  if (!clientGone(error)) counts.failed(error);
  socket.destroy();
});
server.on('error', die);
server.listen({ host: '127.0.0.1', port: 0, backlog }, () => {
  const address = server.address();
  if (address === null || typeof address === 'string') die(new Error(`Expected a TCP address, got ${address}`));
  serveCommands(address.port, counts);
});
