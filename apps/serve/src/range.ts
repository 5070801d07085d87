/**
 * `Range: bytes=…` (RFC 9110 §14): one range is served as `206`; several ranges, or overlapping ones, get the
 * whole representation as `200` (which the RFC allows and which keeps a many-ranges request from costing more
 * than a plain one); a range that cannot be satisfied is `416` with `Content-Range: bytes *\/size`.
 *
 * @module
 */

/** What to send for a `Range` header. */
export type RangeDecision =
  | { readonly kind: 'full' }
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

const FULL: RangeDecision = { kind: 'full' };
const SPEC = /^\s*(\d*)\s*-\s*(\d*)\s*$/;

/** Decides on `header` (may be undefined) for a representation of `size` bytes. `end` is inclusive. */
export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return FULL;
  const eq = header.indexOf('=');
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return FULL; // unknown unit: ignore
  const specs = header.slice(eq + 1).split(',');
  if (specs.length !== 1) return FULL;
  const m = SPEC.exec(specs[0]!);
  if (m === null) return FULL; // malformed: ignore the header, as the RFC says
  const [, first, last] = m as unknown as [string, string, string];
  if (first === '' && last === '') return FULL;
  let start: number;
  let end: number;
  if (first === '') {
    // suffix range: the last N bytes
    const n = Number(last);
    if (n === 0) return { kind: 'unsatisfiable' };
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
    if (last !== '' && Number(last) < start) return FULL; // invalid range-spec: ignore
  }
  if (!Number.isSafeInteger(start) || start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}
