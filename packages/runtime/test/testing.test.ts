import { existsSync, openSync, closeSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ready } from '@zokio/future';
import { probe } from '@zokio/io-driver';
import { drivers, fdCount, runtimeOn, tempDir } from '@zokio/runtime/testing';

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
});
