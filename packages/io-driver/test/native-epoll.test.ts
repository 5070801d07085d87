/**
 * The native epoll backend, driven directly through the `Backend` interface and the byte layout of `contract.ts`:
 * what the conformance suite cannot see — readiness waits on pipes, which pool jobs a cancel can still stop, one
 * backend per worker thread, and thousands of mixed ops. These tests need the addon (`pnpm build:native`); without
 * it they fail, they do not skip.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants as fsc, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEpoll } from '../src/backends/epoll.js';
import { Harness } from './raw-harness.js';
import { AT_FDCWD, Op, type BackendFactory } from '../src/contract.js';

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

function fifo(name: string): string {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  return path;
}

describe('native epoll backend', () => {
  it('a pipe read waits for readiness (EPOLLONESHOT), then completes with the data; a waiting read can be cancelled', async () => {
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
    // A positional read on a pipe is the syscall's own error.
    h.op(Op.READ, 6, { fd: rfd, buf: [0, 0, 8], offset: 0 });
    expect((await h.roundTrip(1)).get(6)!.res).toBe(-errno.ESPIPE);
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
