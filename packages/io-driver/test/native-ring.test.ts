/**
 * The native io_uring backend, driven directly through the `Backend` interface and the byte layout of
 * `contract.ts` (records written with a DataView). These tests need the addon: build it first
 * (`pnpm --filter @zokio/io-driver build:native`); without it they fail, they do not skip.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIoUring, loadIoUringAddon, type IoUringBackend } from '../src/backends/io-uring.js';
import { Harness } from './raw-harness.js';
import {
  AT_FDCWD,
  COMPLETION_BUFFER,
  COMPLETION_MORE,
  IOVEC_ENTRY_BYTES,
  MODE_BUFFER_SELECT,
  MODE_MULTISHOT,
  Op,
  OP_RECORD_BYTES,
  SocketOption,
  type BackendFactory,
} from '../src/contract.js';
import { connect as netConnect, type Socket } from 'node:net';

const { errno } = constants;
const O_RDONLY = 0;
const O_RDWR = 2;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const AT_REMOVEDIR = 0x200;
const STATX_SIZE = 0x200;
const STATX_SIZE_OFFSET = 40; // struct statx: stx_size (u64)

let factory: BackendFactory;
let dir: string;

beforeAll(() => {
  const loaded = loadIoUring();
  if ('error' in loaded) throw new Error(`io_uring backend unavailable: ${loaded.error}`);
  factory = loaded.factory;
  dir = mkdtempSync(join(tmpdir(), 'zokio-native-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('native io_uring backend', () => {
  it('probes the kernel and reports accepted setup flags and supported ops', () => {
    const loaded = loadIoUring();
    if ('error' in loaded) throw new Error(loaded.error);
    expect(loaded.probe.ok).toBe(true);
    expect(loaded.probe.ops).toEqual(expect.arrayContaining(['NOP', 'READ', 'WRITE', 'TIMEOUT', 'CANCEL']));
    const h = new Harness<IoUringBackend>(factory);
    expect(h.backend.kind).toBe('io_uring');
    expect(h.backend.info.setupFlags.length).toBeGreaterThan(0);
    expect(h.backend.info.completionCapacity).toBe(256);
    h.backend.close();
  });

  it('completes each of a batch of 1,000 nops exactly once', async () => {
    const h = new Harness<IoUringBackend>(factory);
    for (let t = 1; t <= 1000; t++) h.op(Op.NOP, t);
    h.flush();
    await h.until(1000);
    await sleep(20);
    expect(h.log).toHaveLength(1000);
    const tokens = h.log.map((c) => c.token).sort((a, b) => a - b);
    expect(tokens).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(h.log.every((c) => c.res === 0 && c.flags === 0)).toBe(true);
    h.backend.close();
  });

  it('writes a temp file and reads it back, at explicit and current positions', async () => {
    const h = new Harness<IoUringBackend>(factory);
    const file = join(dir, 'rw.txt');
    const data = new TextEncoder().encode('hello from io_uring\n');
    h.bytes.set(data, 4096);
    h.op(Op.OPENAT, 1, { fd: AT_FDCWD, path: h.path(0, file), arg: O_CREAT | O_RDWR | O_TRUNC, mode: 0o644 });
    const fd = (await h.roundTrip(1)).get(1)!.res;
    expect(fd).toBeGreaterThanOrEqual(0);

    h.op(Op.WRITE, 2, { fd, buf: [0, 4096, data.length], offset: 0 });
    expect((await h.roundTrip(1)).get(2)!.res).toBe(data.length);
    // Offset -1 writes at the fd's current position, which positional writes left at 0: 'hello' -> 'HELLO'.
    h.bytes.set(new TextEncoder().encode('HELLO'), 2048);
    h.op(Op.WRITE, 3, { fd, buf: [0, 2048, 5], offset: -1 });
    expect((await h.roundTrip(1)).get(3)!.res).toBe(5);
    h.op(Op.FSYNC, 4, { fd, arg: 1 });
    expect((await h.roundTrip(1)).get(4)!.res).toBe(0);

    h.op(Op.READ, 5, { fd, buf: [0, 8192, 64], offset: 0 });
    const n = (await h.roundTrip(1)).get(5)!.res;
    const expected = readFileSync(file);
    expect(n).toBe(expected.length);
    expect(expected.toString()).toBe('HELLO from io_uring\n');
    expect(Buffer.from(h.bytes.subarray(8192, 8192 + n)).equals(expected)).toBe(true);

    h.op(Op.CLOSE, 6, { fd });
    expect((await h.roundTrip(1)).get(6)!.res).toBe(0);
    h.backend.close();
  });

  it('opens an existing file for an fd, closes it, and reports EBADF for a second close', async () => {
    const h = new Harness<IoUringBackend>(factory);
    const file = join(dir, 'open.txt');
    writeFileSync(file, 'x');
    h.op(Op.OPENAT, 1, { fd: AT_FDCWD, path: h.path(0, file), arg: O_RDONLY });
    const fd = (await h.roundTrip(1)).get(1)!.res;
    expect(fd).toBeGreaterThanOrEqual(0);
    h.op(Op.CLOSE, 2, { fd });
    expect((await h.roundTrip(1)).get(2)!.res).toBe(0);
    h.op(Op.CLOSE, 3, { fd });
    expect((await h.roundTrip(1)).get(3)!.res).toBe(-errno.EBADF);
    h.op(Op.OPENAT, 4, { fd: AT_FDCWD, path: h.path(0, join(dir, 'missing')), arg: O_RDONLY });
    expect((await h.roundTrip(1)).get(4)!.res).toBe(-errno.ENOENT);
    h.backend.close();
  });

  it('statx reports the file size', async () => {
    const h = new Harness<IoUringBackend>(factory);
    const file = join(dir, 'stat.bin');
    writeFileSync(file, Buffer.alloc(12345));
    h.op(Op.STATX, 1, { fd: AT_FDCWD, path: h.path(0, file), buf: [0, 4096, 256], arg: STATX_SIZE });
    expect((await h.roundTrip(1)).get(1)!.res).toBe(0);
    expect(new DataView(h.arena).getBigUint64(4096 + STATX_SIZE_OFFSET, true)).toBe(12345n);
    h.op(Op.STATX, 2, { fd: AT_FDCWD, path: h.path(0, file), buf: [0, 4096, 100], arg: STATX_SIZE });
    expect((await h.roundTrip(1)).get(2)!.res).toBe(-errno.EINVAL); // buffer smaller than struct statx
    h.backend.close();
  });

  it('makes, renames and removes directories and files', async () => {
    const h = new Harness<IoUringBackend>(factory);
    const sub = join(dir, 'sub');
    h.op(Op.MKDIRAT, 1, { fd: AT_FDCWD, path: h.path(0, sub), mode: 0o755 });
    expect((await h.roundTrip(1)).get(1)!.res).toBe(0);
    expect(statSync(sub).isDirectory()).toBe(true);
    writeFileSync(join(sub, 'a'), 'a');
    h.op(Op.RENAMEAT, 2, { fd: AT_FDCWD, path: h.path(0, join(sub, 'a')), path2: h.path(1024, join(sub, 'b')) });
    expect((await h.roundTrip(1)).get(2)!.res).toBe(0);
    expect(existsSync(join(sub, 'b'))).toBe(true);
    h.op(Op.UNLINKAT, 3, { fd: AT_FDCWD, path: h.path(0, join(sub, 'b')) });
    expect((await h.roundTrip(1)).get(3)!.res).toBe(0);
    h.op(Op.UNLINKAT, 4, { fd: AT_FDCWD, path: h.path(0, sub), arg: AT_REMOVEDIR });
    expect((await h.roundTrip(1)).get(4)!.res).toBe(0);
    expect(existsSync(sub)).toBe(false);
    h.backend.close();
  });

  it('a TIMEOUT expires with -ETIME', async () => {
    const h = new Harness<IoUringBackend>(factory);
    const started = performance.now();
    h.op(Op.TIMEOUT, 7, { arg: 20 });
    expect((await h.roundTrip(1)).get(7)!.res).toBe(-errno.ETIME);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
    h.backend.close();
  });

  it('cancelling a TIMEOUT in flight yields -ECANCELED once, plus the cancel completion', async () => {
    const h = new Harness<IoUringBackend>(factory);
    h.op(Op.TIMEOUT, 1, { arg: 60_000 }).flush();
    await sleep(5);
    expect(() => h.backend.close()).toThrow(expect.objectContaining({ code: 'EBUSY' }) as Error);
    h.op(Op.CANCEL, 2, { arg: 1 });
    const done = await h.roundTrip(2);
    expect(done.get(1)!.res).toBe(-errno.ECANCELED);
    expect(done.get(2)!.res).toBe(0);
    h.op(Op.CANCEL, 3, { arg: 1 }); // target already done
    expect((await h.roundTrip(1)).get(3)!.res).toBe(-errno.ENOENT);
    await sleep(20);
    expect(h.log.filter((c) => c.token === 1)).toHaveLength(1);
    expect(h.log).toHaveLength(3);
    h.backend.close();
    h.backend.close(); // idempotent
  });

  it('completes ops with bad references with an error instead of submitting them', async () => {
    const h = new Harness<IoUringBackend>(factory);
    h.bytes.fill(0x41, 0, h.bytes.length); // no NUL anywhere: a path would run off the arena
    h.op(Op.READ, 1, { fd: 0, buf: [9, 0, 16] }) // unknown arena
      .op(Op.READ, 2, { fd: 0, buf: [0, h.arena.byteLength - 8, 16] }) // runs past the end
      .op(Op.READ, 3, { fd: 0, buf: [0, 0xffffffff, 0xffffffff] }) // offset + length overflows u32
      .op(Op.OPENAT, 4, { fd: AT_FDCWD, path: [0, h.arena.byteLength - 100] }) // no NUL before the end
      .op(Op.OPENAT, 5, { fd: AT_FDCWD, path: [0, 0] }) // no NUL within PATH_MAX
      .op(250, 6) // unknown opcode
      .op(Op.READ, 7, { fd: 0, buf: [0, 0, 16], offset: 1.5 }) // non-integer offset
      .op(Op.WRITE, 8, { fd: 0, buf: [0, 0, 16], offset: -2 }) // negative offset other than -1
      .op(Op.NOP, 9);
    const done = await h.roundTrip(9);
    expect([...done.values()].map((c) => [c.token, c.res])).toEqual(
      expect.arrayContaining([
        [1, -errno.EFAULT],
        [2, -errno.EFAULT],
        [3, -errno.EFAULT],
        [4, -errno.EFAULT],
        [5, -errno.ENAMETOOLONG],
        [6, -errno.EINVAL],
        [7, -errno.EINVAL],
        [8, -errno.EINVAL],
        [9, 0],
      ]),
    );
    expect(() => h.backend.flush(h.staging.byteLength / OP_RECORD_BYTES + 1)).toThrow(RangeError);
    h.backend.close();
  });

  it('completes 100,000 nops flushed in bursts, each exactly once, beyond the ring and callback sizes', async () => {
    const h = new Harness<IoUringBackend>(factory, 1000, 128);
    const seen = new Uint8Array(100_001);
    for (let burst = 0; burst < 100; burst++) {
      for (let i = 1; i <= 1000; i++) h.op(Op.NOP, burst * 1000 + i);
      h.flush();
      if (burst % 10 === 9) await sleep(0); // let some complete between bursts
    }
    await h.until(100_000);
    await sleep(20);
    for (const c of h.log) seen[c.token]!++;
    expect(h.log).toHaveLength(100_000);
    expect(seen.subarray(1).every((n) => n === 1)).toBe(true);
    h.backend.close();
  });

  it('loads in two worker threads at once, each with its own ring', async () => {
    const loaded = loadIoUringAddon();
    if ('error' in loaded) throw new Error(loaded.error);
    const addonPath = createRequire(import.meta.url).resolve('../build/Release/zokio_io.node');
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const addon = require(workerData.addonPath);
      const staging = new ArrayBuffer(64 * 64), completions = new ArrayBuffer(16 * 64);
      const seen = [];
      const ring = addon.createRing(staging, completions, (count) => {
        const v = new DataView(completions);
        for (let i = 0; i < count; i++) seen.push([v.getUint32(i * 16, true), v.getInt32(i * 16 + 4, true)]);
        if (seen.length === 64) { addon.close(ring); parentPort.postMessage({ seen, info: ring && 'ok' }); }
      }, 32);
      const v = new DataView(staging);
      for (let i = 0; i < 64; i++) { v.setUint8(i * 64, 0); v.setUint32(i * 64 + 4, 1000 + i, true); }
      addon.flush(ring, 64);
    `;
    const run = () =>
      new Promise<{ seen: [number, number][] }>((resolve, reject) => {
        const worker = new Worker(code, { eval: true, workerData: { addonPath } });
        worker.once('message', (m: { seen: [number, number][] }) => {
          resolve(m);
          void worker.terminate();
        });
        worker.once('error', reject);
        worker.once('exit', (exitCode) => reject(new Error(`worker exited with ${exitCode} before answering`)));
      });
    const results = await Promise.all([run(), run()]);
    for (const { seen } of results) {
      expect(seen.map(([t]) => t).sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => 1000 + i));
      expect(seen.every(([, res]) => res === 0)).toBe(true);
    }
  });

  it('tears down a worker ring with a timeout still in flight when the worker ends', async () => {
    const addonPath = createRequire(import.meta.url).resolve('../build/Release/zokio_io.node');
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const addon = require(workerData.addonPath);
      const staging = new ArrayBuffer(64), completions = new ArrayBuffer(16);
      const ring = addon.createRing(staging, completions, () => {}, 8);
      const v = new DataView(staging);
      v.setUint8(0, 10); v.setUint32(4, 1, true); v.setUint32(12, 60000, true);
      addon.flush(ring, 1);
      parentPort.postMessage('armed');
    `;
    const worker = new Worker(code, { eval: true, workerData: { addonPath } });
    await new Promise((resolve) => worker.once('message', resolve));
    const started = performance.now();
    await worker.terminate();
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

// ---- Sockets, vectored I/O, provided buffers, multishot ------------------------------------------------------------

const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const POLLIN = 1;
const SOCKADDR_IN_BYTES = 16;

/** The address fields of a record: a sockaddr at `offset` in arena 0, `length` bytes (or capacity). */
const addr = (offset: number, length: number) => ({
  path: [0, offset] as [number, number],
  path2: [length, 0] as [number, number],
});

