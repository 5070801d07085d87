import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MiB = 2 ** 20;

/** Runs the fixture in a fresh `node` started from this process: it reports the growth of a run of `mib` MiB. */
function measureInChild(mib: number): Promise<{ bytes: number; method: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./fixtures/peak-rss-child.ts', import.meta.url)), String(mib)],
      { cwd: fileURLToPath(new URL('../../..', import.meta.url)), timeout: 15_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as { bytes: number; method: string });
      },
    );
  });
}

describe('PeakRss', () => {
  it("reports the run's own growth, not the RSS of the process it was started from", async () => {
    // A parent much larger than the child: the child's getrusage peak (ru_maxrss) starts at the parent's size, so a
    // peak read from it would report about the ballast as the run's growth.
    const ballast = Buffer.alloc(256 * MiB, 1);
    const { bytes, method } = await measureInChild(32);
    expect(ballast[ballast.length - 1]).toBe(1);
    if (process.platform === 'linux') expect(method).toBe('kernel peak');
    expect(bytes).toBeGreaterThanOrEqual(32 * MiB);
    expect(bytes).toBeLessThan(96 * MiB);
  });
});
