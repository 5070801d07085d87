/**
 * `io: 'auto'` as users meet it, in fresh processes (the probe is asked once per process): io_uring on this
 * machine, and js — saying why — when the native addon cannot be loaded (a preload makes every `.node` file fail,
 * as on an install with no build and no prebuild for the platform).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./fixtures/describe-io.ts', import.meta.url));
const noAddons = fileURLToPath(new URL('./fixtures/no-addons.cjs', import.meta.url));
const ioLine = (preload: string[]) =>
  execFileSync(process.execPath, [...preload, '--conditions=@zokio/source', '--import', 'tsx', script], {
    env: { ...process.env, ZOKIO_IO_DRIVER: '' },
    encoding: 'utf8',
  }).trim();
const ioUringAllowed =
  process.platform === 'linux' &&
  (!existsSync('/proc/sys/kernel/io_uring_disabled') ||
    readFileSync('/proc/sys/kernel/io_uring_disabled', 'utf8').trim() === '0');

describe("io: 'auto'", () => {
  it('picks io_uring where the addon loads and the kernel allows it', () => {
    const line = ioLine([]);
    if (ioUringAllowed) expect(line).toMatch(/^io: +io_uring \(.*ring set up with/);
    else expect(line).toMatch(/^io: +(epoll|js) \(/);
  });

  it('falls back to js when the addon cannot be loaded, and says why', () => {
    expect(ioLine(['--require', noAddons])).toMatch(
      /^io: +js \(.*native addon zokio_io\.node not loadable.*native addons are unavailable in this process/,
    );
  });
});
