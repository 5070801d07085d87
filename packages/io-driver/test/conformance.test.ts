import {
  closeSync,
  constants as fsc,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { AT_FDCWD, IoDriver, IoError, MAX_LOANS, type BackendFactory } from '@zokio/io-driver';
import { BufferPool, type IoBuf } from '@zokio/memory';
import { backends, throughInjector } from './backends.js';
import { collect, fdCount, final } from './completions.js';

const E = constants.errno;
const dir = mkdtempSync(join(tmpdir(), 'zokio-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** `factory`'s backends, with every `releaseArena` recorded in `released` before it runs. */
function recordingReleases(factory: BackendFactory, released: number[]): BackendFactory {
  return (staging, completions, onCompletions) => {
    const backend = factory(staging, completions, onCompletions);
    const release = backend.releaseArena.bind(backend);
    backend.releaseArena = (id) => {
      released.push(id);
      release(id);
    };
    return backend;
  };
}

describe.each([...backends, throughInjector])('I/O driver conformance ($name)', ({ factory }) => {
  const driver = () => new IoDriver(factory);

  it('reads straight into lent memory; a loan given back is released once no op names it', async () => {
    const released: number[] = [];
    const d = new IoDriver(recordingReleases(factory, released));
    const path = join(dir, `lent-${Math.random()}`);
    const data = Buffer.alloc(3 << 20);
    for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(i, i);
    writeFileSync(path, data);
    const fd = openSync(path, 'r');
    const result = Buffer.alloc(data.length + 8, 0xee); // a byte either side of the spans stays untouched
    const loan = d.lend(result)!;
    const spans = [0, 1, 2].map((i) => final((h) => d.read(fd, loan.span(4 + i * (1 << 20), 1 << 20), i << 20, h)));
    expect(await Promise.all(spans)).toEqual([1 << 20, 1 << 20, 1 << 20]);
    expect(result.subarray(4, 4 + data.length).equals(data)).toBe(true);
    expect([...result.subarray(0, 4), ...result.subarray(-4)]).toEqual(new Array(8).fill(0xee));
    expect(released).toEqual([]);
    loan.giveBack();
    expect(released).toEqual([loan.arenaId]); // nothing in flight: at once
    closeSync(fd);

    // Given back with a read in flight (a FIFO nobody has written yet): released at its final completion only.
    const fifo = join(dir, `lent-fifo-${Math.random()}`);
    execFileSync('mkfifo', [fifo]);
    const rfd = openSync(fifo, 'r+');
    const second = d.lend(Buffer.alloc(1 << 20))!;
    const read = final((h) => d.read(rfd, second.span(100, 16), -1, h));
    await new Promise((r) => setTimeout(r, 20));
    second.giveBack();
    second.giveBack(); // idempotent
    gc();
    expect(released).toEqual([loan.arenaId]);
    expect(d.metrics().loans).toBe(1); // given back, still named by the read in flight
    writeFileSync(fifo, 'late bytes');
    expect(await read).toBe(10);
    expect(released).toEqual([loan.arenaId, second.arenaId]);
    expect(second.bytes.subarray(100, 110).toString()).toBe('late bytes');
    expect(d.metrics().loans).toBe(0);
    closeSync(rfd);
    await d.shutdown();
  });

  it('lends at most MAX_LOANS at once, frees an id given back, and refuses spans of ended loans', async () => {
    const d = driver();
    const loans = Array.from({ length: MAX_LOANS }, () => d.lend(new Uint8Array(8)));
    expect(loans.every((l) => l !== undefined)).toBe(true);
    expect(new Set(loans.map((l) => l!.arenaId)).size).toBe(MAX_LOANS);
    expect(d.lend(new Uint8Array(8))).toBeUndefined(); // all out: the caller copies through the pool instead
    const ended = loans[5]!;
    ended.giveBack();
    const again = d.lend(new Uint8Array(16))!;
    expect(again.arenaId).toBe(ended.arenaId);
    // A span of the ended loan names memory the backend no longer holds: refused, nothing staged.
    expect(() => d.read(0, ended.span(0, 8), 0, { complete() {} })).toThrow(/memory this driver has on loan/);
    expect(d.inFlight).toBe(0);
    expect(() => again.span(8, 9)).toThrow(/Expected a length from 0 to 8/);
    expect(() => again.span(-1, 1)).toThrow(/Expected an offset from 0 to 16/);
    expect(() => d.lend('bytes' as never)).toThrow(/Expected a Uint8Array/);
    for (const l of loans) l!.giveBack();
    again.giveBack();
    await d.shutdown();
    expect(() => d.lend(new Uint8Array(8))).toThrow(expect.objectContaining({ code: 'ERR_ZOKIO_DRIVER_CLOSED' }));
  });

  it('lends nothing that an op could not name apart from the pool: ids the pool may use, bytes past 4 GiB', async () => {
    // A pool that may grow to any number of arenas could take every arena id: no id is left to lend.
    const unbounded = new IoDriver(factory, { pool: new BufferPool({ maxBytes: Infinity }) });
    expect(unbounded.lend(new Uint8Array(8))).toBeUndefined();
    await unbounded.shutdown();
    // One arena id short of the end: the ids from there on are the loans', and run out past 65,535.
    const crowded = new IoDriver(factory, { pool: new BufferPool({ arenaBytes: 65_536, maxBytes: 65_536 * 65_534 }) });
    expect(crowded.lend(new Uint8Array(8))?.arenaId).toBe(65_534);
    expect(crowded.lend(new Uint8Array(8))?.arenaId).toBe(65_535);
    expect(crowded.lend(new Uint8Array(8))).toBeUndefined();
    await crowded.shutdown();
    // An op names bytes with 32-bit offsets: a view ending past 4 GiB − 1 of its buffer is not lent (not touched:
    // the 4 GiB are only reserved).
    const d = driver();
    expect(d.lend(new Uint8Array(new ArrayBuffer(2 ** 32 + 16), 2 ** 32, 16))).toBeUndefined();
    // Another driver's loan is refused, not silently marked returned (its owner could never release it then).
    const other = driver();
    const foreign = other.lend(new Uint8Array(8))!;
    expect(() => d.giveBack(foreign)).toThrow(/Expected a loan of this driver/);
    foreign.giveBack();
    expect(other.metrics().loans).toBe(0);
    await other.shutdown();
    await d.shutdown();
  });

  it('refuses to release an arena id that is not lent', () => {
    const backend = factory(new ArrayBuffer(64 * 4), new ArrayBuffer(16 * 4), () => {});
    expect(() => backend.releaseArena(12_345)).toThrow(expect.objectContaining({ code: 'ERR_ZOKIO_NO_ARENA' }));
    backend.close();
  });

  it('completes every op exactly once: 1,000 nops', async () => {
    const d = driver();
    const counts = new Array<number>(1000).fill(0);
    const handlers = counts.map((_, i) => ({ complete: (res: number) => (counts[i]! += res === 0 ? 1 : 100) }));
    for (const h of handlers) d.nop(h);
    while (d.inFlight > 0) await new Promise((r) => setImmediate(r));
    expect(counts.every((c) => c === 1)).toBe(true);
    await d.shutdown();
  });

  it('writes and reads back, positional and at the current offset; short reads and EOF', async () => {
    const d = driver();
    const path = join(dir, `rw-${Math.random()}`);
    const p = d.encodePath(path);
    const fd = await final((h) => d.openat(AT_FDCWD, p, fsc.O_RDWR | fsc.O_CREAT | fsc.O_TRUNC, 0o644, h));
    d.pool.release(p);
    expect(fd).toBeGreaterThanOrEqual(0);
    const buf = d.pool.acquire(11);
    buf.bytes.set(Buffer.from('hello world'));
    expect(await final((h) => d.write(fd, buf, 0, h))).toBe(11);
    const out = d.pool.acquire(5);
    expect(await final((h) => d.read(fd, out, 6, h))).toBe(5);
    expect(Buffer.from(out.bytes.subarray(0, 5)).toString()).toBe('world');
    // Current offset: the write left it at 11 (positional ops do not move it), so reads from -1 start at 0.
    expect(await final((h) => d.read(fd, out, -1, h))).toBe(5);
    expect(Buffer.from(out.bytes.subarray(0, 5)).toString()).toBe('hello');
    expect(await final((h) => d.read(fd, out, -1, h))).toBe(5);
    expect(await final((h) => d.read(fd, out, -1, h))).toBe(1); // short read: 1 byte left
    expect(await final((h) => d.read(fd, out, -1, h))).toBe(0); // EOF
    expect(await final((h) => d.read(fd, out, 100, h))).toBe(0); // past the end
    expect(await final((h) => d.fsync(fd, true, h))).toBe(0);
    expect(await final((h) => d.close(fd, h))).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe('hello world');
    d.pool.release(buf);
    d.pool.release(out);
    await d.shutdown();
  });

  it('reports errors as negative errno, which IoError turns into Node-shaped errors', async () => {
    const d = driver();
    const p = d.encodePath(join(dir, 'missing', 'file'));
    const res = await final((h) => d.openat(AT_FDCWD, p, fsc.O_RDONLY, 0, h));
    expect(res).toBe(-E.ENOENT);
    const error = IoError.fromResult(res, 'open', join(dir, 'missing', 'file'));
    expect(error).toMatchObject({ code: 'ENOENT', errno: -E.ENOENT, syscall: 'open' });
    expect(await final((h) => d.close(987_654, h))).toBe(-E.EBADF);
    d.pool.release(p);
    await d.shutdown();
  });

  it('statx reports the size; mkdirat, renameat and unlinkat change the tree', async () => {
    const d = driver();
    const file = join(dir, `stat-${Math.random()}`);
    writeFileSync(file, 'x'.repeat(1234));
    const p = d.encodePath(file);
    const out = d.pool.acquire(256);
    expect(await final((h) => d.statx(AT_FDCWD, p, 0, 0x7ff, out, h))).toBe(0);
    const stx = new DataView(out.bytes.buffer, out.bytes.byteOffset, 256);
    expect(Number(stx.getBigUint64(40, true))).toBe(1234);
    expect(stx.getUint16(28, true) & fsc.S_IFMT).toBe(fsc.S_IFREG);
    const sub = d.encodePath(join(dir, `sub-${Math.random()}`));
    expect(await final((h) => d.mkdirat(AT_FDCWD, sub, 0o755, h))).toBe(0);
    const subPath = Buffer.from(sub.bytes.subarray(0, sub.length - 1)).toString();
    expect(existsSync(subPath)).toBe(true);
    const moved = d.encodePath(join(subPath, 'moved'));
    expect(await final((h) => d.renameat(AT_FDCWD, p, AT_FDCWD, moved, 0, h))).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect(await final((h) => d.unlinkat(AT_FDCWD, moved, 0, h))).toBe(0);
    expect(await final((h) => d.unlinkat(AT_FDCWD, sub, 0x200, h))).toBe(0);
    expect(existsSync(subPath)).toBe(false);
    for (const b of [p, out, sub, moved]) d.pool.release(b);
    await d.shutdown();
  });

  it('cancel before flush, in flight and after completion: the target completes exactly once', async () => {
    const d = driver();
    const beforeFlush = collect();
    d.cancel(d.timeout(10_000, beforeFlush));
    const inFlight = collect();
    const token = d.timeout(10_000, inFlight);
    await new Promise((r) => setImmediate(r)); // flushed and running
    d.cancel(token);
    expect((await beforeFlush.done).map((c) => c.res)).toEqual([-E.ECANCELED]);
    expect((await inFlight.done).map((c) => c.res)).toEqual([-E.ECANCELED]);
    const quick = collect();
    const done = d.nop(quick);
    await quick.done;
    d.cancel(done); // already complete: nothing happens
    expect(quick.seen).toHaveLength(1);
    expect(await final((h) => d.timeout(1, h))).toBe(-E.ETIME);
    await d.shutdown();
  });

  it('an open cancelled before it completes leaks no fd, whichever side wins', async () => {
    const d = driver();
    const path = join(dir, `orphan-${Math.random()}`);
    writeFileSync(path, 'data');
    const p = d.encodePath(path);
    // Warm up so the count below sees only the opens.
    await final((h) => d.nop(h));
    const before = await fdCount();
    let lateFds = 0;
    for (let i = 0; i < 50; i++) {
      const h = collect();
      const token = d.openat(AT_FDCWD, p, fsc.O_RDONLY, 0, h);
      if (i % 2 === 0)
        d.cancel(token); // before flush: the driver owns the outcome
      else setImmediate(() => d.cancel(token)); // in flight, or already completed
      const res = (await h.done).at(-1)!.res;
      if (i % 2 === 0) expect(res).toBe(-E.ECANCELED);
      else if (res >= 0) {
        // The open completed before the cancel was issued: its handler got the fd and owns it.
        lateFds++;
        expect(await final((c) => d.close(res, c))).toBe(0);
      } else expect(res).toBe(-E.ECANCELED);
    }
    while (d.inFlight > 0) await new Promise((r) => setImmediate(r));
    expect(await fdCount()).toBe(before);
    expect(lateFds).toBeLessThanOrEqual(25);
    d.pool.release(p);
    await d.shutdown();
  });

  it('a close is never cancelled: cancelled before flush, in flight, or by shutdown, the fd is closed', async () => {
    const path = join(dir, `close-${Math.random()}`);
    writeFileSync(path, 'data');
    const before = await fdCount();
    const d = driver();
    const closes: Promise<number>[] = [];
    for (let i = 0; i < 64; i++) {
      const fd = openSync(path, 'r');
      closes.push(
        final((h) => {
          const token = d.close(fd, h);
          if (i % 2 === 0)
            d.cancel(token); // before flush
          else setImmediate(() => d.cancel(token)); // in flight, or done
          return token;
        }),
      );
    }
    for (let i = 0; i < 64; i++) closes.push(final((h) => d.close(openSync(path, 'r'), h)));
    await d.shutdown(); // cancels every op in flight: the last 64 closes among them
    expect(await Promise.all(closes)).toEqual(new Array(128).fill(0));
    expect(await fdCount()).toBe(before);
  });

  it('shutdown with 1,000 ops in flight cancels them, waits for every final completion, and leaks nothing', async () => {
    const before = await fdCount();
    const d = driver();
    const handlers = Array.from({ length: 1000 }, (_, i) => {
      const h = collect();
      if (i % 2 === 0) d.timeout(60_000, h);
      else d.nop(h);
      return h;
    });
    await d.shutdown();
    expect(d.inFlight).toBe(0);
    const finals = await Promise.all(handlers.map((h) => h.done));
    expect(finals.every((c) => c.length === 1)).toBe(true);
    expect(finals.filter((c) => c[0]!.res === -E.ECANCELED)).toHaveLength(500);
    expect(await fdCount()).toBe(before);
    expect(() => d.nop(collect())).toThrow(expect.objectContaining({ code: 'ERR_ZOKIO_DRIVER_CLOSED' }));
  });

  it('buffers survive a forced GC while their op is in flight', async () => {
    const d = driver();
    const path = join(dir, `gc-${Math.random()}`);
    writeFileSync(path, Buffer.alloc(64 * 1024, 7));
    const fd = openSync(path, 'r');
    const reads: Promise<number>[] = [];
    const bufs: IoBuf[] = [];
    for (let i = 0; i < 32; i++) {
      const buf = d.pool.acquire(64 * 1024);
      bufs.push(buf);
      reads.push(final((h) => d.read(fd, buf, 0, h)));
    }
    gc();
    gc();
    expect(await Promise.all(reads)).toEqual(new Array(32).fill(64 * 1024));
    expect(bufs.every((b) => b.bytes.every((x) => x === 7))).toBe(true);
    for (const b of bufs) d.pool.release(b);
    closeSync(fd);
    await d.shutdown();
  });

  it('on a stream (a FIFO) the offset of a read or write is ignored, as io_uring does: never ESPIPE', async () => {
    const d = driver();
    const path = join(dir, `stream-${Math.random()}`);
    execFileSync('mkfifo', [path]);
    const fd = openSync(path, 'r+');
    for (const offset of [0, 7, -1]) {
      const out = d.pool.acquire(2);
      out.bytes.set([0x6f, 0x6b]); // "ok"
      expect(await final((h) => d.write(fd, out, offset, h))).toBe(2);
      d.pool.release(out);
      const buf = d.pool.acquire(16);
      expect(await final((h) => d.read(fd, buf, offset, h))).toBe(2);
      expect(Buffer.from(buf.bytes.subarray(0, 2)).toString()).toBe('ok');
      d.pool.release(buf);
    }
    closeSync(fd);
    await d.shutdown();
  });

  it('100,000 ops in one burst all complete, each once', async () => {
    const d = driver();
    let completions = 0;
    const h = { complete: () => void completions++ };
    for (let i = 0; i < 100_000; i++) d.nop(h);
    while (d.inFlight > 0) await new Promise((r) => setImmediate(r));
    expect(completions).toBe(100_000);
    expect(d.metrics()).toMatchObject({ submitted: 100_000, completed: 100_000, inFlight: 0 });
    expect(d.metrics().byKind).toMatchObject({ nop: { submitted: 100_000, completed: 100_000 } });
    await d.shutdown();
  });

  it('refuses paths with NUL bytes and buffers longer than their capacity', () => {
    const d = driver();
    expect(() => d.encodePath('a\0b')).toThrow(/Expected a path without NUL bytes/);
    const buf = d.pool.acquire(10);
    expect(() => d.read(0, buf, 0, collect(), 10_000)).toThrow(/Expected a length ≤ the buffer's capacity/);
    d.pool.release(buf);
  });

  it('an op refused for a bad argument is not staged: it never runs and its handler is never called', async () => {
    const d = driver();
    const path = join(dir, `refused-${Math.random()}`);
    writeFileSync(path, 'untouched');
    const fd = openSync(path, 'r+');
    try {
      const calls: number[] = [];
      const buf = d.pool.acquire(10);
      buf.bytes.set(Buffer.from('OVERWRITE!'));
      expect(() => d.write(fd, buf, 0, { complete: (r) => calls.push(r) }, 10_000)).toThrow(/capacity/);
      const to = d.pool.acquire(16);
      expect(() => d.sendmsg(fd, buf, to, 200, { complete: (r) => calls.push(r) })).toThrow(/address length/);
      expect(d.inFlight).toBe(0);
      await final((h) => d.nop(h)); // a flush and a turn of completions
      expect(calls).toEqual([]);
      expect(readFileSync(path, 'utf8')).toBe('untouched');
      expect(d.metrics().submitted).toBe(1); // the nop alone
      d.pool.release(buf);
      d.pool.release(to);
    } finally {
      closeSync(fd);
    }
    await d.shutdown();
  });

  it('a buffer group the pool cannot fill fails with nothing taken and its id free for the next one', async () => {
    const pool = new BufferPool({ arenaBytes: 65_536, maxBytes: 131_072, initialArenas: 0 });
    const d = new IoDriver(factory, { pool });
    const before = pool.stats().inUseBytes;
    // Two 64 KiB buffers fit the cap, four do not: the first two taken are given back.
    expect(() => d.createBufferGroup(4, 65_536)).toThrow(expect.objectContaining({ code: 'ERR_ZOKIO_POOL_EXHAUSTED' }));
    expect(() => d.createBufferGroup(1, 100_000)).toThrow(
      expect.objectContaining({ code: 'ERR_ZOKIO_BUFFER_TOO_LARGE' }),
    );
    expect(pool.stats().inUseBytes).toBe(before);
    const group = d.createBufferGroup(2, 65_536); // the id the failures would have left taken (EEXIST)
    expect(group.count).toBe(2);
    await d.shutdown();
    expect(pool.stats().inUseBytes).toBe(before);
  });

  it('a second shutdown() while the first waits returns the same promise: both resolve', async () => {
    const d = driver();
    d.timeout(60_000, collect()); // something in flight, so the first shutdown must wait for its cancellation
    const first = d.shutdown();
    const second = d.shutdown();
    expect(second).toBe(first);
    await Promise.all([first, second]);
  });

  it('a timeout longer than setTimeout can count waits instead of firing at once', async () => {
    const d = driver();
    let res: number | undefined;
    d.timeout(2 ** 31 + 1_000, { complete: (r) => (res = r) });
    await new Promise((r) => setTimeout(r, 50));
    expect(res).toBeUndefined();
    await d.shutdown(); // cancels it
    expect(res).toBe(-E.ECANCELED);
  });
});
