import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fn } from '@zokio/future';
import { File, readFile, readToString, stat, writeFile, appendFile, IoError } from '@zokio/fs';
import { drivers, fdCount, runtimeOn, tempDir } from '@zokio/runtime/testing';

describe.each(drivers)('File on %s', (driver) => {
  const { rt, run } = runtimeOn(driver);
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = tempDir()));
  afterAll(() => cleanup());

  it('reads a long result of its own straight into it (lent to the driver); with no loan left, through the pool', async () => {
    const path = join(dir, 'long.bin');
    const data = Buffer.from(Array.from({ length: (5 << 20) + 3 }, (_, i) => (i * 7 + (i >> 16)) & 0xff));
    writeFileSync(path, data);
    await run(stat(path)); // the runtime makes its driver on first use
    const io = rt.io!;
    const lend = io.lend.bind(io);
    const lent: (number | undefined)[] = []; // what each lend was asked for and got: the bytes, or undefined
    io.lend = (bytes) => {
      const loan = lend(bytes);
      lent.push(loan && loan.bytes.byteLength);
      return loan;
    };
    const file = await run(File.open(path));
    try {
      expect((await run(readFile(path))).equals(data)).toBe(true);
      expect((await run(file.readAt(1, 3 << 20))).equals(data.subarray(1, 1 + (3 << 20)))).toBe(true);
      expect((await run(file.readExact(2 << 20, 5))).equals(data.subarray(5, 5 + (2 << 20)))).toBe(true);
      expect((await run(file.readAt(data.length - 100, 1 << 20))).equals(data.subarray(-100))).toBe(true); // EOF
      expect((await run(file.readAt(0, 4096))).equals(data.subarray(0, 4096))).toBe(true); // one pool buffer: no loan
      expect(lent).toEqual([data.length, 3 << 20, 2 << 20, 1 << 20]);
      expect(io.metrics().loans).toBe(0);

      // Every loan out (another user of the driver holds them): the same results, through pool buffers.
      const held = [];
      for (let loan = lend(new Uint8Array(1)); loan !== undefined; loan = lend(new Uint8Array(1))) held.push(loan);
      lent.length = 0;
      expect((await run(readFile(path))).equals(data)).toBe(true);
      expect((await run(file.readAt(1, 3 << 20))).equals(data.subarray(1, 1 + (3 << 20)))).toBe(true);
      expect(lent).toEqual([undefined, undefined]);
      for (const loan of held) loan.giveBack();
      expect(io.metrics().loans).toBe(0);
    } finally {
      delete (io as { lend?: unknown }).lend;
      await run(file.close());
    }
  });

  it('writeAll with a position on a file opened to append lands at the end, in order (as node:fs)', async () => {
    // Found by the differential test: the 64 KiB spans of a positional writeAll went out in flight at once, and with
    // O_APPEND each lands at the end in completion order, so the data came out shuffled.
    const path = join(dir, 'append.bin');
    writeFileSync(path, 'head');
    const data = Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 7 + (i >> 16)) % 251));
    for (let round = 0; round < 5; round++) {
      await run(
        fn(function* () {
          const file = yield* File.open(path, { append: true });
          yield* file.writeAll(data, 0); // the position is ignored with O_APPEND, as Linux and Node do
          yield* file.close();
        })(),
      );
    }
    expect(readFileSync(path).equals(Buffer.concat([Buffer.from('head'), ...Array(5).fill(data)]))).toBe(true);
    // A positional write leaves the fd's offset alone, even with O_APPEND (pwrite): a read at the offset reads the
    // start, as node:fs does (the differential test's counterexample of a first, offset-moving version of the fix).
    const first = await run(
      fn(function* () {
        const file = yield* File.open(path, 'a+');
        yield* file.writeAll(data.subarray(0, 65535), 0);
        const byte = yield* file.read(1);
        yield* file.close();
        return byte;
      })(),
    );
    expect(first.toString()).toBe('h');
  });

  it('writes, reads back at positions and at the offset, and stats', async () => {
    const path = join(dir, 'a.bin');
    const data = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
    await run(stat(dir)); // the driver opens its own fds (a ring, an eventfd) on first use
    const before = fdCount();
    const out = await run(
      fn(function* () {
        const file = yield* File.open(path, { read: true, write: true, create: true });
        yield* file.writeAll(data, 0);
        const head = yield* file.readAt(0, 10);
        const long = yield* file.readAt(1000, 150_000);
        const tail = yield* file.readAt(199_990, 100);
        const st = yield* file.stat();
        const first = yield* file.read(5);
        const second = yield* file.read(5);
        yield* file.close();
        return { head, long, tail, size: st.size, first, second };
      })(),
    );
    expect(out.head).toEqual(data.subarray(0, 10));
    expect(out.long.equals(data.subarray(1000, 151_000))).toBe(true);
    expect(out.tail).toEqual(data.subarray(199_990));
    expect(out.size).toBe(200_000);
    expect(out.first).toEqual(data.subarray(0, 5));
    expect(out.second).toEqual(data.subarray(5, 10));
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(fdCount()).toBe(before);
  });

  it('readFile, readToString, writeFile, appendFile and stat agree with node:fs', async () => {
    const path = join(dir, 'text.txt');
    const big = join(dir, 'big.bin');
    const bigData = Buffer.alloc(300_001, 7);
    writeFileSync(big, bigData);
    const out = await run(
      fn(function* () {
        yield* writeFile(path, 'hello ');
        yield* appendFile(path, 'world');
        return { text: yield* readToString(path), big: yield* readFile(big), st: yield* stat(big) };
      })(),
    );
    expect(out.text).toBe('hello world');
    expect(out.big.equals(bigData)).toBe(true);
    expect(out.st.size).toBe(300_001);
    expect(out.st.isFile()).toBe(true);
  });

  it('fails with ENOENT, with the path, on a missing file', async () => {
    const path = join(dir, 'missing');
    const error = await run(readFile(path)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IoError);
    expect(error).toMatchObject({ code: 'ENOENT', errno: -2, path });
  });
});
