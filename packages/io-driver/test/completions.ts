/** Completion helpers shared by the driver-level suites (`conformance`, `sockets`). */
import { readdirSync } from 'node:fs';
import { expect } from 'vitest';
import { COMPLETION_MORE, type CompletionHandler } from '@zokio/io-driver';

export interface Seen {
  res: number;
  flags: number;
  aux: number;
}

/** Collects every completion of one op and resolves with them at the final one. */
export function collect(): CompletionHandler & { done: Promise<Seen[]>; seen: Seen[] } {
  const seen: Seen[] = [];
  let resolve!: (v: Seen[]) => void;
  const done = new Promise<Seen[]>((r) => (resolve = r));
  return {
    seen,
    done,
    complete(res, flags, aux) {
      seen.push({ res, flags, aux });
      if ((flags & COMPLETION_MORE) === 0) resolve(seen);
    },
  };
}

/** Submits one op and resolves with its final result, checking there was exactly one final completion. */
export async function final(submit: (h: CompletionHandler) => unknown): Promise<number> {
  return (await finalSeen(submit)).res;
}

/** Like {@link final}, with the whole final completion record. */
export async function finalSeen(submit: (h: CompletionHandler) => unknown): Promise<Seen> {
  const h = collect();
  submit(h);
  const all = await h.done;
  expect(all.filter((c) => (c.flags & COMPLETION_MORE) === 0)).toHaveLength(1);
  return all.at(-1)!;
}

/** Open fds, after two loop turns: a backend closed just before releases its own fds (a ring's) within one. */
export async function fdCount(): Promise<number> {
  await turn();
  await turn();
  return readdirSync('/proc/self/fd').length;
}

/** One event-loop turn. */
export function turn(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
