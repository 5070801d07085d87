/**
 * Validators and conditional requests (RFC 9110 §8.8, §13): a weak `ETag` from size and modification time,
 * `Last-Modified`, and the `If-None-Match` / `If-Modified-Since` / `If-Range` checks.
 *
 * @module
 */
import type { Stats } from '@zokio/fs';

/** The validators of a file. */
export interface Validators {
  readonly etag: string;
  readonly lastModified: string;
}

/** Weak validators: the same size and mtime (to the millisecond) mean the same content. */
export function validatorsOf(stats: Stats): Validators {
  return {
    etag: `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`,
    lastModified: new Date(Math.floor(stats.mtimeMs / 1000) * 1000).toUTCString(),
  };
}

/** Strips the weak prefix: `If-None-Match` uses the weak comparison. */
function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/**
 * Whether the client's copy is current, so the answer is `304 Not Modified`. `If-None-Match` wins over
 * `If-Modified-Since` when both are sent.
 */
export function isNotModified(headers: Readonly<Record<string, string>>, etag: string, mtimeMs: number): boolean {
  const noneMatch = headers['if-none-match'];
  if (noneMatch !== undefined) {
    if (noneMatch.trim() === '*') return true;
    const ours = opaque(etag);
    return noneMatch.split(',').some((t) => opaque(t.trim()) === ours);
  }
  const since = headers['if-modified-since'];
  if (since !== undefined) {
    const t = Date.parse(since);
    return !Number.isNaN(t) && Math.floor(mtimeMs / 1000) * 1000 <= t;
  }
  return false;
}

/** Whether a `Range` may be honoured: no `If-Range`, or one naming the current version (strong match, or date). */
export function rangeStillValid(headers: Readonly<Record<string, string>>, validators: Validators): boolean {
  const ifRange = headers['if-range'];
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return false; // our tags are weak: never a strong match
  return value === validators.lastModified;
}
