import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createJsBackend, probe, selectBackend } from '@zokio/io-driver';

const ioUringAllowed =
  process.platform === 'linux' &&
  (!existsSync('/proc/sys/kernel/io_uring_disabled') ||
    readFileSync('/proc/sys/kernel/io_uring_disabled', 'utf8').trim() === '0');

describe('backend selection', () => {
  it('probes every backend and says why one is unavailable', () => {
    const result = probe();
    expect(result.map((b) => b.name)).toEqual(['io_uring', 'epoll', 'js']);
    expect(result.find((b) => b.name === 'js')).toMatchObject({ available: true });
    for (const b of result) expect(b.reason.length).toBeGreaterThan(0);
  });

  it('on a Linux machine that allows io_uring, the native backend is built and available', () => {
    // Guards the conformance suite: it must not quietly run on js alone where io_uring should work.
    if (!ioUringAllowed) return expect(probe()[0]!.available).toBe(false);
    expect(probe()[0]).toMatchObject({ name: 'io_uring', available: true });
    expect(selectBackend('auto', {})).toMatchObject({ name: 'io_uring' });
  });

  it('ZOKIO_IO_DRIVER and the config force a backend; an unknown name is refused', () => {
    expect(selectBackend('auto', { ZOKIO_IO_DRIVER: 'js' })).toMatchObject({
      name: 'js',
      factory: createJsBackend,
      reason: expect.stringContaining('forced (from ZOKIO_IO_DRIVER)'),
    });
    expect(selectBackend('epoll', {})).toMatchObject({
      name: 'epoll',
      reason: expect.stringContaining('forced by config'),
    });
    expect(() => selectBackend('auto', { ZOKIO_IO_DRIVER: 'kqueue' })).toThrow(
      /Expected io \(from ZOKIO_IO_DRIVER\) to be one of auto, io_uring, epoll, js, got the string "kqueue"/,
    );
  });
});
