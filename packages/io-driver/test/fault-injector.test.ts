/**
 * The fault injector on every backend: under every fault at once each op still gets exactly one final completion,
 * with its true result, a real short transfer, or an error it could really get; submission faults replay from the
 * seed; a close is never failed; nothing leaks. (Rate 0 — transparency — is the conformance suite's own run through
 * the injector, in `backends.ts`.)
 */
import { closeSync, constants as fsc, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AT_FDCWD, FaultInjector, IoDriver, parseFaultOptions, type BackendFactory } from '@zokio/io-driver';
import { backends } from './backends.js';
import { collect, fdCount, final, type Seen } from './completions.js';

const E = constants.errno;
const dir = mkdtempSync(join(tmpdir(), 'zokio-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const content = Buffer.alloc(64 * 1024);
for (let i = 0; i < content.length; i++) content[i] = (i * 31 + 7) & 0xff;
const source = join(dir, 'source.bin');
writeFileSync(source, content);

/** What one op of the mixed workload submitted, and what it may legally complete with. */
interface Submitted {
  readonly kind: 'nop' | 'timeout' | 'read' | 'write' | 'open';
  readonly length: number;
  readonly errnos: readonly number[];
  readonly seen: Promise<Seen[]>;
  readonly bytes?: Uint8Array;
  readonly offset?: number;
  readonly release?: () => void;
}

/** Submits `n` mixed ops in batches of 16 (one flush per batch) and waits for all. */
async function mixedWorkload(d: IoDriver, n: number, readFd: number, writeFd: number): Promise<Submitted[]> {
  const path = d.encodePath(source);
  const ops: Submitted[] = [];
  for (let i = 0; i < n; i++) {
    const h = collect();
    switch (i % 5) {
      case 0:
        d.nop(h);
        ops.push({ kind: 'nop', length: 0, errnos: [], seen: h.done });
        break;
      case 1:
        d.timeout(0, h);
        ops.push({ kind: 'timeout', length: 0, errnos: [E.ETIME], seen: h.done });
        break;
      case 2: {
        const buf = d.pool.acquire(4096);
        const offset = (i * 4096) % content.length;
        d.read(readFd, buf, offset, h);
        ops.push({
          kind: 'read',
          length: 4096,
          errnos: [E.EINTR, E.EAGAIN, E.ENOMEM],
          seen: h.done,
          bytes: buf.bytes,
          offset,
          release: () => d.pool.release(buf),
        });
        break;
      }
      case 3: {
        const buf = d.pool.acquire(4096);
        buf.bytes.fill(i & 0xff);
        d.write(writeFd, buf, i * 4096, h);
        ops.push({
          kind: 'write',
          length: 4096,
          errnos: [E.EINTR, E.EAGAIN, E.ENOMEM],
          seen: h.done,
          offset: i * 4096,
          release: () => d.pool.release(buf),
        });
        break;
      }
      default:
        d.openat(AT_FDCWD, path, fsc.O_RDONLY, 0, h);
        ops.push({ kind: 'open', length: 0, errnos: [E.EINTR, E.ENOMEM], seen: h.done });
    }
    if (i % 16 === 15) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(ops.map((op) => op.seen));
  d.pool.release(path);
  return ops;
}

describe.each(backends)('the fault injector on $name', ({ factory }) => {
  const driver = (f: FaultInjector, inner: BackendFactory = factory) => new IoDriver(f.wrap(inner));

  it('under every fault, each op completes exactly once: true result, real short transfer, or a real error', async () => {
    const before = await fdCount();
    const faults = new FaultInjector({ seed: 7, rate: 0.3, maxDelayMs: 3 });
    const d = driver(faults);
    const readFd = openSync(source, 'r');
    const writeFd = openSync(join(dir, `out-${Math.random()}`), 'w');
    const ops = await mixedWorkload(d, 1_000, readFd, writeFd);
    let shortSeen = 0;
    for (const op of ops) {
      const seen = await op.seen;
      expect(seen).toHaveLength(1); // one final completion, never two
      const res = seen[0]!.res;
      if (res < 0) {
        expect(op.errnos, `${op.kind} failed with errno ${-res}`).toContain(-res);
        continue;
      }
      if (op.kind === 'open') expect(await final((h) => d.close(res, h))).toBe(0);
      if (op.kind === 'read' || op.kind === 'write') {
        expect(res).toBeGreaterThanOrEqual(1);
        expect(res).toBeLessThanOrEqual(op.length);
        if (res < op.length) shortSeen++;
      }
      if (op.kind === 'read')
        expect(Buffer.from(op.bytes!.subarray(0, res)).equals(content.subarray(op.offset, op.offset! + res))).toBe(
          true,
        );
    }
    for (const op of ops) op.release?.();
    const stats = faults.stats;
    expect(stats.shortened).toBe(shortSeen); // every cut length was a real short transfer, and no other
    expect(Object.keys(stats.failed).length).toBeGreaterThan(1);
    expect(stats.delayed).toBeGreaterThan(0);
    expect(stats.reordered).toBeGreaterThan(0);
    closeSync(readFd);
    closeSync(writeFd);
    await d.shutdown();
    expect(await fdCount()).toBe(before);
  });

  it('submission faults replay from the seed: the same ops get the same faults', async () => {
    const outcome = async (seed: number) => {
      const faults = new FaultInjector({ seed, rate: 0.25, faults: ['fail', 'short', 'delay', 'reorder'] });
      const d = driver(faults);
      const readFd = openSync(source, 'r');
      const writeFd = openSync(join(dir, `replay-${Math.random()}`), 'w');
      const ops = await mixedWorkload(d, 400, readFd, writeFd);
      const results = await Promise.all(ops.map(async (op) => (await op.seen)[0]!.res));
      for (const op of ops) op.release?.();
      for (const [i, op] of ops.entries()) if (op.kind === 'open' && results[i]! >= 0) closeSync(results[i]!);
      closeSync(readFd);
      closeSync(writeFd);
      await d.shutdown();
      // Fds differ from run to run; whether an op failed, and how, does not.
      return { results: results.map((r, i) => (ops[i]!.kind === 'open' && r >= 0 ? 'fd' : r)), stats: faults.stats };
    };
    const a = await outcome(99);
    const b = await outcome(99);
    expect(b.results).toEqual(a.results);
    expect(b.stats.failed).toEqual(a.stats.failed);
    expect(b.stats.shortened).toBe(a.stats.shortened);
    const c = await outcome(100);
    expect(c.results).not.toEqual(a.results);
  });

  it('never fails or cuts a close: every fd closes, even at rate 1', async () => {
    const before = await fdCount();
    const faults = new FaultInjector({ rate: 1 });
    const d = driver(faults);
    const closes = Array.from({ length: 64 }, () => final((h) => d.close(openSync(source, 'r'), h)));
    expect(await Promise.all(closes)).toEqual(new Array(64).fill(0));
    await d.shutdown();
    expect(await fdCount()).toBe(before);
  });

  it('aims at the ops named in `ops`: at rate 1 every write fails, and no read, open or nop is touched', async () => {
    const faults = new FaultInjector({ rate: 1, faults: ['fail', 'short'], ops: ['write'] });
    const d = driver(faults);
    const readFd = openSync(source, 'r');
    const writeFd = openSync(join(dir, `out-${Math.random()}`), 'w');
    const ops = await mixedWorkload(d, 100, readFd, writeFd);
    for (const op of ops) {
      const res = (await op.seen)[0]!.res;
      if (op.kind === 'write') expect(op.errnos).toContain(-res);
      else if (op.kind === 'read') expect(res).toBe(op.length);
      else if (op.kind === 'open') {
        expect(res).toBeGreaterThanOrEqual(0);
        expect(await final((h) => d.close(res, h))).toBe(0);
      } else if (op.kind === 'nop') expect(res).toBe(0);
    }
    for (const op of ops) op.release?.();
    expect(faults.stats.shortened).toBe(0);
    expect(Object.values(faults.stats.failed).reduce((a, b) => a + b, 0)).toBe(20); // the 20 writes, no other op
    closeSync(readFd);
    closeSync(writeFd);
    await d.shutdown();
  });

  it('cuts a read for real: a short read returns the file’s own bytes', async () => {
    const d = driver(new FaultInjector({ rate: 1, faults: ['short'] }));
    const fd = openSync(source, 'r');
    const buf = d.pool.acquire(content.length);
    const n = await final((h) => d.read(fd, buf, 0, h));
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThan(content.length);
    expect(Buffer.from(buf.bytes.subarray(0, n)).equals(content.subarray(0, n))).toBe(true);
    d.pool.release(buf);
    closeSync(fd);
    await d.shutdown();
  });
});

describe('fault options', () => {
  it('parse from text and refuse bad values with what was expected', () => {
    expect(parseFaultOptions('seed=42, rate=0.1,faults=fail+delay,maxDelayMs=2')).toEqual({
      seed: 42,
      rate: 0.1,
      faults: ['fail', 'delay'],
      maxDelayMs: 2,
    });
    expect(parseFaultOptions('ops=recv+send')).toEqual({ ops: ['recv', 'send'] });
    expect(parseFaultOptions('')).toEqual({});
    expect(() => parseFaultOptions('ops=send+close')).toThrow(/Expected ops to be an array of read, readv, write/);
    expect(() => parseFaultOptions('rate=2')).toThrow(/Expected rate to be a number from 0 to 1, got number 2/);
    expect(() => parseFaultOptions('faults=fail+explode')).toThrow(/Expected faults to be an array of fail, short/);
    expect(() => parseFaultOptions('seed=x')).toThrow(/Expected seed in fault options to be a number, got "x"/);
    expect(() => parseFaultOptions('speed=1')).toThrow(/Expected fault options of the form/);
    expect(() => new FaultInjector({ seed: -1 })).toThrow(/Expected seed to be an integer/);
    expect(() => new FaultInjector({ maxDelayMs: 5000 })).toThrow(/Expected maxDelayMs to be a number from 0 to 1000/);
  });
});
