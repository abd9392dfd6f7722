// Small server-rendered SVG charts of recent history (check latency, heartbeat intervals): readable without JavaScript.

/** One point: x is a time (any unit, increasing), y the value; `bad` points are drawn in red. */
export interface ChartPoint {
  readonly x: number;
  readonly y: number;
  readonly bad?: boolean;
}

export interface HistoryChartOptions {
  /** What the chart shows, for screen readers and the tooltip (`latency of httpd http://…`). */
  readonly title: string;
  /** Unit of y for the labels (`ms`). */
  readonly unit: string;
  readonly width?: number;
  readonly height?: number;
  /** A horizontal reference line (a timeout, warntime), drawn dashed and labelled. */
  readonly reference?: { readonly y: number; readonly label: string };
}

/**
 * A line of the recent values with dots for failures, the y scale from 0 to the largest value
 * (or the reference line, whichever is higher), the maximum and the last value as text. Pure:
 * the same points give the same bytes, so pages diff and cache well.
 */
export function renderHistoryChart(points: readonly ChartPoint[], options: HistoryChartOptions): string {
  const w = options.width ?? 240;
  const h = options.height ?? 48;
  const padL = 2;
  const padR = 2;
  const padT = 10;
  const padB = 2;
  const title = escapeXml(options.title);
  const head = `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${title}"><title>${title}</title>`;
  if (points.length === 0) return `${head}<text x="${padL}" y="${h / 2 + 4}" font-size="10" fill="#888">no data yet</text></svg>`;
  const maxY = Math.max(...points.map((p) => p.y), options.reference?.y ?? 0, 1e-9);
  const minX = points[0]!.x;
  const spanX = Math.max(points[points.length - 1]!.x - minX, 1e-9);
  const px = (x: number) => round(padL + (points.length === 1 ? w - padL - padR : ((x - minX) / spanX) * (w - padL - padR)));
  const py = (y: number) => round(padT + (1 - y / maxY) * (h - padT - padB));
  let svg = head;
  svg += `<rect x="0" y="0" width="${w}" height="${h}" fill="none" stroke="#ddd"/>`;
  if (options.reference) {
    const y = py(options.reference.y);
    svg += `<line x1="${padL}" y1="${y}" x2="${w - padR}" y2="${y}" stroke="#c60" stroke-dasharray="3,2"/>`;
    svg += `<text x="${w - padR}" y="${Math.max(y - 2, 8)}" font-size="8" text-anchor="end" fill="#c60">${escapeXml(options.reference.label)}</text>`;
  }
  svg += `<polyline fill="none" stroke="#36c" stroke-width="1.2" points="${points.map((p) => `${px(p.x)},${py(p.y)}`).join(" ")}"/>`;
  for (const p of points) if (p.bad) svg += `<circle cx="${px(p.x)}" cy="${py(p.y)}" r="2" fill="#c00"/>`;
  const last = points[points.length - 1]!;
  svg += `<text x="${padL + 1}" y="8" font-size="8" fill="#555">max ${formatValue(maxY)} ${escapeXml(options.unit)} · last ${formatValue(last.y)} ${escapeXml(options.unit)}</text>`;
  return `${svg}</svg>`;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function formatValue(v: number): string {
  return v >= 100 ? String(Math.round(v)) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
