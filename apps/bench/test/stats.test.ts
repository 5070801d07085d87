import { describe, expect, it } from 'vitest';
import { parseChildResult } from '../src/protocol.js';
import {
  formatRate,
  formatRatio,
  median,
  range,
  ratio,
  rotation,
  summarizeScenario,
  type Outcome,
  type RunRecord,
} from '../src/stats.js';
import { escapeXml, niceMax, renderBarChart } from '../src/svg.js';

describe('median', () => {
  it('is the middle value of an odd count, whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
  });

  it('is the mean of the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('refuses an empty list', () => {
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('range', () => {
  it('is the smallest and the largest value', () => {
    expect(range([3, -1, 7, 2])).toEqual({ min: -1, max: 7 });
  });
});

describe('ratio', () => {
  it('divides the contender by the baseline', () => {
    expect(ratio(50, 200)).toBe(0.25);
  });

  it('is undefined without a usable baseline', () => {
    expect(ratio(1, undefined)).toBeUndefined();
    expect(ratio(1, 0)).toBeUndefined();
  });

  it('prints small ratios with two significant digits, others with two decimals', () => {
    expect(formatRatio(0.0041)).toBe('0.0041×');
    expect(formatRatio(1)).toBe('1.00×');
    expect(formatRatio(undefined)).toBe('–');
  });
});

describe('rotation', () => {
  it('puts each contender first in turn', () => {
    const items = ['a', 'b', 'c'];
    expect([0, 1, 2, 3].map((round) => rotation(items, round)[0])).toEqual(['a', 'b', 'c', 'a']);
    expect(rotation(items, 1)).toEqual(['b', 'c', 'a']);
  });
});

function ok(contender: string, round: number, opsPerSec: number, retainedBytesPerTask?: number): RunRecord {
  const outcome: Outcome = {
    ok: true,
    result: {
      contender,
      scenario: 'spawn',
      n: 1000,
      opsPerSec,
      elapsedMs: 1,
      ...(retainedBytesPerTask === undefined ? {} : { retainedBytesPerTask }),
    },
  };
  return { scenario: 'spawn', contender, round, wallMs: 1, outcome };
}

describe('summarizeScenario', () => {
  const records: RunRecord[] = [
    ok('promise', 1, 100, 400),
    ok('promise', 2, 300, 400),
    ok('promise', 3, 200, 400),
    ok('zokio', 1, 50, 200),
    ok('zokio', 2, 70, 100),
    ok('zokio', 3, 60, 300),
    {
      scenario: 'spawn',
      contender: 'slow',
      round: 1,
      wallMs: 120_000,
      outcome: { ok: false, status: 'timeout', message: 'killed after 120 s' },
    },
  ];
  const [base, zokio, slow] = summarizeScenario(records, 'spawn', ['promise', 'zokio', 'slow'], 'promise');

  it('takes the median and the range over the rounds', () => {
    expect(base?.throughput).toEqual({ median: 200, min: 100, max: 300, samples: 3 });
  });

  it('divides medians by the baseline: throughput and memory alike', () => {
    expect(base?.throughputRatio).toBe(1);
    expect(zokio?.throughputRatio).toBe(0.3);
    expect(zokio?.memoryRatio).toBe(0.5);
  });

  it('reports a contender whose every round failed, instead of dropping it', () => {
    expect(slow?.throughput).toBeUndefined();
    expect(slow?.throughputRatio).toBeUndefined();
    expect(slow?.failures).toEqual([{ round: 1, status: 'timeout', message: 'killed after 120 s' }]);
  });
});

describe('parseChildResult', () => {
  it('reads the last JSON line a child printed', () => {
    const line = JSON.stringify({ contender: 'zokio', scenario: 'ping_pong', n: 10, opsPerSec: 5, elapsedMs: 2000 });
    expect(parseChildResult(`warming up\n${line}\n`)).toEqual({
      contender: 'zokio',
      scenario: 'ping_pong',
      n: 10,
      opsPerSec: 5,
      elapsedMs: 2000,
    });
  });

  it('says what it expected when a child printed something else', () => {
    expect(() => parseChildResult('')).toThrow(/Expected one JSON line/);
    expect(() => parseChildResult('{"contender":"zokio"}')).toThrow(/Expected \{contender, scenario/);
  });
});

describe('renderBarChart', () => {
  const svg = renderBarChart({
    title: 'spawn <tasks/s>',
    subtitle: 'median',
    bars: [
      { label: 'promise', median: 100, min: 90, max: 110, valueText: '100 tasks/s', baseline: true },
      { label: 'zokio', median: 120, min: 100, max: 130, valueText: '120 tasks/s', note: '1.20× promise' },
      { label: 'effect', median: 20, valueText: '20 tasks/s' },
      { label: 'effection', failure: 'failed (timeout)' },
    ],
  });

  it('is one SVG document', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });

  it('draws one bar per contender that has a result, and says why for one that has none', () => {
    expect(svg.match(/<rect class="bar"/g)).toHaveLength(3);
    expect(svg).toContain('failed (timeout)');
    for (const label of ['promise', 'zokio', 'effect', 'effection']) expect(svg).toContain(`>${label}</text>`);
  });

  it('draws whiskers only where the rounds spread', () => {
    expect(svg.match(/<g class="whisker"/g)).toHaveLength(2);
  });

  it('scales bars linearly from zero to a round axis maximum', () => {
    expect(niceMax(130)).toBe(150);
    expect(niceMax(1.11e6)).toBe(1.2e6);
    const widths = [...svg.matchAll(/<rect class="bar" x="\d+" y="\d+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths[1]! / widths[0]!).toBeCloseTo(1.2, 2);
  });

  it('rounds a byte axis in powers of 1024, and labels it with the formatter given', () => {
    expect(niceMax(1.4 * 2 ** 20, true)).toBe(1.5 * 2 ** 20);
    expect(niceMax(900 * 1024, true)).toBe(2 ** 20); // not 1000 KiB
    expect(niceMax(403, true)).toBe(500);
    const bytes = renderBarChart({
      title: 'rss',
      bars: [{ label: 'zokio', median: 900 * 1024, valueText: '900 KiB' }],
      axis: { format: (v) => `${v / 1024} KiB`, binary: true },
    });
    expect([...bytes.matchAll(/font-size="11">([^<]*)</g)].map((m) => m[1])).toEqual(['0', '512 KiB', '1024 KiB']);
  });

  it('escapes text', () => {
    expect(svg).toContain('spawn &#60;tasks/s&#62;');
    expect(escapeXml(`a&"'`)).toBe('a&#38;&#34;&#39;');
  });
});

describe('formatRate rounding', () => {
  it('carries into the next unit instead of printing an exponent', () => {
    expect(formatRate(999_950)).toBe('1.00 M');
    expect(formatRate(999)).toBe('999');
  });
});
