/**
 * The native epoll backend, driven directly through the `Backend` interface and the byte layout of `contract.ts`:
 * what the conformance suite cannot see — readiness waits on pipes, which pool jobs a cancel can still stop, one
 * backend per worker thread, thousands of mixed ops, and for sockets: several ops waiting on one fd, multishot
 * accept past the per-wake-up cap, provided buffers running dry and recovering, and cancels of every kind of
 * waiting op. These tests need the addon (`pnpm build:native`); without it they fail, they do not skip.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants as fsc,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { constants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEpoll } from '../src/backends/epoll.js';
import { Harness, type Completion, type OpFields } from './raw-harness.js';
import {
  AT_FDCWD,
  COMPLETION_BUFFER,
  COMPLETION_MORE,
  MODE_BUFFER_SELECT,
  MODE_MULTISHOT,
  Op,
  SocketOption,
  type BackendFactory,
} from '../src/contract.js';

const { errno } = constants;
const STATX_SIZE = 0x200;

let factory: BackendFactory;
let dir: string;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(() => {
  const loaded = loadEpoll();
  if ('error' in loaded) throw new Error(`epoll backend unavailable: ${loaded.error}`);
  factory = loaded.factory;
  dir = mkdtempSync(join(tmpdir(), 'zokio-epoll-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const POLLIN = 1;
const fdCount = () => readdirSync('/proc/self/fd').length;
/** The fd count once the loop has settled: a closed backend releases its own fds within a loop turn. */
async function settledFdCount(): Promise<number> {
  await sleep(20);
  return fdCount();
}

let nextToken = 1;
/** Stages `opcode` under a fresh token; returns the token. */
function submit(h: Harness, opcode: number, f: OpFields = {}): number {
  const token = nextToken++;
  h.op(opcode, token, f);
  return token;
}
/** `token`'s final completion (the one without COMPLETION_MORE), once it arrives. */
async function finalOf(h: Harness, token: number): Promise<Completion> {
  for (;;) {
    const c = h.log.find((x) => x.token === token && (x.flags & COMPLETION_MORE) === 0);
    if (c) return c;
    await h.until(h.log.length + 1);
  }
}
/** Flushes one op and waits for its final completion. */
async function run(h: Harness, opcode: number, f: OpFields = {}): Promise<Completion> {
  const token = submit(h, opcode, f);
  h.flush();
  return finalOf(h, token);
}
const ofToken = (h: Harness, token: number) => h.log.filter((c) => c.token === token);
/** Socket ops name their address with the path fields: arena 0 at `offset`, `length` in path2's arena slot. */
const addr = (offset: number, length: number): OpFields => ({ path: [0, offset], path2: [length, 0] });
/** Writes a sockaddr_in for 127.0.0.1:`port` into the arena at `offset`; returns its length. */
function sockaddrIn(h: Harness, offset: number, port: number): number {
  const v = new DataView(h.arena, offset, 16);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  h.bytes.set([127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], offset + 4);
  return 16;
}
const portOf = (bytes: Uint8Array, at = 0) => (bytes[at + 2]! << 8) | bytes[at + 3]!;

async function socket(h: Harness, type = SOCK_STREAM): Promise<number> {
  const { res } = await run(h, Op.SOCKET, { arg: AF_INET, mode: type, fd2: 0 });
  expect(res).toBeGreaterThanOrEqual(0);
  return res;
}

/** A TCP listener on 127.0.0.1 (any port), through SOCKET, BIND and LISTEN. */
async function listener(h: Harness, tune?: (fd: number) => void): Promise<{ fd: number; port: number }> {
  const fd = await socket(h);
  tune?.(fd);
  expect((await run(h, Op.BIND, { fd, ...addr(700_000, sockaddrIn(h, 700_000, 0)) })).res).toBe(0);
  expect((await run(h, Op.LISTEN, { fd, arg: 128 })).res).toBe(0);
  const out = new Uint8Array(128);
  expect(h.backend.socketAddress(fd, false, out)).toBe(16);
  return { fd, port: portOf(out) };
}

