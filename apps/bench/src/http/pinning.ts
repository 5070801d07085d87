/**
 * Where the HTTP scenarios' processes run and what CPU they spend: the server pinned to one CPU and wrk to another
 * (`taskset -c`) where this process may use two, and a process's CPU time from `/proc/<pid>/stat`. No side effects
 * on import: the runner uses it too, to say in the report where the processes ran.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** `0-1,4,6-7` (a `Cpus_allowed_list`) as the CPU numbers it names, ascending. */
export function parseCpuList(text: string): number[] {
  const cpus = new Set<number>();
  for (const part of text.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (m === null) throw new Error(`Expected a CPU list such as 0-1,4, got ${JSON.stringify(text)}`);
    const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
    for (let cpu = from; cpu <= to; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** Where the server and wrk run: a CPU each, or unpinned (and why). */
export type Pinning =
  | { readonly pinned: true; readonly server: number; readonly wrk: number }
  | { readonly pinned: false; readonly why: string };

/** The CPUs this process may run on (`Cpus_allowed_list` of `/proc/self/status`), or `undefined` if unknown. */
export function allowedCpus(): number[] | undefined {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const list = /^Cpus_allowed_list:\s*(.+)$/m.exec(status)?.[1];
    return list === undefined ? undefined : parseCpuList(list);
  } catch {
    return undefined;
  }
}

/** The server on the first CPU this process may use and wrk on the second, if there are two and `taskset`. */
export function planPinning(cpus: readonly number[] | undefined, hasTaskset: boolean): Pinning {
  if (cpus === undefined) return { pinned: false, why: 'the CPUs this process may use are unknown' };
  if (cpus.length < 2) return { pinned: false, why: `this process may use only CPU ${cpus.join(', ')}` };
  if (!hasTaskset) return { pinned: false, why: '`taskset` (util-linux) is not installed' };
  return { pinned: true, server: cpus[0]!, wrk: cpus[1]! };
}

export function hasTaskset(): boolean {
  const r = spawnSync('taskset', ['--version'], { encoding: 'utf8', timeout: 5_000 });
  return r.error === undefined && r.status === 0;
}

/** `command args…`, run on `cpu` when given (`taskset -c cpu command args…`: taskset execs it, same pid). */
export function onCpu(cpu: number | undefined, command: string, args: readonly string[]): [string, string[]] {
  return cpu === undefined ? [command, [...args]] : ['taskset', ['-c', String(cpu), command, ...args]];
}

/** Clock ticks per second, the unit of `/proc/<pid>/stat`'s times (`getconf CLK_TCK`; 100 if it cannot say). */
export function clockTicks(): number {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5_000 });
  const ticks = Number(r.stdout?.trim());
  return r.status === 0 && Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
}

/** utime + stime (clock ticks, every thread of the process) from the text of `/proc/<pid>/stat`. */
export function parseStatTicks(stat: string): number {
  // The second field, the command, is in parentheses and may hold spaces: split after the last `)`.
  const close = stat.lastIndexOf(')');
  const fields = stat
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // `fields` starts at field 3 (state): utime is field 14, stime field 15.
  const [utime, stime] = [Number(fields[11]), Number(fields[12])];
  if (close < 0 || !Number.isInteger(utime) || !Number.isInteger(stime)) {
    throw new Error(`Expected /proc/<pid>/stat with utime and stime, got ${JSON.stringify(stat.slice(0, 200))}`);
  }
  return utime + stime;
}

export function cpuTicksOf(pid: number): number {
  return parseStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** The pinning of this machine: {@link planPinning} of the CPUs this process may use, if `taskset` is there. */
export function pinning(): Pinning {
  return planPinning(allowedCpus(), hasTaskset());
}

/** The pinning in words, for the report: `the server on CPU 0, wrk on CPU 1`, or why not. */
export function describePinning(p: Pinning): string {
  return p.pinned ? `the server on CPU ${p.server}, wrk on CPU ${p.wrk} (\`taskset -c\`)` : `not pinned: ${p.why}`;
}
