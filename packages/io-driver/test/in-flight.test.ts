import { describe, expect, it } from 'vitest';
import { InFlightTable } from '../src/in-flight.js';

const handler = { complete() {} };

describe('InFlightTable', () => {
  it('gives every op a unique non-zero token; a reused slot gets a new token and the old one goes stale', () => {
    const table = new InFlightTable();
    const a = table.add(handler, 1);
    expect(a).not.toBe(0);
    const slot = table.slotOf(a);
    table.remove(slot);
    expect(table.slotOf(a)).toBe(-1);
    const b = table.add(handler, 2);
    expect(table.slotOf(b)).toBe(slot); // the slot is reused…
    expect(b).not.toBe(a); // …under a new token
    expect(table.opcode(table.slotOf(b))).toBe(2);
    expect(table.size).toBe(1);
  });

  it('grows past its initial capacity and lists every live token', () => {
    const table = new InFlightTable();
    const tokens = Array.from({ length: 5000 }, (_, i) => table.add(handler, i % 12));
    expect(new Set(tokens).size).toBe(5000);
    expect(table.size).toBe(5000);
    for (const t of tokens.slice(0, 2500)) table.remove(table.slotOf(t));
    expect(table.tokens().sort()).toEqual(tokens.slice(2500).sort());
    expect(tokens.every((t, i) => i < 2500 || table.opcode(table.slotOf(t)) === i % 12)).toBe(true);
  });

  it('tracks cancellation per op', () => {
    const table = new InFlightTable();
    const slot = table.slotOf(table.add(handler, 3));
    expect(table.isCancelled(slot)).toBe(false);
    table.markCancelled(slot);
    expect(table.isCancelled(slot)).toBe(true);
    table.remove(slot);
    expect(table.isCancelled(table.slotOf(table.add(handler, 3)))).toBe(false);
  });
});
