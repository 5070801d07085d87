/**
 * One horizontal bar chart per scenario, as a hand-written SVG string: no dependency, readable on a docs page in
 * light or dark mode (it paints its own background).
 *
 * ```
 *   title
 *   subtitle
 *   promise   ███████████████████████|──┤        1.23 M tasks/s  1.00×
 *   zokio     ██████████████████├──|──┤          1.10 M tasks/s  0.89×
 *   effection failed: timeout
 *             0                    axis max
 * ```
 * Bars are the medians, on a linear scale from zero (a log scale would make a 10× gap look small); whiskers span
 * min–max over the rounds. Every bar is labelled with its value, so a bar too short to see still reads.
 *
 * @module
 */

export interface Bar {
  readonly label: string;
  /** Absent when every round failed: the row shows `failed` instead of a bar. */
  readonly median?: number;
  readonly min?: number;
  readonly max?: number;
  /** The value as printed beside the bar (`1.23 M tasks/s`). */
  readonly valueText?: string;
  /** Printed after the value, dimmer (`0.89× promise`). */
  readonly note?: string;
  /** Why there is no bar (`failed: timeout`). */
  readonly failure?: string;
  /** Draws the bar in the baseline's grey. */
  readonly baseline?: boolean;
}

export interface Chart {
  readonly title: string;
  readonly subtitle?: string;
  readonly bars: readonly Bar[];
  /**
   * How the axis ticks are labelled: with the bars' own formatter (`1.5 MiB`, `12 ms`), so that ticks and values
   * read alike; `binary` rounds the axis maximum in powers of 1024 (for bytes), so a tick reads `512 KiB`, not
   * `488 KiB`. @default plain numbers with a k/M/G suffix
   */
  readonly axis?: { readonly format: (value: number) => string; readonly binary?: boolean };
}

const WIDTH = 800;
const LEFT = 110; // label column
const BAR_AREA = 400;
const ROW = 34;
const BAR_HEIGHT = 20;
const TOP = 64;
const PALETTE = ['#2f6fdf', '#d9822b', '#2a9d6f', '#9b59b6', '#c0392b'];
const BASELINE_COLOUR = '#8a8f98';

/** Escapes text for an SVG text node or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Round axis maxima, per power of ten: fine enough that the longest bar fills at least two thirds of the axis. */
const NICE_STEPS = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];

/**
 * A round axis maximum at or above `value`: round in its power of ten, or with `binary`, in its power of 1024 (a
 * round number of B, KiB, MiB…, 1024 of one unit read as 1 of the next).
 */
export function niceMax(value: number, binary = false): number {
  if (!(value > 0) || !Number.isFinite(value)) return 1;
  if (binary) {
    const scale = 1024 ** Math.max(0, Math.floor(Math.log2(value) / 10));
    const max = niceMax(value / scale);
    return (max >= 1000 ? 1024 : max) * scale;
  }
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of NICE_STEPS) {
    // Rounded, so that 1.2 × 10^6 prints as 1.2 M and not 1.2000000000000002 M.
    const candidate = Number((step * power).toPrecision(12));
    if (candidate >= value) return candidate;
  }
  return 10 * power;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Renders `chart` as a standalone SVG document. */
export function renderBarChart(chart: Chart): string {
  const top = chart.subtitle === undefined ? TOP - 18 : TOP;
  const height = top + chart.bars.length * ROW + 36;
  const measured = chart.bars.flatMap((b) => [b.max ?? b.median ?? 0, b.median ?? 0]);
  const axisMax = niceMax(Math.max(0, ...measured), chart.axis?.binary === true);
  const tick = (value: number) => (value === 0 ? '0' : (chart.axis?.format ?? formatAxis)(value));
  const x = (v: number) => round(LEFT + (Math.max(0, v) / axisMax) * BAR_AREA);
  let colour = 0;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ` +
      `role="img" aria-label="${escapeXml(chart.title)}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="13">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="26" font-size="16" font-weight="600" fill="#1f2328">${escapeXml(chart.title)}</text>`,
  ];
  if (chart.subtitle !== undefined) {
    out.push(`<text x="16" y="46" fill="#57606a">${escapeXml(chart.subtitle)}</text>`);
  }

  // The axis and its grid first, so the bars are drawn over the grid lines.
  const axisY = top + chart.bars.length * ROW + 4;
  out.push(`<line x1="${LEFT}" y1="${axisY}" x2="${LEFT + BAR_AREA}" y2="${axisY}" stroke="#d0d7de"/>`);
  for (const fraction of [0, 0.5, 1]) {
    const tx = x(axisMax * fraction);
    out.push(
      `<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${axisY}" stroke="#d0d7de" stroke-dasharray="2 3"/>`,
      `<text x="${tx}" y="${axisY + 16}" text-anchor="middle" fill="#57606a" font-size="11">` +
        `${escapeXml(tick(axisMax * fraction))}</text>`,
    );
  }

  chart.bars.forEach((bar, i) => {
    const y = top + i * ROW;
    const mid = y + BAR_HEIGHT / 2;
    out.push(`<text x="${LEFT - 10}" y="${mid + 4}" text-anchor="end" fill="#1f2328">${escapeXml(bar.label)}</text>`);
    if (bar.median === undefined) {
      out.push(`<text x="${LEFT}" y="${mid + 4}" fill="#c0392b">${escapeXml(bar.failure ?? 'no result')}</text>`);
      return;
    }
    const fill = bar.baseline === true ? BASELINE_COLOUR : PALETTE[colour++ % PALETTE.length]!;
    const end = x(bar.median);
    out.push(
      `<rect class="bar" x="${LEFT}" y="${y}" width="${round(end - LEFT)}" height="${BAR_HEIGHT}" rx="2" fill="${fill}">` +
        `<title>${escapeXml(`${bar.label}: ${bar.valueText ?? String(bar.median)}`)}</title></rect>`,
    );
    let textX = end;
    if (bar.min !== undefined && bar.max !== undefined && bar.max > bar.min) {
      const [x1, x2] = [x(bar.min), x(bar.max)];
      out.push(
        `<g class="whisker" stroke="#1f2328" stroke-width="1.2">` +
          `<line x1="${x1}" y1="${mid}" x2="${x2}" y2="${mid}"/>` +
          `<line x1="${x1}" y1="${mid - 5}" x2="${x1}" y2="${mid + 5}"/>` +
          `<line x1="${x2}" y1="${mid - 5}" x2="${x2}" y2="${mid + 5}"/></g>`,
      );
      textX = Math.max(textX, x2);
    }
    const value = escapeXml(bar.valueText ?? String(bar.median));
    const note = bar.note === undefined ? '' : `<tspan dx="10" fill="#57606a">${escapeXml(bar.note)}</tspan>`;
    out.push(`<text x="${round(textX + 8)}" y="${mid + 4}" fill="#1f2328">${value}${note}</text>`);
  });

  out.push(`</svg>`);
  return `${out.join('\n')}\n`;
}

/** The default tick label: `1.2 M`, `500 k`, `12.5`. */
function formatAxis(value: number): string {
  const [scale, suffix] =
    value >= 1e9 ? [1e9, ' G'] : value >= 1e6 ? [1e6, ' M'] : value >= 1e3 ? [1e3, ' k'] : [1, ''];
  return `${Number((value / scale).toPrecision(4))}${suffix}`;
}