/** Writes a sockaddr_in for 127.0.0.1:`port` at `offset`. */
function sockaddrIn(h: Harness, offset: number, port: number): void {
  const v = new DataView(h.arena, offset, SOCKADDR_IN_BYTES);
  new Uint8Array(h.arena, offset, SOCKADDR_IN_BYTES).fill(0);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  v.setUint8(4, 127);
  v.setUint8(7, 1);
}

function portOf(bytes: Uint8Array): number {
  return (bytes[2]! << 8) | bytes[3]!;
}

/** Submits one op and resolves with its final completion. */
async function run(h: Harness<IoUringBackend>, opcode: number, token: number, f: Parameters<Harness['op']>[2] = {}) {
  h.op(opcode, token, f).flush();
  return final(h, token);
}

/** Resolves with the final completion of an op already submitted. */
async function final(h: Harness<IoUringBackend>, token: number) {
  for (;;) {
    const found = h.log.find((c) => c.token === token && (c.flags & COMPLETION_MORE) === 0);
    if (found) return found;
    await h.until(h.log.length + 1);
  }
}

let nextToken = 10_000;
const tok = () => nextToken++;

/** A listening TCP socket on 127.0.0.1 (ephemeral port), made entirely with ring ops. */
async function listener(h: Harness<IoUringBackend>): Promise<{ fd: number; port: number }> {
  const fd = (await run(h, Op.SOCKET, tok(), { arg: AF_INET, mode: SOCK_STREAM, fd2: 0 })).res;
  expect(fd).toBeGreaterThanOrEqual(0);
  expect(h.backend.setSocketOption(fd, SocketOption.REUSEADDR, 1)).toBe(0);
  sockaddrIn(h, 900_000, 0);
  expect((await run(h, Op.BIND, tok(), { fd, ...addr(900_000, SOCKADDR_IN_BYTES) })).res).toBe(0);
  expect((await run(h, Op.LISTEN, tok(), { fd, arg: 16 })).res).toBe(0);
  const out = new Uint8Array(128);
  expect(h.backend.socketAddress(fd, false, out)).toBe(SOCKADDR_IN_BYTES);
  return { fd, port: portOf(out) };
}

