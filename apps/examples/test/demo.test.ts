import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const demo = fileURLToPath(new URL('../src/demo.ts', import.meta.url));

describe('demo', () => {
  it('spawns, races, aborts and cleans up, then exits by itself', async () => {
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(
        process.execPath,
        ['--conditions=@zokio/source', '--import', 'tsx', demo],
        { cwd: repoRoot, timeout: 20_000 },
        (error, stdout) => resolve({ code: error ? 1 : 0, stdout }),
      ),
    );
    expect(code).toBe(0);
    expect(stdout).toContain('joined: alpha, beta, gamma');
    expect(stdout).toContain('race won by hare; the tortoise was cancelled');
    expect(stdout.indexOf('tortoise: cleaned up')).toBeLessThan(stdout.indexOf('race won by hare'));
    expect(stdout).not.toContain('tortoise: done');
    expect(stdout).toMatch(/sleeper: task \d+ was cancelled/);
    for (const name of ['one', 'two', 'three']) expect(stdout).toContain(`${name}: cleaned up`);
    expect(stdout).toContain('demo finished: nothing left running');
    expect(stdout).not.toContain('sleeper: done');
  });
});
