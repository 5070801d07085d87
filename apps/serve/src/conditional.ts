/**
 * Validators and conditional requests (RFC 9110 §8.8, §13): a weak `ETag` from size and modification time,
 * `Last-Modified`, and the `If-Match` / `If-Unmodified-Since` (412), `If-None-Match` / `If-Modified-Since` (304) and
 * `If-Range` checks. Dates count only when they are HTTP-dates (§5.6.7), in any of the three forms.
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

const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^[A-Z][a-z]+, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/** An HTTP-date's time in ms, or `undefined` for anything else (a field that is not one is ignored, §13.1.3). */
export function httpDate(value: string): number | undefined {
  const v = value.trim();
  if (!IMF_FIXDATE.test(v) && !RFC850_DATE.test(v) && !ASCTIME_DATE.test(v)) return undefined;
  const t = Date.parse(ASCTIME_DATE.test(v) ? `${v} GMT` : v);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Whether a precondition fails, so the answer is `412 Precondition Failed` (§13.1.1, §13.1.4, evaluated first):
 * `If-Match` compares strongly and our tags are weak, so only `*` passes; without it, `If-Unmodified-Since` fails
 * when the file changed after the date.
 */
export function preconditionFailed(headers: Readonly<Record<string, string>>, mtimeMs: number): boolean {
  const ifMatch = headers['if-match'];
  if (ifMatch !== undefined) return ifMatch.trim() !== '*';
  const since = headers['if-unmodified-since'];
  if (since === undefined) return false;
  const t = httpDate(since);
  return t !== undefined && Math.floor(mtimeMs / 1000) * 1000 > t;
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
    const t = httpDate(since);
    return t !== undefined && Math.floor(mtimeMs / 1000) * 1000 <= t;
  }
  return false;
}

/**
 * Whether a `Range` may be honoured: no `If-Range`, or one naming the current version. Our tags are weak, so never by
 * tag; by date only when `Last-Modified` is a strong validator — at least a second before now (§8.8.2.2): a file
 * changed twice within its second keeps its date, and a resumed download would splice two versions.
 */
export function rangeStillValid(
  headers: Readonly<Record<string, string>>,
  validators: Validators,
  mtimeMs: number,
  now = Date.now(),
): boolean {
  const ifRange = headers['if-range'];
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return false;
  return value === validators.lastModified && now - mtimeMs >= 1000;
}
