/**
 * The minimal HTTP server of `http_hello`, on `node:net`: `node --expose-gc dist/http/node-net-server.js --backlog
 * N`. `net.createServer` and `setNoDelay(true)`; on every `data` event, one `write` of the fixed response once for
 * every complete request head received (`\r\n\r\n`; pipelined ones included, a split one once whole), its `date`
 * formatted once a second. No request parsing beyond that, no bodies, no limits or timeouts: the floor an HTTP
 * server on `node:net` could reach. Prints its port and answers `stats` like the TCP scenarios' servers
 * (`server-control.ts`).
 *
 * @module
 */
import { createServer } from 'node:net';
import { Counts, die, integerFlag, serveCommands } from '../net/server-control.js';
import { clientGone, HeadCounter, HelloResponse } from './hello.js';

const backlog = integerFlag(process.argv.slice(2), 'backlog');
const counts = new Counts();
const hello = new HelloResponse();

const server = createServer((socket) => {
  counts.accepted++;
  counts.open++;
  socket.setNoDelay(true);
  const heads = new HeadCounter();
  socket.on('data', (chunk: Buffer) => {
    const requests = heads.push(chunk);
    if (requests > 0) socket.write(hello.repeated(requests));
    else if (requests < 0) socket.destroy(new Error(`Expected a request head within 64 KiB, got ${heads.pending}`));
  });
  socket.on('error', (error) => {
    if (!clientGone(error)) counts.failed(error);
  });
  socket.on('close', () => counts.open--);
});
server.on('error', die);
server.listen({ host: '127.0.0.1', port: 0, backlog }, () => {
  const address = server.address();
  if (address === null || typeof address === 'string') die(new Error(`Expected a TCP address, got ${address}`));
  serveCommands(address.port, counts);
});
