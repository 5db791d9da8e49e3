/**
 * A small SVG bar chart, written by hand (no dependency): horizontal bars with
 * min–max whiskers, optionally stacked, grouped into titled panels.
 */

export interface Bar {
  readonly label: string;
  readonly median: number;
  readonly min?: number;
  readonly max?: number;
  readonly color: string;
  /** Stacked segments (their sum is the bar); drawn instead of one rectangle. */
  readonly segments?: readonly { readonly value: number; readonly color: string }[];
  /** Text after the bar (default: the median with `unit`). */
  readonly note?: string;
}

export interface Panel {
  readonly title: string;
  readonly unit: string;
  /** Optional group headings: bars are drawn under the heading that precedes them. */
  readonly rows: readonly (Bar | { readonly heading: string })[];
  readonly legend?: {
    readonly title: string;
    readonly items: readonly { readonly label: string; readonly color: string }[];
  };
  readonly format: (value: number) => string;
}

const WIDTH = 820;
const LABEL = 250;
const PLOT = 430;
const ROW = 22;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A round axis maximum and tick step for values up to `max`. */
function axis(max: number): { top: number; step: number } {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  return { top: Math.ceil(max / step) * step, step };
}

function panel(p: Panel, y0: number): { svg: string[]; height: number } {
  const out: string[] = [];
  const bars = p.rows.filter((r): r is Bar => 'median' in r);
  const { top, step } = axis(Math.max(...bars.map((b) => b.max ?? b.median)) * 1.05);
  const x = (v: number) => LABEL + (PLOT * v) / top;
  out.push(
    `<text x="12" y="${y0 + 16}" font-size="15" font-weight="600" ${FONT}>${escape(p.title)}</text>`,
  );
  let y = y0 + 34;
  if (p.legend) {
    out.push(
      `<text x="${LABEL - 8}" y="${y}" font-size="11" text-anchor="end" fill="#444" ${FONT}>${escape(p.legend.title)}</text>`,
    );
    let lx = LABEL;
    for (const item of p.legend.items) {
      const width = 20 + item.label.length * 6;
      if (lx + width > WIDTH - 10) {
        lx = LABEL;
        y += 16;
      }
      out.push(`<rect x="${lx}" y="${y - 9}" width="10" height="10" fill="${item.color}"/>`);
      out.push(`<text x="${lx + 14}" y="${y}" font-size="11" ${FONT}>${escape(item.label)}</text>`);
      lx += width;
    }
    y += 12;
  }
  const plotTop = y;
  for (const row of p.rows) {
    if ('heading' in row) {
      out.push(
        `<text x="12" y="${y + 15}" font-size="12" font-weight="600" fill="#444" ${FONT}>${escape(row.heading)}</text>`,
      );
      y += ROW;
      continue;
    }
    const cy = y + ROW / 2;
    out.push(
      `<text x="${LABEL - 8}" y="${cy + 4}" font-size="12" text-anchor="end" ${FONT}>${escape(row.label)}</text>`,
    );
    if (row.segments) {
      let sx = LABEL;
      for (const seg of row.segments) {
        const w = (PLOT * seg.value) / top;
        out.push(
          `<rect x="${sx.toFixed(1)}" y="${y + 4}" width="${Math.max(0, w).toFixed(1)}" height="${ROW - 8}" fill="${seg.color}"/>`,
        );
        sx += w;
      }
    } else {
      out.push(
        `<rect x="${LABEL}" y="${y + 4}" width="${(x(row.median) - LABEL).toFixed(1)}" height="${ROW - 8}" fill="${row.color}"/>`,
      );
    }
    if (row.min !== undefined && row.max !== undefined) {
      const [a, b] = [x(row.min), x(row.max)];
      out.push(
        `<path d="M${a.toFixed(1)} ${cy}H${b.toFixed(1)}M${a.toFixed(1)} ${cy - 4}V${cy + 4}M${b.toFixed(1)} ${cy - 4}V${cy + 4}" stroke="#222" stroke-width="1.2" fill="none"/>`,
      );
    }
    const note = row.note ?? `${p.format(row.median)} ${p.unit}`;
    const nx = Math.max(x(row.max ?? row.median), x(row.median)) + 6;
    out.push(
      `<text x="${nx.toFixed(1)}" y="${cy + 4}" font-size="11" fill="#333" ${FONT}>${escape(note)}</text>`,
    );
    y += ROW;
  }
  // Axis with ticks.
  out.push(`<path d="M${LABEL} ${plotTop}V${y}H${LABEL + PLOT}" stroke="#888" fill="none"/>`);
  for (let t = 0; t <= top + step / 2; t += step) {
    const tx = x(t).toFixed(1);
    out.push(`<path d="M${tx} ${y}v4" stroke="#888"/>`);
    out.push(
      `<text x="${tx}" y="${y + 16}" font-size="10" text-anchor="middle" fill="#555" ${FONT}>${escape(p.format(t))}</text>`,
    );
  }
  out.push(
    `<text x="${LABEL + PLOT}" y="${y + 30}" font-size="10" text-anchor="end" fill="#555" ${FONT}>${escape(p.unit)}</text>`,
  );
  return { svg: out, height: y - y0 + 44 };
}

/** The whole chart: panels stacked vertically, a caption at the bottom. */
export function barChart(panels: readonly Panel[], caption: string): string {
  const parts: string[] = [];
  let y = 8;
  for (const p of panels) {
    const { svg, height } = panel(p, y);
    parts.push(...svg);
    y += height + 10;
  }
  parts.push(
    `<text x="12" y="${y + 4}" font-size="10" fill="#555" ${FONT}>${escape(caption)}</text>`,
  );
  const height = y + 16;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img">`,
    `<title>${escape(panels.map((p) => p.title).join('; '))}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