/** A connected TCP pair (client, server), both made with ring ops. */
async function tcpPair(h: Harness<IoUringBackend>): Promise<{ client: number; server: number; listen: number }> {
  const l = await listener(h);
  const client = (await run(h, Op.SOCKET, tok(), { arg: AF_INET, mode: SOCK_STREAM, fd2: 0 })).res;
  sockaddrIn(h, 900_100, l.port);
  const acceptToken = tok();
  const connectToken = tok();
  h.op(Op.ACCEPT, acceptToken, { fd: l.fd, ...addr(900_200, 128) });
  h.op(Op.CONNECT, connectToken, { fd: client, ...addr(900_100, SOCKADDR_IN_BYTES) });
  const done = await h.roundTrip(2);
  expect(done.get(connectToken)!.res).toBe(0);
  const accepted = done.get(acceptToken)!;
  expect(accepted.res).toBeGreaterThanOrEqual(0);
  expect(accepted.aux).toBe(SOCKADDR_IN_BYTES); // the peer's sockaddr_in length, written by the kernel
  expect(h.bytes[900_200]).toBe(AF_INET);
  return { client, server: accepted.res, listen: l.fd };
}

async function closeAll(h: Harness<IoUringBackend>, ...fds: number[]): Promise<void> {
  for (const fd of fds) expect((await run(h, Op.CLOSE, tok(), { fd })).res).toBe(0);
}

function connectClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

describe('native io_uring backend: sockets', () => {
  it('reports every socket op as supported', () => {
    const loaded = loadIoUring();
    if ('error' in loaded) throw new Error(loaded.error);
    expect(loaded.probe.ops).toEqual(
      expect.arrayContaining(['READV', 'WRITEV', 'SOCKET', 'BIND', 'LISTEN', 'ACCEPT', 'CONNECT', 'RECV', 'SEND']),
    );
    expect(loaded.probe.ops).toEqual(expect.arrayContaining(['RECVMSG', 'SENDMSG', 'SHUTDOWN', 'POLL_ADD']));
  });

  it('writes and reads a file with WRITEV/READV through iovec tables', async () => {
    const h = new Harness<IoUringBackend>(factory);
    const file = join(dir, 'vec.txt');
    h.op(Op.OPENAT, 1, { fd: AT_FDCWD, path: h.path(0, file), arg: O_CREAT | O_RDWR | O_TRUNC, mode: 0o644 });
    const fd = (await h.roundTrip(1)).get(1)!.res;
    const enc = new TextEncoder();
    h.bytes.set(enc.encode('hello '), 10_000);
    h.bytes.set(enc.encode('vectored world'), 20_000);
    const table = (at: number, entries: [number, number][]) => {
      const v = new DataView(h.arena, at, entries.length * IOVEC_ENTRY_BYTES);
      entries.forEach(([offset, length], i) => {
        v.setUint32(i * 16, 0, true);
        v.setUint32(i * 16 + 4, offset, true);
        v.setUint32(i * 16 + 8, length, true);
        v.setUint32(i * 16 + 12, 0, true);
      });
    };
    table(4096, [
      [10_000, 6],
      [20_000, 14],
    ]);
    h.op(Op.WRITEV, 2, { fd, buf: [0, 4096, 32], arg: 2, offset: 0 });
    expect((await h.roundTrip(1)).get(2)!.res).toBe(20);
    expect(readFileSync(file, 'utf8')).toBe('hello vectored world');
    table(8192, [
      [30_000, 5],
      [40_000, 100],
    ]);
    h.op(Op.READV, 3, { fd, buf: [0, 8192, 32], arg: 2, offset: 0 });
    expect((await h.roundTrip(1)).get(3)!.res).toBe(20);
    expect(new TextDecoder().decode(h.bytes.subarray(30_000, 30_005))).toBe('hello');
    expect(new TextDecoder().decode(h.bytes.subarray(40_000, 40_015))).toBe(' vectored world');
    // A bad table completes with an error, never reaching the kernel.
    table(12_288, [[h.arena.byteLength - 4, 100]]);
    h.op(Op.READV, 4, { fd, buf: [0, 12_288, 16], arg: 1, offset: 0 });
    h.op(Op.READV, 5, { fd, buf: [0, 12_288, 16], arg: 0, offset: 0 });
    const bad = await h.roundTrip(2);
    expect(bad.get(4)!.res).toBe(-errno.EFAULT);
    expect(bad.get(5)!.res).toBe(-errno.EINVAL);
    await closeAll(h, fd);
    h.backend.close();
  });

  it('SOCKET, BIND, LISTEN, ACCEPT, CONNECT, SEND, RECV and SHUTDOWN over TCP on 127.0.0.1', async () => {
    const h = new Harness<IoUringBackend>(factory);
    const { client, server, listen } = await tcpPair(h);
    const peer = new Uint8Array(128);
    expect(h.backend.socketAddress(server, true, peer)).toBe(SOCKADDR_IN_BYTES);
    expect(h.backend.setSocketOption(client, SocketOption.NODELAY, 1)).toBe(0);
    h.bytes.set(new TextEncoder().encode('ping over io_uring'), 50_000);
    expect((await run(h, Op.SEND, tok(), { fd: client, buf: [0, 50_000, 18] })).res).toBe(18);
    const got = await run(h, Op.RECV, tok(), { fd: server, buf: [0, 60_000, 64] });
    expect(got.res).toBe(18);
    expect(got.flags).toBe(0);
    expect(new TextDecoder().decode(h.bytes.subarray(60_000, 60_018))).toBe('ping over io_uring');
    expect((await run(h, Op.SHUTDOWN, tok(), { fd: client, arg: 1 })).res).toBe(0);
    expect((await run(h, Op.RECV, tok(), { fd: server, buf: [0, 60_000, 64] })).res).toBe(0); // EOF
    await closeAll(h, server);
    // The peer is gone: SEND fails with EPIPE (MSG_NOSIGNAL: no SIGPIPE kills the test process) or ECONNRESET.
    let res = 0;
    for (let i = 0; i < 10 && res >= 0; i++)
      res = (await run(h, Op.SEND, tok(), { fd: client, buf: [0, 50_000, 18] })).res;
    expect([-errno.EPIPE, -errno.ECONNRESET]).toContain(res);
    // Connecting to a closed port is refused.
    const refused = (await run(h, Op.SOCKET, tok(), { arg: AF_INET, mode: SOCK_STREAM, fd2: 0 })).res;
    const probe = new Uint8Array(128);
    h.backend.socketAddress(listen, false, probe);
    await closeAll(h, listen);
    sockaddrIn(h, 900_300, portOf(probe));
    expect((await run(h, Op.CONNECT, tok(), { fd: refused, ...addr(900_300, SOCKADDR_IN_BYTES) })).res).toBe(
      -errno.ECONNREFUSED,
    );
    await closeAll(h, client, refused);
    h.backend.close();
  });

  it('SENDMSG and RECVMSG over UDP report the source address length in aux', async () => {
    const h = new Harness<IoUringBackend>(factory);
    const a = (await run(h, Op.SOCKET, tok(), { arg: AF_INET, mode: SOCK_DGRAM, fd2: 0 })).res;
    const b = (await run(h, Op.SOCKET, tok(), { arg: AF_INET, mode: SOCK_DGRAM, fd2: 0 })).res;
    sockaddrIn(h, 900_000, 0);
    expect((await run(h, Op.BIND, tok(), { fd: a, ...addr(900_000, 16) })).res).toBe(0);
    expect((await run(h, Op.BIND, tok(), { fd: b, ...addr(900_000, 16) })).res).toBe(0);
    const out = new Uint8Array(128);
    h.backend.socketAddress(a, false, out);
    const portA = portOf(out);
    h.backend.socketAddress(b, false, out);
    const portB = portOf(out);
    const recvToken = tok();
    h.op(Op.RECVMSG, recvToken, { fd: a, buf: [0, 70_000, 100], ...addr(900_400, 128) }).flush();
    sockaddrIn(h, 900_100, portA);
    h.bytes.set(new TextEncoder().encode('datagram'), 71_000);
    expect((await run(h, Op.SENDMSG, tok(), { fd: b, buf: [0, 71_000, 8], ...addr(900_100, 16) })).res).toBe(8);
    const got = await final(h, recvToken);
    expect(got.res).toBe(8);
    expect(got.aux).toBe(SOCKADDR_IN_BYTES);
    expect(portOf(h.bytes.subarray(900_400))).toBe(portB);
    expect(new TextDecoder().decode(h.bytes.subarray(70_000, 70_008))).toBe('datagram');
    // Without an address: RECVMSG still receives, aux 0.
    const t2 = tok();
    h.op(Op.RECVMSG, t2, { fd: a, buf: [0, 70_000, 100] }).flush();
    expect((await run(h, Op.SENDMSG, tok(), { fd: b, buf: [0, 71_000, 4], ...addr(900_100, 16) })).res).toBe(4);
    const got2 = await final(h, t2);
    expect([got2.res, got2.aux]).toEqual([4, 0]);
    await closeAll(h, a, b);
    h.backend.close();
  });

  it('POLL_ADD completes with the ready mask; a multishot poll completes many times and ends when cancelled', async () => {
    const h = new Harness<IoUringBackend>(factory);
    const { client, server, listen } = await tcpPair(h);
    const pollToken = tok();
    h.op(Op.POLL_ADD, pollToken, { fd: server, arg: POLLIN }).flush();
    await sleep(10);
    expect(h.log.some((c) => c.token === pollToken)).toBe(false); // nothing to read yet
    h.bytes[50_000] = 1;
    expect((await run(h, Op.SEND, tok(), { fd: client, buf: [0, 50_000, 1] })).res).toBe(1);
    expect((await final(h, pollToken)).res & POLLIN).toBe(POLLIN);

    const multi = tok();
    h.op(Op.POLL_ADD, multi, { fd: listen, arg: POLLIN, mode: MODE_MULTISHOT }).flush();
    const clients: Socket[] = [];
    const port = (() => {
      const o = new Uint8Array(128);
      h.backend.socketAddress(listen, false, o);
      return portOf(o);
    })();
    clients.push(await connectClient(port));
    while (!h.log.some((c) => c.token === multi)) await h.until(h.log.length + 1);
    const first = h.log.find((c) => c.token === multi)!;
    expect(first.flags & COMPLETION_MORE).toBe(COMPLETION_MORE);
    expect(first.res & POLLIN).toBe(POLLIN);
    const cancel = tok();
    const cancelled = await run(h, Op.CANCEL, cancel, { arg: multi });
    expect(cancelled.res).toBe(0);
    const end = await final(h, multi);
    expect(end.res).toBe(-errno.ECANCELED);
    expect(h.log.filter((c) => c.token === multi && (c.flags & COMPLETION_MORE) === 0)).toHaveLength(1);
    for (const c of clients) c.destroy();
    await closeAll(h, client, server, listen);
    h.backend.close();
  });

  it('a multishot ACCEPT completes once per connection with MORE, close-on-exec fds, until cancelled', async () => {
    const h = new Harness<IoUringBackend>(factory);
    const l = await listener(h);
    const acceptToken = tok();
    h.op(Op.ACCEPT, acceptToken, { fd: l.fd, mode: MODE_MULTISHOT }).flush();
    const clients = await Promise.all([connectClient(l.port), connectClient(l.port), connectClient(l.port)]);
    while (h.log.filter((c) => c.token === acceptToken).length < 3) await h.until(h.log.length + 1);
    const accepted = h.log.filter((c) => c.token === acceptToken);
    expect(accepted.every((c) => c.res >= 0 && (c.flags & COMPLETION_MORE) !== 0)).toBe(true);
    expect(new Set(accepted.map((c) => c.res)).size).toBe(3);
    for (const c of accepted) {
      // FD_CLOEXEC: the fd is not inherited by a child; /proc shows it in the fd's flags (0o2000000 = O_CLOEXEC).
      const info = readFileSync(`/proc/self/fdinfo/${c.res}`, 'utf8');
      const flags = Number.parseInt(/flags:\s*([0-7]+)/.exec(info)![1]!, 8);
      expect(flags & 0o2000000).toBe(0o2000000);
    }
    expect(() => h.backend.close()).toThrow(expect.objectContaining({ code: 'EBUSY' }) as Error);
    const cancelToken = tok();
    expect((await run(h, Op.CANCEL, cancelToken, { arg: acceptToken })).res).toBe(0);
    const end = await final(h, acceptToken);
    expect(end.res).toBe(-errno.ECANCELED);
    expect(end.flags).toBe(0);
    for (const c of clients) c.destroy();
    await closeAll(h, l.fd, ...accepted.map((c) => c.res));
    h.backend.close();
  });
});

