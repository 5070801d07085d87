import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const example = fileURLToPath(new URL('../src/readme.ts', import.meta.url));

describe('README example', () => {
  it('is the README code block verbatim', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(readFileSync(example, 'utf8')).toContain(block);
  });

  it('runs: the fastest request wins, the race loser and the JoinSet members are cancelled and cleaned up', async () => {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--conditions=@zokio/source', '--import', 'tsx', example],
        { cwd: repoRoot, timeout: 20_000 },
        (error, out) => (error ? reject(error) : resolve(out)),
      ),
    );
    expect(stdout).toContain('first: user1');
    expect(stdout).toContain('race: timed out');
    for (const id of [1, 2, 3, 100]) expect(stdout).toContain(`request ${id} finished or was cancelled`);
  });
});

describe('package README examples', () => {
  it('packages/sync/README.md runs and prints the sum of every message', async () => {
    const file = fileURLToPath(new URL('../src/sync-readme.ts', import.meta.url));
    const readme = readFileSync(new URL('../../../packages/sync/README.md', import.meta.url), 'utf8');
    expect(readFileSync(file, 'utf8')).toContain(/```ts\n([\s\S]*?)```/.exec(readme)![1]!);
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--conditions=@zokio/source', '--import', 'tsx', file],
        { cwd: repoRoot, timeout: 20_000 },
        (error, out) => (error ? reject(error) : resolve(out)),
      ),
    );
    expect(stdout.trim()).toBe('135');
  });
});
