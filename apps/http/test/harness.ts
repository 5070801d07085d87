/**
 * A real server for the tests: an {@link HttpServer} on 127.0.0.1, on a real runtime per I/O backend, and raw
 * socket helpers for what `fetch` would hide (pipelining, malformed input, timing).
 */
import { connect, type Socket } from 'node:net';
import type { IoBackendName } from '@zokio/io-driver';
import { drivers, fdCount } from '@zokio/runtime/testing';
import { Runtime } from '@zokio/runtime';
import { HttpServer, type Handler, type ServeReport, type ServerOptions } from '../src/index.js';

export { drivers, fdCount };

export interface Running {
  readonly server: HttpServer;
  readonly port: number;
  readonly url: string;
  readonly served: Promise<ServeReport>;
  readonly rt: Runtime;
  /** Shuts down (grace `graceMs`) and waits for `serve()`'s report. */
  stop(graceMs?: number): Promise<ServeReport>;
}

export async function startServer(driver: IoBackendName, handler: Handler, options?: ServerOptions): Promise<Running> {
  const rt = Runtime.create({ io: driver });
  const server = await rt.blockOn(HttpServer.bind('127.0.0.1:0', handler, options));
  const address = server.address;
  if (address.family === 'unix') throw new Error('Expected a TCP address');
  const served = rt.blockOn(server.serve());
  return {
    server,
    port: address.port,
    url: `http://127.0.0.1:${address.port}`,
    served,
    rt,
    stop: (graceMs = 1000) => {
      server.shutdown(graceMs);
      return served;
    },
  };
}

/** A raw client: write bytes, collect everything until the server closes (or `ms` passes). */
export function rawExchange(
  port: number,
  data: string | Buffer,
  ms = 3000,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: false });
    }, ms);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', (e) => {
      clearTimeout(timer);
      if ((e as NodeJS.ErrnoException).code === 'ECONNRESET')
        resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: true });
      else reject(e);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      socket.end();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: true });
    });
    socket.write(data);
  });
}

/** An open raw connection, for step-by-step exchanges. */
export async function rawConnection(
  port: number,
): Promise<{ socket: Socket; received: () => string; ended: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const chunks: Buffer[] = [];
  socket.on('data', (c) => chunks.push(c));
  const ended = new Promise<void>((resolve) => {
    socket.on('end', () => resolve());
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
  return { socket, received: () => Buffer.concat(chunks).toString('latin1'), ended };
}

/** Waits until `check()` holds, polling every 10 ms, up to `ms`. */
export async function eventually(check: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('Expected the condition to hold in time, got a timeout');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Responses in a raw byte stream: status codes in order. */
export function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}
