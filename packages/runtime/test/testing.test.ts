import { existsSync, openSync, closeSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ready } from '@zokio/future';
import { IoError, probe } from '@zokio/io-driver';
import { drivers, fdCount, retryInjected, runtimeOn, tempDir } from '@zokio/runtime/testing';

describe('@zokio/runtime/testing', () => {
  it('lists exactly the backends that can run here, js always', () => {
    expect(drivers).toContain('js');
    expect(drivers).toEqual(
      probe()
        .filter((b) => b.available)
        .map((b) => b.name),
    );
  });

  it.each(drivers)('runtimeOn(%s) drives a future on that backend', async (driver) => {
    const { rt, run } = runtimeOn(driver);
    expect(await run(ready(42))).toBe(42);
    expect(rt.describe()).toMatch(new RegExp(`io:\\s*${driver}`));
  });

  it.each(drivers)('runtimeOn(%s) is on that backend even when ZOKIO_IO_DRIVER names another', (driver) => {
    const saved = process.env['ZOKIO_IO_DRIVER'];
    process.env['ZOKIO_IO_DRIVER'] = driver === 'js' ? 'epoll' : 'js';
    try {
      expect(runtimeOn(driver).rt.describe()).toMatch(new RegExp(`io:\\s*${driver}`));
    } finally {
      if (saved === undefined) delete process.env['ZOKIO_IO_DRIVER'];
      else process.env['ZOKIO_IO_DRIVER'] = saved;
    }
  });

  it('counts open fds and makes temp dirs that it removes', () => {
    const { dir, cleanup } = tempDir('zokio-testing-');
    expect(statSync(dir).isDirectory()).toBe(true);
    const before = fdCount();
    const fd = openSync(dir, 'r');
    expect(fdCount()).toBe(before + 1);
    closeSync(fd);
    expect(fdCount()).toBe(before);
    cleanup();
    expect(existsSync(dir)).toBe(false);
  });

  it('retryInjected retries a set-up that fails with an injected code, and nothing else', async () => {
    let calls = 0;
    const flaky = () => (++calls < 3 ? Promise.reject(new IoError(-12, 'socket')) : Promise.resolve('bound'));
    expect(await retryInjected(flaky)).toBe('bound');
    expect(calls).toBe(3);
    calls = 0;
    const refused = () => (++calls, Promise.reject(new IoError(-98, 'bind'))); // EADDRINUSE: not a fault
    await expect(retryInjected(refused)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(calls).toBe(1);
    calls = 0;
    const always = () => (++calls, Promise.reject(new IoError(-4, 'open'))); // EINTR every time
    await expect(retryInjected(always, 5)).rejects.toMatchObject({ code: 'EINTR' });
    expect(calls).toBe(5);
  });
});
