import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { File, toReadable, toReadableStream, toWritable } from '@zokio/fs';
import { drivers, fdCount, runtimeOn, tempDir } from '@zokio/runtime/testing';

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

describe.each(drivers)('streams on %s', (driver) => {
  const { rt, run } = runtimeOn(driver);
  let dir: string;
  let cleanup: () => void;
  const data = Buffer.from(Array.from({ length: 1_000_003 }, (_, i) => (i * 7) % 256));
  let source: string;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir());
    source = join(dir, 'source.bin');
    writeFileSync(source, data);
  });
  afterAll(() => cleanup());

  it('toReadable gives every byte in order, a range when asked, and closes the file at the end', async () => {
    const whole = await collect(toReadable(await run(File.open(source))));
    expect(whole.equals(data)).toBe(true);
    const before = fdCount();
    const file = await run(File.open(source));
    const range = await collect(toReadable(file, { start: 100_000, end: 299_999 }));
    expect(range.equals(data.subarray(100_000, 300_000))).toBe(true);
    expect(file.closed).toBe(true);
    expect(fdCount()).toBe(before);
  });

  it('toReadable reads ahead no further than its high-water mark while nobody consumes', async () => {
    const file = await run(File.open(source));
    const submitted = () => rt.io!.metrics().submitted;
    const start = submitted();
    const stream = toReadable(file, { highWaterMark: 16_384 });
    stream.pause();
    stream.read(0); // start the first read
    await new Promise((r) => setTimeout(r, 50));
    // 16 KiB buffered at most, one op per chunk: a handful of ops, not the 62 that 1 MB takes at 16 KiB.
    expect(submitted() - start).toBeLessThanOrEqual(3);
    stream.destroy();
    await new Promise((r) => stream.once('close', r));
    expect(file.closed).toBe(true);
  });

  it('toWritable writes a piped stream in order, from a start position', async () => {
    const target = join(dir, 'written.bin');
    writeFileSync(target, Buffer.alloc(10, 0xff));
    const file = await run(File.open(target, { write: true }));
    await pipeline(createReadStream(source, { highWaterMark: 70_000 }), toWritable(file, { start: 10 }));
    const written = readFileSync(target);
    expect(written.subarray(0, 10).equals(Buffer.alloc(10, 0xff))).toBe(true);
    expect(written.subarray(10).equals(data)).toBe(true);
    expect(file.closed).toBe(true);
  });

  it('toWritable reports a failed write as the stream error, with the path', async () => {
    const file = await run(File.open(source)); // read only: writes fail with EBADF
    const error = await pipeline(Readable.from([Buffer.from('x')]), toWritable(file)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EBADF', syscall: 'write', path: source });
    expect(file.closed).toBe(true);
  });

  it('toReadableStream is a web stream of the same bytes, and cancel closes the file', async () => {
    const whole = await collect(toReadableStream(await run(File.open(source))));
    expect(whole.equals(data)).toBe(true);
    const file = await run(File.open(source));
    const reader = toReadableStream(file).getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).equals(data.subarray(0, first.value!.byteLength))).toBe(true);
    await reader.cancel();
    expect(file.closed).toBe(true);
  });

  it('refuses a closed file and an inverted range', async () => {
    const file = await run(File.open(source));
    expect(() => toReadable(file, { start: 10, end: 5 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    await run(file.close());
    expect(() => toReadable(file)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => toWritable(file)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });
});