/** A connected pair through ACCEPT (with the peer address) and CONNECT, submitted together. */
async function tcpPair(h: Harness, tune?: (fd: number) => void) {
  const { fd: lfd, port } = await listener(h, tune);
  const client = await socket(h);
  tune?.(client);
  const accept = submit(h, Op.ACCEPT, { fd: lfd, ...addr(700_100, 128) });
  const connect = submit(h, Op.CONNECT, { fd: client, ...addr(700_300, sockaddrIn(h, 700_300, port)) });
  h.flush();
  expect((await finalOf(h, connect)).res).toBe(0);
  const accepted = await finalOf(h, accept);
  expect(accepted.res).toBeGreaterThanOrEqual(0);
  expect(accepted.aux).toBe(16);
  const local = new Uint8Array(128);
  h.backend.socketAddress(client, false, local);
  expect(portOf(h.bytes, 700_100)).toBe(portOf(local)); // the peer address ACCEPT wrote is the client's
  return { lfd, client, server: accepted.res };
}

const text = (h: Harness, at: number, n: number) => Buffer.from(h.bytes.subarray(at, at + n)).toString();
const put = (h: Harness, at: number, s: string) => h.bytes.set(Buffer.from(s), at);

function fifo(name: string): string {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  return path;
}

describe('native epoll backend', () => {
  it('a pipe read waits for readiness (edge-triggered), then completes with the data; a waiting read can be cancelled', async () => {
    const h = new Harness(factory, 1024, 256, -1);
    expect(h.backend.kind).toBe('epoll');
    const path = fifo('ready');
    const rfd = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK);
    const wfd = openSync(path, fsc.O_WRONLY);
    h.op(Op.READ, 1, { fd: rfd, buf: [0, 0, 64] }).flush();
    await sleep(30);
    expect(h.log).toHaveLength(0); // nothing to read yet: waiting, not spinning, not failing
    writeSync(wfd, 'ping');
    await h.until(1);
    expect(h.res(1)).toBe(4);
    expect(Buffer.from(h.bytes.subarray(0, 4)).toString()).toBe('ping');

    // Two reads queue in order behind an empty pipe; cancelling the second leaves the first waiting.
    h.op(Op.READ, 2, { fd: rfd, buf: [0, 100, 3] }).op(Op.READ, 3, { fd: rfd, buf: [0, 200, 3] });
    h.flush();
    await sleep(10);
    h.op(Op.CANCEL, 4, { arg: 3 });
    const cancelled = await h.roundTrip(2);
    expect(cancelled.get(3)!.res).toBe(-errno.ECANCELED);
    expect(cancelled.get(4)!.res).toBe(0);
    writeSync(wfd, 'abc');
    await h.until(4);
    expect(h.res(2)).toBe(3);
    expect(Buffer.from(h.bytes.subarray(100, 103)).toString()).toBe('abc');

    // Writer gone: a waiting read completes with EOF (0) through EPOLLHUP.
    h.op(Op.READ, 5, { fd: rfd, buf: [0, 0, 8] }).flush();
    await sleep(10);
    closeSync(wfd);
    await h.until(5);
    expect(h.res(5)).toBe(0);
    // A positional read on a pipe ignores the offset (the contract, as io_uring does; pread would say ESPIPE):
    // a plain read, so with the writer gone, end-of-file.
    h.op(Op.READ, 6, { fd: rfd, buf: [0, 0, 8], offset: 0 });
    expect((await h.roundTrip(1)).get(6)!.res).toBe(0);
    closeSync(rfd);
    h.backend.close();
  });

  it('a queued pool job can be cancelled; a running one cannot (-EALREADY) and completes with its result', async () => {
    const h = new Harness(factory, 1024, 256, -1);
    const path = fifo('block');
    // Opening a FIFO for reading blocks until a writer appears: four opens occupy all four pool threads.
    for (let t = 1; t <= 4; t++) h.op(Op.OPENAT, t, { fd: AT_FDCWD, path: h.path(0, path), arg: fsc.O_RDONLY });
    writeFileSync(join(dir, 'queued'), 'x');
    h.op(Op.STATX, 5, { fd: AT_FDCWD, path: h.path(4096, join(dir, 'queued')), buf: [0, 8192, 256], arg: STATX_SIZE });
    h.flush();
    await sleep(50); // the four opens are running, the statx is queued behind them
    h.op(Op.CANCEL, 6, { arg: 1 }).op(Op.CANCEL, 7, { arg: 5 }).op(Op.CANCEL, 8, { arg: 999 });
    const done = await h.roundTrip(4);
    expect(done.get(6)!.res).toBe(-errno.EALREADY);
    expect(done.get(7)!.res).toBe(0);
    expect(done.get(5)!.res).toBe(-errno.ECANCELED);
    expect(done.get(8)!.res).toBe(-errno.ENOENT);
    expect(() => h.backend.close()).toThrow(expect.objectContaining({ code: 'EBUSY' }) as Error);
    const wfd = openSync(path, fsc.O_WRONLY); // releases the four opens
    await h.until(8);
    const fds = [1, 2, 3, 4].map((t) => h.res(t)!);
    expect(fds.every((fd) => fd >= 0)).toBe(true);
    expect(h.log.filter((c) => c.token === 1)).toHaveLength(1);
    for (const fd of fds) closeSync(fd);
    closeSync(wfd);
    h.backend.close();
    h.backend.close(); // idempotent
  });

  it('completes 10,000 mixed ops flushed in bursts (nops, timeouts, cancels, file reads, statx), each once', async () => {
    const h = new Harness(factory, 1000, 128, -1);
    const file = join(dir, 'burst.bin');
    writeFileSync(file, Buffer.alloc(4096, 9));
    const fd = openSync(file, 'r');
    const expected = new Map<number, (res: number) => boolean>();
    let token = 0;
    for (let burst = 0; burst < 10; burst++) {
      for (let i = 0; i < 250; i++) {
        const nop = ++token;
        h.op(Op.NOP, nop);
        expected.set(nop, (r) => r === 0);
        const timer = ++token;
        h.op(Op.TIMEOUT, timer, { arg: i % 3 });
        expected.set(timer, (r) => r === -errno.ETIME || r === -errno.ECANCELED);
        const cancel = ++token;
        h.op(Op.CANCEL, cancel, { arg: timer });
        expected.set(cancel, (r) => r === 0 || r === -errno.ENOENT);
        const read = ++token;
        if (i % 2 === 0) h.op(Op.READ, read, { fd, buf: [0, (i % 64) * 4096, 4096], offset: 0 });
        else h.op(Op.STATX, read, { fd: AT_FDCWD, path: h.path(900_000, file), buf: [0, 800_000, 256] });
        expected.set(read, (r) => r === (i % 2 === 0 ? 4096 : 0));
      }
      h.flush();
      await sleep(0);
    }
    await h.until(10_000);
    await sleep(20);
    expect(h.log).toHaveLength(10_000);
    const seen = new Set<number>();
    for (const c of h.log) {
      expect(seen.has(c.token)).toBe(false);
      seen.add(c.token);
      expect(expected.get(c.token)!(c.res)).toBe(true);
    }
    closeSync(fd);
    h.backend.close();
  });

  it('runs in two worker threads at once, each with its own backend, and tears down one with work in flight', async () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    const gypBuild = createRequire(import.meta.url).resolve('node-gyp-build');
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const addon = require(workerData.gypBuild)(workerData.root);
      const staging = new ArrayBuffer(64 * 64), completions = new ArrayBuffer(16 * 16), arena = new ArrayBuffer(4096);
      const seen = [];
      const e = addon.createEpoll(staging, completions, (count) => {
        const v = new DataView(completions);
        for (let i = 0; i < count; i++) seen.push([v.getUint32(i * 16, true), v.getInt32(i * 16 + 4, true)]);
        if (seen.length === 64) {
          addon.epollClose(e);
          parentPort.postMessage({ seen });
        }
      });
      addon.epollRegisterArena(e, 0, arena);
      new TextEncoder().encodeInto(workerData.file + '\\0', new Uint8Array(arena));
      const v = new DataView(staging);
      for (let i = 0; i < 64; i++) {
        const op = i % 2 ? 0 : 6; // NOP, or STATX of the file into arena[1024..1280)
        v.setUint8(i * 64, op); v.setUint32(i * 64 + 4, 1000 + i, true); v.setInt32(i * 64 + 8, -100, true);
        v.setFloat64(i * 64 + 16, -1, true);
        v.setUint32(i * 64 + 28, 1024, true); v.setUint32(i * 64 + 32, 256, true);
      }
      addon.epollFlush(e, 64);
      if (workerData.hang) {
        // A second backend left with a 60 s timeout and a NOP in flight when the worker ends: env cleanup must join
        // its pool and free everything without waiting for them.
        const st = new ArrayBuffer(128), sv = new DataView(st);
        sv.setUint8(0, 10); sv.setUint32(4, 1, true); sv.setUint32(12, 60000, true);
        sv.setUint8(64, 0); sv.setUint32(68, 2, true);
        addon.epollFlush(addon.createEpoll(st, new ArrayBuffer(16), () => {}), 2);
      }
    `;
    const file = join(dir, 'worker.txt');
    writeFileSync(file, 'w'.repeat(77));
    const run = (hang: boolean) =>
      new Promise<{ seen: [number, number][] }>((resolve, reject) => {
        const worker = new Worker(code, { eval: true, workerData: { gypBuild, root, file, hang } });
        worker.once('message', (m: { seen: [number, number][] }) => {
          const started = performance.now();
          void worker.terminate().then(() => {
            expect(performance.now() - started).toBeLessThan(5000);
            resolve(m);
          });
        });
        worker.once('error', reject);
      });
    const results = await Promise.all([run(false), run(true)]);
    for (const { seen } of results) {
      expect(seen.map(([t]) => t).sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => 1000 + i));
      expect(seen.every(([, res]) => res === 0)).toBe(true);
    }
  });

  it('sockets: a recv and a send wait on one fd at once, two recvs complete in FIFO order, shutdown reads as EOF', async () => {
    const before = await settledFdCount();
    const h = new Harness(factory, 1024, 256, -1);
    const small = (fd: number) => {
      expect(h.backend.setSocketOption(fd, SocketOption.SNDBUF, 4096)).toBe(0);
      expect(h.backend.setSocketOption(fd, SocketOption.RCVBUF, 4096)).toBe(0);
    };
    const { lfd, client, server } = await tcpPair(h, small);

    // Two receives queue on the server in order; each message goes to the oldest.
    const r1 = submit(h, Op.RECV, { fd: server, buf: [0, 800_000, 100] });
    const r2 = submit(h, Op.RECV, { fd: server, buf: [0, 800_200, 100] });
    h.flush();
    await sleep(10);
    expect(ofToken(h, r1)).toHaveLength(0);
    put(h, 800_400, 'hello');
    expect((await run(h, Op.SEND, { fd: client, buf: [0, 800_400, 5] })).res).toBe(5);
    expect((await finalOf(h, r1)).res).toBe(5);
    expect(text(h, 800_000, 5)).toBe('hello');
    expect(ofToken(h, r2)).toHaveLength(0);
    put(h, 800_400, 'world!');
    expect((await run(h, Op.SEND, { fd: client, buf: [0, 800_400, 6] })).res).toBe(6);
    expect((await finalOf(h, r2)).res).toBe(6);
    expect(text(h, 800_200, 6)).toBe('world!');

    // Fill the client's send path until a send has to wait, then make a receive wait on the same fd too.
    let waitingSend = 0;
    for (let i = 0; i < 400 && waitingSend === 0; i++) {
      const t = submit(h, Op.SEND, { fd: client, buf: [0, 0, 65536] });
      h.flush();
      await sleep(2);
      if (ofToken(h, t).length === 0) waitingSend = t;
      else expect(h.res(t)).toBeGreaterThan(0);
    }
    expect(waitingSend).not.toBe(0);
    const clientRecv = submit(h, Op.RECV, { fd: client, buf: [0, 800_000, 100] });
    h.flush();
    await sleep(10);
    expect(ofToken(h, clientRecv)).toHaveLength(0);
    // Readable wakes the receive, not the send (interest IN|OUT merged on one registration).
    put(h, 800_400, 'pong');
    expect((await run(h, Op.SEND, { fd: server, buf: [0, 800_400, 4] })).res).toBe(4);
    expect((await finalOf(h, clientRecv)).res).toBe(4);
    expect(ofToken(h, waitingSend)).toHaveLength(0);
    // Draining the server makes the client writable: the waiting send completes.
    while (ofToken(h, waitingSend).length === 0) {
      expect((await run(h, Op.RECV, { fd: server, buf: [0, 900_000, 65536] })).res).toBeGreaterThan(0);
    }
    expect(h.res(waitingSend)).toBeGreaterThan(0);
    // Half-close: after the rest of the bytes, the server reads EOF.
    expect((await run(h, Op.SHUTDOWN, { fd: client, arg: 1 })).res).toBe(0);
    let res = 1;
    while (res > 0) res = (await run(h, Op.RECV, { fd: server, buf: [0, 900_000, 65536] })).res;
    expect(res).toBe(0);
    // Every op completed exactly once.
    const finals = h.log.filter((c) => (c.flags & COMPLETION_MORE) === 0).map((c) => c.token);
    expect(new Set(finals).size).toBe(finals.length);
    for (const fd of [client, server, lfd]) closeSync(fd);
    h.backend.close();
    expect(await settledFdCount()).toBe(before);
  });

  it('multishot accept: one COMPLETION_MORE per connection, past the per-wake-up cap, until cancelled; no fd leaks', async () => {
    const before = await settledFdCount();
    const h = new Harness(factory, 1024, 16, -1); // 16 records per callback: deliveries span several batches
    const { fd: lfd, port } = await listener(h);
    const clients: number[] = [];
    for (let i = 0; i < 40; i++) clients.push(await socket(h));
    sockaddrIn(h, 600_000, port);
    const connects = clients.map((fd) => submit(h, Op.CONNECT, { fd, ...addr(600_000, 16) }));
    h.flush();
    for (const t of connects) expect((await finalOf(h, t)).res).toBe(0);
    // 40 connections are queued: more than one wake-up's worth of shots (32) for a single op.
    const accept = submit(h, Op.ACCEPT, { fd: lfd, mode: MODE_MULTISHOT });
    h.flush();
    while (ofToken(h, accept).length < 40) await h.until(h.log.length + 1);
    // Two more arrive later, each woken by its own edge.
    const late = [await socket(h), await socket(h)];
    for (const fd of late) expect((await run(h, Op.CONNECT, { fd, ...addr(600_000, 16) })).res).toBe(0);
    while (ofToken(h, accept).length < 42) await h.until(h.log.length + 1);
    const shots = ofToken(h, accept);
    expect(shots.every((c) => c.res >= 0 && c.flags === COMPLETION_MORE)).toBe(true);
    expect(new Set(shots.map((c) => c.res)).size).toBe(42);
    const cancel = await run(h, Op.CANCEL, { arg: accept });
    expect(cancel.res).toBe(0);
    const last = await finalOf(h, accept);
    expect(last.res).toBe(-errno.ECANCELED);
    expect(ofToken(h, accept)).toHaveLength(43);
    expect((await run(h, Op.CANCEL, { arg: accept })).res).toBe(-errno.ENOENT);
    for (const fd of [...shots.map((c) => c.res), ...clients, ...late, lfd]) closeSync(fd);
    h.backend.close();
    expect(await settledFdCount()).toBe(before);
  });

  it('provided buffers: FIFO selection, ENOBUFS when dry (final even when multishot), recovery, no buffer spent on EOF', async () => {
    const h = new Harness(factory, 1024, 256, -1);
    const b = h.backend;
    expect(() => b.createBufferGroup(0, 3)).toThrow(
      expect.objectContaining({
        code: 'EINVAL',
        message: expect.stringMatching(/Expected capacity .* got 3/),
      }) as Error,
    );
    expect(() => b.createBufferGroup(70_000, 4)).toThrow(expect.objectContaining({ code: 'EINVAL' }) as Error);
    b.createBufferGroup(5, 2);
    expect(() => b.createBufferGroup(5, 2)).toThrow(
      expect.objectContaining({ code: 'EEXIST', message: expect.stringMatching(/Expected .* got 5/) }) as Error,
    );
    expect(() => b.provideBuffer(6, 0, 0, 0, 8)).toThrow(expect.objectContaining({ code: 'EINVAL' }) as Error);
    expect(() => b.provideBuffer(5, 2, 0, 0, 8)).toThrow(
      expect.objectContaining({
        code: 'EINVAL',
        message: expect.stringMatching(/Expected bufferId .* got 2/),
      }) as Error,
    );
    expect(() => b.provideBuffer(5, 0, 0, h.arena.byteLength - 4, 8)).toThrow(/Expected a buffer inside/);
    expect(() => b.provideBuffer(5, 0, 3, 0, 8)).toThrow(expect.objectContaining({ code: 'EINVAL' }) as Error);
    expect(() => b.provideBuffer(5, 0, 0, 0, 0)).toThrow(expect.objectContaining({ code: 'EINVAL' }) as Error);
    b.provideBuffer(5, 0, 0, 10_000, 8);
    b.provideBuffer(5, 1, 0, 10_100, 8);
    const select = MODE_BUFFER_SELECT | 5;
    const { lfd, client, server } = await tcpPair(h);

    // An idle selecting receive holds no buffer; cancelling it gives none away.
    const idle = submit(h, Op.RECV, { fd: server, mode: select });
    h.flush();
    await sleep(10);
    expect(ofToken(h, idle)).toHaveLength(0);
    expect((await run(h, Op.CANCEL, { arg: idle })).res).toBe(0);
    expect(await finalOf(h, idle)).toMatchObject({ res: -errno.ECANCELED, flags: 0, aux: 0 });

    put(h, 0, 'abcdefghijklmnopqrstuvwxyz0123456789ABCD'); // 40 bytes
    expect((await run(h, Op.SEND, { fd: client, buf: [0, 0, 40] })).res).toBe(40);
    await sleep(10);
    // Multishot: both buffers fill (FIFO: 0 then 1), then the dry group ends it with ENOBUFS.
    const multi = submit(h, Op.RECV, { fd: server, mode: select | MODE_MULTISHOT });
    h.flush();
    const end = await finalOf(h, multi);
    expect(end).toMatchObject({ res: -errno.ENOBUFS, flags: 0 });
    const shots = ofToken(h, multi).slice(0, -1);
    expect(shots.map((c) => [c.res, c.flags, c.aux])).toEqual([
      [8, COMPLETION_MORE | COMPLETION_BUFFER, 0],
      [8, COMPLETION_MORE | COMPLETION_BUFFER, 1],
    ]);
    expect(text(h, 10_000, 8) + text(h, 10_100, 8)).toBe('abcdefghijklmnop');
    // Still dry: a single-shot receive fails at once too (data is waiting).
    expect((await run(h, Op.RECV, { fd: server, mode: select })).res).toBe(-errno.ENOBUFS);
    // Recovery: give the buffers back (1 first: FIFO follows the order they come back in).
    b.provideBuffer(5, 1, 0, 10_100, 8);
    b.provideBuffer(5, 0, 0, 10_000, 8);
    expect(await run(h, Op.RECV, { fd: server, mode: select })).toMatchObject({
      res: 8,
      flags: COMPLETION_BUFFER,
      aux: 1,
    });
    expect(text(h, 10_100, 8)).toBe('qrstuvwx');
    // A length in the record caps the buffer's.
    expect(await run(h, Op.RECV, { fd: server, mode: select, buf: [0, 0, 5] })).toMatchObject({ res: 5, aux: 0 });
    expect(text(h, 10_000, 5)).toBe('yz012');
    b.provideBuffer(5, 0, 0, 10_000, 8);
    b.provideBuffer(5, 1, 0, 10_100, 8);
    expect(await run(h, Op.RECV, { fd: server, mode: select })).toMatchObject({ res: 8, aux: 0 });
    expect(text(h, 10_000, 8)).toBe('3456789A');
    // EOF (res 0) consumes no buffer: the group keeps buffer 1, which the next bytes... never come; EOF again.
    expect((await run(h, Op.RECV, { fd: server, mode: select })).res).toBe(3); // 'BCD' into buffer 1
    b.provideBuffer(5, 1, 0, 10_100, 8);
    expect((await run(h, Op.SHUTDOWN, { fd: client, arg: 1 })).res).toBe(0);
    const eof = submit(h, Op.RECV, { fd: server, mode: select | MODE_MULTISHOT });
    h.flush();
    expect(await finalOf(h, eof)).toMatchObject({ res: 0, flags: 0, aux: 0 });
    expect(ofToken(h, eof)).toHaveLength(1);
    // A multishot receive without buffer select is refused.
    expect((await run(h, Op.RECV, { fd: server, mode: MODE_MULTISHOT, buf: [0, 0, 8] })).res).toBe(-errno.EINVAL);
    for (const fd of [client, server, lfd]) closeSync(fd);
    h.backend.close();
  });

  it('cancels every kind of waiting op exactly once; multishot poll fires once per edge, not while the fd stays ready', async () => {
    const h = new Harness(factory, 1024, 256, -1);
    h.backend.createBufferGroup(0, 1);
    h.backend.provideBuffer(0, 0, 0, 20_000, 64);
    const { lfd, client, server } = await tcpPair(h);

    // Multishot POLLIN: one completion per arrival, none while unread data just sits there.
    const poll = submit(h, Op.POLL_ADD, { fd: server, arg: POLLIN, mode: MODE_MULTISHOT });
    h.flush();
    await sleep(10);
    expect(ofToken(h, poll)).toHaveLength(0);
    put(h, 0, 'a');
    expect((await run(h, Op.SEND, { fd: client, buf: [0, 0, 1] })).res).toBe(1);
    while (ofToken(h, poll).length < 1) await h.until(h.log.length + 1);
    await sleep(30);
    const afterOne = ofToken(h, poll).length;
    expect(afterOne).toBeLessThanOrEqual(2); // the arm may see the level once more; never a spin
    expect(ofToken(h, poll).every((c) => (c.res & POLLIN) !== 0 && c.flags === COMPLETION_MORE)).toBe(true);
    expect((await run(h, Op.SEND, { fd: client, buf: [0, 0, 1] })).res).toBe(1);
    while (ofToken(h, poll).length < afterOne + 1) await h.until(h.log.length + 1);
    // A single-shot poll on data already there completes at once.
    expect((await run(h, Op.POLL_ADD, { fd: server, arg: POLLIN })).res & POLLIN).toBe(POLLIN);
    expect((await run(h, Op.RECV, { fd: server, buf: [0, 100, 10] })).res).toBe(2);

    // Waiting ops of every kind, several on one fd: recv + selecting multishot recv + poll on `server`, accept on
    // the listener, recvmsg on a UDP socket.
    const udp = await socket(h, SOCK_DGRAM);
    expect((await run(h, Op.BIND, { fd: udp, ...addr(30_000, sockaddrIn(h, 30_000, 0)) })).res).toBe(0);
    const waiting = [
      submit(h, Op.RECV, { fd: server, buf: [0, 200, 10] }),
      submit(h, Op.RECV, { fd: server, mode: MODE_BUFFER_SELECT | MODE_MULTISHOT }),
      submit(h, Op.POLL_ADD, { fd: server, arg: POLLIN }),
      submit(h, Op.ACCEPT, { fd: lfd }),
      submit(h, Op.RECVMSG, { fd: udp, buf: [0, 300, 10], ...addr(30_200, 128) }),
    ];
    h.flush();
    await sleep(10);
    for (const t of [...waiting, poll]) expect(ofToken(h, t).filter((c) => c.flags === 0)).toHaveLength(0);
    for (const t of [...waiting, poll]) submit(h, Op.CANCEL, { arg: t });
    h.flush();
    for (const t of [...waiting, poll]) expect(await finalOf(h, t)).toMatchObject({ res: -errno.ECANCELED, flags: 0 });
    await sleep(10);
    const cancels = h.log.filter((c) => c.token > waiting.at(-1)! && c.res !== -errno.ECANCELED);
    expect(cancels.map((c) => c.res)).toEqual(Array(waiting.length + 1).fill(0));
    for (const t of [...waiting, poll]) expect(ofToken(h, t).filter((c) => c.flags === 0)).toHaveLength(1);
    // Nothing was lost: data sent now reaches a fresh receive; the group still holds its buffer.
    put(h, 0, 'after');
    expect((await run(h, Op.SEND, { fd: client, buf: [0, 0, 5] })).res).toBe(5);
    expect(await run(h, Op.RECV, { fd: server, mode: MODE_BUFFER_SELECT })).toMatchObject({ res: 5, aux: 0 });
    expect(text(h, 20_000, 5)).toBe('after');
    // UDP still works after its cancelled recvmsg: sendmsg to itself, recvmsg with the source address.
    const self = new Uint8Array(128);
    expect(h.backend.socketAddress(udp, false, self)).toBe(16);
    h.bytes.set(self.subarray(0, 16), 30_400);
    put(h, 0, 'dgram');
    const rm = submit(h, Op.RECVMSG, { fd: udp, buf: [0, 300, 10], ...addr(30_200, 128) });
    h.flush();
    expect((await run(h, Op.SENDMSG, { fd: udp, buf: [0, 0, 5], ...addr(30_400, 16) })).res).toBe(5);
    expect(await finalOf(h, rm)).toMatchObject({ res: 5, aux: 16 });
    expect(text(h, 300, 5)).toBe('dgram');
    // Bad fds: EBADF, never a wait.
    expect((await run(h, Op.POLL_ADD, { fd: -1, arg: POLLIN })).res).toBe(-errno.EBADF);
    expect((await run(h, Op.RECV, { fd: 999_999, buf: [0, 0, 8] })).res).toBe(-errno.EBADF);
    for (const fd of [client, server, lfd, udp]) closeSync(fd);
    h.backend.close();
  });

  it('readv and writev: on a pipe through readiness waits, on a regular file through the pool, bad tables refused', async () => {
    const h = new Harness(factory, 1024, 256, -1);
    const table = (at: number, entries: [number, number][]) => {
      const v = new DataView(h.arena, at, entries.length * 16);
      entries.forEach(([offset, length], i) => {
        v.setUint32(i * 16, 0, true);
        v.setUint32(i * 16 + 4, offset, true);
        v.setUint32(i * 16 + 8, length, true);
        v.setUint32(i * 16 + 12, 0, true);
      });
      return entries.length;
    };
    const path = fifo('vec');
    const rfd = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK);
    const wfd = openSync(path, fsc.O_WRONLY | fsc.O_NONBLOCK);
    const readv = submit(h, Op.READV, {
      fd: rfd,
      buf: [0, 1000, 32],
      arg: table(1000, [
        [2000, 3],
        [2100, 10],
      ]),
    });
    h.flush();
    await sleep(10);
    expect(ofToken(h, readv)).toHaveLength(0);
    put(h, 3000, 'one');
    put(h, 3100, '-two');
    const n = table(1100, [
      [3000, 3],
      [3100, 4],
    ]);
    expect((await run(h, Op.WRITEV, { fd: wfd, buf: [0, 1100, n * 16], arg: n })).res).toBe(7);
    expect((await finalOf(h, readv)).res).toBe(7);
    expect(text(h, 2000, 3) + text(h, 2100, 4)).toBe('one-two');

    const file = join(dir, 'vec.bin');
    writeFileSync(file, '');
    const fd = openSync(file, 'r+');
    const w = table(1200, [
      [3000, 3],
      [3100, 4],
    ]);
    expect((await run(h, Op.WRITEV, { fd, buf: [0, 1200, w * 16], arg: w, offset: 5 })).res).toBe(7);
    expect(readFileSync(file).subarray(5).toString()).toBe('one-two');
    const r = table(1300, [
      [4000, 2],
      [4100, 20],
    ]);
    expect((await run(h, Op.READV, { fd, buf: [0, 1300, r * 16], arg: r, offset: 5 })).res).toBe(7);
    expect(text(h, 4000, 2) + text(h, 4100, 5)).toBe('one-two');

    expect((await run(h, Op.READV, { fd, buf: [0, 1300, 0], arg: 0 })).res).toBe(-errno.EINVAL);
    expect((await run(h, Op.READV, { fd, buf: [0, 1300, 16], arg: 1025 })).res).toBe(-errno.EINVAL);
    expect((await run(h, Op.READV, { fd, buf: [0, h.arena.byteLength - 8, 16], arg: 1 })).res).toBe(-errno.EFAULT);
    const bad = table(1400, [[h.arena.byteLength - 4, 8]]);
    expect((await run(h, Op.READV, { fd, buf: [0, 1400, 16], arg: bad })).res).toBe(-errno.EFAULT);
    for (const x of [rfd, wfd, fd]) closeSync(x);
    h.backend.close();
  });

  it('completes bad references and unknown opcodes with errors, from the loop, never inside flush', async () => {
    const h = new Harness(factory, 1024, 256, -1);
    h.bytes.fill(0x41);
    h.op(Op.READ, 1, { fd: 0, buf: [9, 0, 16] })
      .op(Op.READ, 2, { fd: 0, buf: [0, h.arena.byteLength - 8, 16] })
      .op(Op.OPENAT, 3, { fd: AT_FDCWD, path: [0, h.arena.byteLength - 100] })
      .op(Op.OPENAT, 4, { fd: AT_FDCWD, path: [0, 0] })
      .op(250, 5)
      .op(Op.READ, 6, { fd: 0, buf: [0, 0, 16], offset: 1.5 })
      .op(Op.NOP, 7);
    h.flush();
    expect(h.log).toHaveLength(0); // rule 6: never from inside flush
    const done = await h.until(7);
    expect(done.map((c) => [c.token, c.res])).toEqual(
      expect.arrayContaining([
        [1, -errno.EFAULT],
        [2, -errno.EFAULT],
        [3, -errno.EFAULT],
        [4, -errno.ENAMETOOLONG],
        [5, -errno.EINVAL],
        [6, -errno.EINVAL],
        [7, 0],
      ]),
    );
    h.backend.close();
  });
});
