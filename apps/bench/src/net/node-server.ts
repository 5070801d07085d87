/**
 * The `node:net` echo server of the TCP scenarios (the baseline): `node --expose-gc dist/net/node-server.js
 * --backlog N`. `net.createServer`, `setNoDelay(true)` and `socket.pipe(socket)` per connection, on 127.0.0.1 and a
 * port the kernel picks; see `server-control.ts` for how the bench drives it.
 *
 * @module
 */
import { createServer } from 'node:net';
import { Counts, die, integerFlag, serveCommands } from './server-control.js';

const backlog = integerFlag(process.argv.slice(2), 'backlog');
const counts = new Counts();

const server = createServer((socket) => {
  counts.accepted++;
  counts.open++;
  socket.setNoDelay(true);
  socket.on('error', (error) => counts.failed(error));
  socket.on('close', () => counts.open--);
  socket.pipe(socket);
});
server.on('error', die);
server.listen({ host: '127.0.0.1', port: 0, backlog }, () => {
  const address = server.address();
  if (address === null || typeof address === 'string') die(new Error(`Expected a TCP address, got ${address}`));
  serveCommands(address.port, counts);
});
