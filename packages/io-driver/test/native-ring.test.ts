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
import { AT_FDCWD, Op, OP_RECORD_BYTES, type BackendFactory } from '../src/contract.js';

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
