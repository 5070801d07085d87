/**
 * The release flow's first step on a copy of the workspace (manifests, `.changeset/`): `changeset version`
 * consumes the pending changesets, bumps exactly the public packages they name (and, through
 * `updateInternalDependencies`, the dependents), writes their changelogs, and leaves the private apps alone.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'zokio-changesets-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
}

const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

describe('changeset version', () => {
  it('bumps the packages the pending changesets name, writes changelogs, leaves private apps alone', () => {
    for (const file of ['package.json', 'pnpm-workspace.yaml']) cpSync(join(root, file), join(work, file));
    cpSync(join(root, '.changeset'), join(work, '.changeset'), { recursive: true });
    // One changeset of our own, so the flow is exercised even right after a release consumed the real ones.
    writeFileSync(
      join(work, '.changeset', 'zz-release-test.md'),
      "---\n'@zokio/future': patch\n---\n\nA test change.\n",
    );
    const before = new Map<string, Manifest>();
    for (const group of ['packages', 'apps']) {
      for (const dir of readdirSync(join(root, group))) {
        if (!existsSync(join(root, group, dir, 'package.json'))) continue;
        mkdirSync(join(work, group, dir), { recursive: true });
        cpSync(join(root, group, dir, 'package.json'), join(work, group, dir, 'package.json'));
        before.set(`${group}/${dir}`, manifest(join(root, group, dir)));
      }
    }
    // `changeset status` compares against the base branch: make the copy a repository whose main is HEAD.
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=zokio', '-c', 'user.email=zokio@localhost', ...args], {
        cwd: work,
        stdio: 'pipe',
      });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'workspace');
    // The plan changesets itself reports, read before versioning.
    const planFile = join(work, 'plan.json');
    const changeset = join(root, 'node_modules/.bin/changeset');
    execFileSync(changeset, ['status', `--output=${planFile}`], { cwd: work, stdio: 'pipe' });
    const plan = JSON.parse(readFileSync(planFile, 'utf8')) as {
      releases: { name: string; type: string; newVersion: string }[];
    };
    writeFileSync(planFile, '');
    execFileSync(changeset, ['version'], { cwd: work, stdio: 'pipe' });

    expect(readdirSync(join(work, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md')).toEqual([]);
    for (const [where, old] of before) {
      const now = manifest(join(work, where));
      const release = plan.releases.find((r) => r.name === old.name);
      if (old.private === true || release === undefined || release.type === 'none') {
        expect(now.version, `${old.name} must not move`).toBe(old.version);
        continue;
      }
      expect(now.version, old.name).toBe(release.newVersion);
      expect(now.version).not.toBe(old.version);
      const changelog = readFileSync(join(work, where, 'CHANGELOG.md'), 'utf8');
      expect(changelog).toContain(`## ${now.version}`);
    }
    // The foundation moved, so its dependents did too (updateInternalDependencies); the private apps never do.
    const bumped = plan.releases.filter((r) => r.type !== 'none').map((r) => r.name);
    expect(bumped).toEqual(expect.arrayContaining(['@zokio/future', '@zokio/scheduler', '@zokio/runtime', 'zokio']));
    expect(bumped).not.toContain('@zokio/serve');
    expect(readFileSync(join(work, 'packages/future/CHANGELOG.md'), 'utf8')).toContain('A test change.');
  }, 60_000);
});