describe('native io_uring backend: provided buffers', () => {
  it('validates createBufferGroup and provideBuffer with coded errors', () => {
    const h = new Harness<IoUringBackend>(factory);
    h.backend.createBufferGroup(3, 4);
    const code = (fn: () => void) => {
      try {
        fn();
      } catch (error) {
        return { code: (error as { code?: string }).code, message: (error as Error).message };
      }
      return undefined;
    };
    expect(code(() => h.backend.createBufferGroup(3, 4))).toMatchObject({ code: 'EEXIST' });
    expect(code(() => h.backend.createBufferGroup(4, 3))).toMatchObject({
      code: 'EINVAL',
      message: expect.stringMatching(/expected a capacity that is a power of two.*got 3/) as string,
    });
    expect(code(() => h.backend.createBufferGroup(70_000, 4))).toMatchObject({ code: 'EINVAL' });
    expect(code(() => h.backend.createBufferGroup(5, 65_536))).toMatchObject({ code: 'EINVAL' });
    expect(code(() => h.backend.provideBuffer(9, 0, 0, 0, 64))).toMatchObject({ code: 'EINVAL' });
    expect(code(() => h.backend.provideBuffer(3, 4, 0, 0, 64))).toMatchObject({
      code: 'EINVAL',
      message: expect.stringMatching(/expected a buffer id from 0 to 3, got 4/) as string,
    });
    expect(code(() => h.backend.provideBuffer(3, 0, 0, h.arena.byteLength - 10, 64))).toMatchObject({ code: 'EINVAL' });
    expect(code(() => h.backend.provideBuffer(3, 0, 7, 0, 64))).toMatchObject({ code: 'EINVAL' });
    h.backend.provideBuffer(3, 0, 0, 0, 64);
    expect(code(() => h.backend.provideBuffer(3, 0, 0, 0, 64))).toMatchObject({
      code: 'EINVAL',
      message: expect.stringMatching(/already holds/) as string,
    });
    h.backend.close();
  });

  it('lends an arena until released; refuses to release a fixed buffer or an id not lent', () => {
    const h = new Harness<IoUringBackend>(factory);
    const code = (fn: () => void) => {
      try {
        fn();
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return undefined;
    };
    // Arena 0 is the harness's, registered for life (a fixed buffer where the kernel allows one).
    expect(code(() => h.backend.releaseArena(0))).toBe(
      h.backend.info.fixedBuffers ? 'ERR_ZOKIO_ARENA_PINNED' : undefined,
    );
    h.backend.lendArena(5, new ArrayBuffer(16));
    expect(code(() => h.backend.lendArena(5, new ArrayBuffer(16)))).toBe('ERR_ZOKIO_ARENA_EXISTS');
    h.backend.releaseArena(5);
    expect(code(() => h.backend.releaseArena(5))).toBe('ERR_ZOKIO_NO_ARENA');
    expect(code(() => h.backend.lendArena(5, new ArrayBuffer(32)))).toBeUndefined(); // the id is free again
    expect(code(() => h.backend.releaseArena(70_000))).toBe('ERR_OUT_OF_RANGE');
    h.backend.close();
  });

  it('a selecting RECV names its buffer; an empty group gives -ENOBUFS; providing again recovers', async () => {
    const h = new Harness<IoUringBackend>(factory);
    const group = 7;
    h.backend.createBufferGroup(group, 2);
    h.backend.provideBuffer(group, 0, 0, 100_000, 32);
    h.backend.provideBuffer(group, 1, 0, 100_100, 32);
    const { client, server, listen } = await tcpPair(h);
    const send = async (text: string) => {
      h.bytes.set(new TextEncoder().encode(text), 50_000);
      expect((await run(h, Op.SEND, tok(), { fd: client, buf: [0, 50_000, text.length] })).res).toBe(text.length);
    };
    const bufText = (bid: number, n: number) =>
      new TextDecoder().decode(h.bytes.subarray(100_000 + bid * 100, 100_000 + bid * 100 + n));
    const lent: number[] = [];
    for (const text of ['first', 'second']) {
      await send(text);
      const c = await run(h, Op.RECV, tok(), { fd: server, mode: MODE_BUFFER_SELECT | group });
      expect(c.res).toBe(text.length);
      expect(c.flags).toBe(COMPLETION_BUFFER);
      expect(bufText(c.aux, c.res)).toBe(text);
      lent.push(c.aux);
    }
    expect(lent.sort()).toEqual([0, 1]);
    // The group is empty: a single-shot selecting recv completes with -ENOBUFS, data or not.
    await send('third');
    const empty = await run(h, Op.RECV, tok(), { fd: server, mode: MODE_BUFFER_SELECT | group });
    expect([empty.res, empty.flags]).toEqual([-errno.ENOBUFS, 0]);
    // Recovery: give a buffer back, receive again.
    h.backend.provideBuffer(group, 1, 0, 100_100, 32);
    const again = await run(h, Op.RECV, tok(), { fd: server, mode: MODE_BUFFER_SELECT | group });
    expect([again.res, again.flags, again.aux]).toEqual([5, COMPLETION_BUFFER, 1]);
    expect(bufText(1, 5)).toBe('third');
    // An unknown group: -ENOBUFS too.
    expect((await run(h, Op.RECV, tok(), { fd: server, mode: MODE_BUFFER_SELECT | 99 })).res).toBe(-errno.ENOBUFS);
    // A multishot RECV without a group is refused.
    expect((await run(h, Op.RECV, tok(), { fd: server, buf: [0, 0, 8], mode: MODE_MULTISHOT })).res).toBe(
      -errno.EINVAL,
    );
    await closeAll(h, client, server, listen);
    h.backend.close();
  });

  it('a completion without data consumes no buffer (EOF keeps the buffer in the group)', async () => {
    const h = new Harness<IoUringBackend>(factory);
    h.backend.createBufferGroup(1, 1);
    h.backend.provideBuffer(1, 0, 0, 100_000, 64);
    const { client, server, listen } = await tcpPair(h);
    const pending = tok();
    h.op(Op.RECV, pending, { fd: server, mode: MODE_BUFFER_SELECT | 1 }).flush();
    await sleep(10);
    expect((await run(h, Op.SHUTDOWN, tok(), { fd: client, arg: 1 })).res).toBe(0);
    const eof = await final(h, pending);
    expect([eof.res, eof.flags, eof.aux]).toEqual([0, 0, 0]);
    // Still held by the backend: providing it again is refused...
    expect(() => h.backend.provideBuffer(1, 0, 0, 100_000, 64)).toThrow(
      expect.objectContaining({ code: 'EINVAL' }) as Error,
    );
    // ...and another connection can receive into it.
    const second = await tcpPair(h);
    h.bytes.set(new TextEncoder().encode('after eof'), 50_000);
    expect((await run(h, Op.SEND, tok(), { fd: second.client, buf: [0, 50_000, 9] })).res).toBe(9);
    const got = await run(h, Op.RECV, tok(), { fd: second.server, mode: MODE_BUFFER_SELECT | 1 });
    expect([got.res, got.flags, got.aux]).toEqual([9, COMPLETION_BUFFER, 0]);
    await closeAll(h, client, server, listen, second.client, second.server, second.listen);
    h.backend.close();
  });

  it('a multishot selecting RECV completes with MORE per buffer, ends with -ENOBUFS, and recovers', async () => {
    const h = new Harness<IoUringBackend>(factory);
    const group = 2;
    h.backend.createBufferGroup(group, 2);
    h.backend.provideBuffer(group, 0, 0, 100_000, 16);
    h.backend.provideBuffer(group, 1, 0, 100_100, 16);
    const { client, server, listen } = await tcpPair(h);
    const multi = tok();
    h.op(Op.RECV, multi, { fd: server, mode: MODE_BUFFER_SELECT | MODE_MULTISHOT | group }).flush();
    const send = async (text: string) => {
      h.bytes.set(new TextEncoder().encode(text), 50_000);
      expect((await run(h, Op.SEND, tok(), { fd: client, buf: [0, 50_000, text.length] })).res).toBe(text.length);
    };
    const mine = () => h.log.filter((c) => c.token === multi);
    await send('one');
    while (mine().length < 1) await h.until(h.log.length + 1);
    await send('two');
    while (mine().length < 2) await h.until(h.log.length + 1);
    expect(mine().map((c) => [c.res, c.flags])).toEqual([
      [3, COMPLETION_MORE | COMPLETION_BUFFER],
      [3, COMPLETION_MORE | COMPLETION_BUFFER],
    ]);
    expect(
      mine()
        .map((c) => c.aux)
        .sort(),
    ).toEqual([0, 1]);
    // Both buffers lent: the next data finds the group empty and ends the op.
    await send('three');
    const end = await final(h, multi);
    expect([end.res, end.flags]).toEqual([-errno.ENOBUFS, 0]);
    // Recovery: provide, submit again, get the data that waited in the socket.
    h.backend.provideBuffer(group, 0, 0, 100_000, 16);
    const again = tok();
    h.op(Op.RECV, again, { fd: server, mode: MODE_BUFFER_SELECT | MODE_MULTISHOT | group }).flush();
    while (!h.log.some((c) => c.token === again)) await h.until(h.log.length + 1);
    const got = h.log.find((c) => c.token === again)!;
    expect([got.res, got.flags, got.aux]).toEqual([5, COMPLETION_MORE | COMPLETION_BUFFER, 0]);
    expect(new TextDecoder().decode(h.bytes.subarray(100_000, 100_005))).toBe('three');
    // Cancel ends the multishot op with one final completion.
    h.backend.provideBuffer(group, 1, 0, 100_100, 16);
    expect((await run(h, Op.CANCEL, tok(), { arg: again })).res).toBe(0);
    const cancelled = await final(h, again);
    expect([cancelled.res, cancelled.flags]).toEqual([-errno.ECANCELED, 0]);
    expect(h.log.filter((c) => c.token === again && (c.flags & COMPLETION_MORE) === 0)).toHaveLength(1);
    await closeAll(h, client, server, listen);
    h.backend.close();
  });

  it('a multishot RECV posting more CQEs than the CQ holds loses none (kernel overflow list, resubmission)', async () => {
    const small = loadIoUring({ entries: 2, cqEntries: 0 }); // a CQ of 4 entries: the kernel's default
    if ('error' in small) throw new Error(small.error);
    const h = new Harness<IoUringBackend>(small.factory);
    expect(h.backend.info.cqEntries).toBeLessThanOrEqual(8);
    const group = 4;
    const n = 64;
    h.backend.createBufferGroup(group, n);
    for (let bid = 0; bid < n; bid++) h.backend.provideBuffer(group, bid, 0, 300_000 + bid, 1); // 1-byte buffers
    const { client, server, listen } = await tcpPair(h);
    const payload = Uint8Array.from({ length: n }, (_, i) => 65 + (i % 26));
    h.bytes.set(payload, 50_000);
    expect((await run(h, Op.SEND, tok(), { fd: client, buf: [0, 50_000, n] })).res).toBe(n);
    const received: number[] = [];
    const isFinal = (c: { flags: number }) => (c.flags & COMPLETION_MORE) === 0;
    while (received.length < n) {
      const token = tok();
      h.op(Op.RECV, token, { fd: server, mode: MODE_BUFFER_SELECT | MODE_MULTISHOT | group }).flush();
      let seen = 0;
      let ended = false;
      // Until the op ends (the kernel ends it early when the CQ is full: submit again) or every byte has arrived.
      while (!ended && received.length < n) {
        await h.until(h.log.length + 1);
        const mine = h.log.filter((x) => x.token === token);
        for (const c of mine.slice(seen)) {
          // One byte per 1-byte buffer; never ENOBUFS: the group has a buffer for every byte.
          expect([c.res, c.flags & COMPLETION_BUFFER]).toEqual([1, COMPLETION_BUFFER]);
          received.push(h.bytes[300_000 + c.aux]!);
          ended ||= isFinal(c);
        }
        seen = mine.length;
      }
      if (!ended) {
        expect((await run(h, Op.CANCEL, tok(), { arg: token })).res).toBe(0);
        expect((await final(h, token)).res).toBe(-errno.ECANCELED);
      }
    }
    expect(Uint8Array.from(received)).toEqual(payload);
    await closeAll(h, client, server, listen);
    h.backend.close();
  });

  it('reports whether arenas are fixed buffers, and READ/WRITE work either way', async () => {
    const h = new Harness<IoUringBackend>(factory);
    expect(typeof h.backend.info.fixedBuffers).toBe('boolean');
    const file = join(dir, 'fixed.bin');
    h.op(Op.OPENAT, 1, { fd: AT_FDCWD, path: h.path(0, file), arg: O_CREAT | O_RDWR | O_TRUNC, mode: 0o644 });
    const fd = (await h.roundTrip(1)).get(1)!.res;
    h.bytes.set(new TextEncoder().encode('fixed or not'), 200_000);
    h.op(Op.WRITE, 2, { fd, buf: [0, 200_000, 12], offset: 0 });
    expect((await h.roundTrip(1)).get(2)!.res).toBe(12);
    h.op(Op.READ, 3, { fd, buf: [0, h.arena.byteLength - 12, 12], offset: 0 });
    expect((await h.roundTrip(1)).get(3)!.res).toBe(12);
    expect(new TextDecoder().decode(h.bytes.subarray(h.arena.byteLength - 12))).toBe('fixed or not');
    await closeAll(h, fd);
    h.backend.close();
  });
});
