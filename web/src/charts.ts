/*
 * Small charts (no chart library): an SVG step line for supply over time and horizontal share bars for
 * per-period figures. Values arrive in wei; they are scaled only to be drawn — the labels print the exact
 * amounts.
 */

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 640;
const HEIGHT = 220;
const PAD = { left: 8, right: 8, top: 30, bottom: 28 };

function svg(tag: string, attributes: Record<string, string | number>, text?: string): SVGElement {
  const element = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) element.setAttribute(k, String(v));
  if (text !== undefined) element.textContent = text;
  return element;
}

function frame(label: string): SVGSVGElement {
  const root = svg("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img",
    "aria-label": label,
    class: "chart",
  }) as SVGSVGElement;
  root.append(svg("title", {}, label));
  return root;
}

const toZon = (wei: bigint) => Number(wei / 10n ** 12n) / 1e6;

/** A step line of `points` (x: block or time, y: wei), with the first and last x labelled. */
export function stepChart(
  label: string,
  points: Array<{ x: number; y: bigint }>,
  xLabel: (x: number) => string,
  yLabel: (y: bigint) => string,
) {
  const root = frame(label);
  if (points.length === 0) return root;
  const xs = points.map((p) => p.x);
  const minX = Math.min(...xs);
  const maxX = Math.max(...xs, minX + 1);
  const maxWei = points.reduce((m, p) => (p.y > m ? p.y : m), 0n);
  const maxY = Math.max(toZon(maxWei), 1e-6);
  const x = (v: number) => PAD.left + ((v - minX) / (maxX - minX)) * (WIDTH - PAD.left - PAD.right);
  const y = (v: bigint) => HEIGHT - PAD.bottom - (toZon(v) / maxY) * (HEIGHT - PAD.top - PAD.bottom);
  let d = `M ${x(points[0].x)} ${y(0n)} L ${x(points[0].x)} ${y(points[0].y)}`;
  for (let i = 1; i < points.length; i++)
    d += ` L ${x(points[i].x)} ${y(points[i - 1].y)} L ${x(points[i].x)} ${y(points[i].y)}`;
  d += ` L ${WIDTH - PAD.right} ${y(points[points.length - 1].y)}`;
  root.append(
    svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(0n), y2: y(0n), class: "axis" }),
    svg("path", { d, class: "series" }),
    svg("text", { x: PAD.left, y: HEIGHT - 8, class: "tick" }, xLabel(minX)),
    svg("text", { x: WIDTH - PAD.right, y: HEIGHT - 8, class: "tick", "text-anchor": "end" }, xLabel(maxX)),
    // Values sit in the band above the plot, so no label ever crosses the line.
    svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: PAD.top, y2: PAD.top, class: "grid" }),
    svg("text", { x: PAD.left, y: PAD.top - 8, class: "tick" }, `top: ${yLabel(maxWei)}`),
    svg(
      "text",
      { x: WIDTH - PAD.right, y: PAD.top - 8, class: "tick", "text-anchor": "end" },
      `now: ${yLabel(points[points.length - 1].y)}`,
    ),
  );
  return root;
}

/**
 * Horizontal bars, one per row, each the share of its row's whole (`of`): segments drawn to scale with at
 * least a sliver for any non-zero amount (a 100 ZON claim beside a 1,000,000 ZON budget stays visible), and
 * every value printed beside the bar — nothing needs hovering.
 */
export function shareBars(
  label: string,
  rows: Array<{
    label: string;
    segments: Array<{ name: string; value: bigint }>;
    of: bigint;
    ofName: string;
  }>,
  valueLabel: (v: bigint) => string,
): HTMLElement {
  const list = document.createElement("div");
  list.className = "share-bars";
  list.setAttribute("role", "list");
  list.setAttribute("aria-label", label);
  for (const row of rows) {
    const item = document.createElement("div");
    item.className = "share-row";
    item.setAttribute("role", "listitem");
    const name = document.createElement("div");
    name.className = "share-label";
    name.textContent = row.label;
    const bar = document.createElement("div");
    bar.className = "share-bar";
    row.segments.forEach((segment, s) => {
      const part = document.createElement("span");
      part.className = `seg s${s}`;
      const share = row.of > 0n ? Number((segment.value * 1_000_000n) / row.of) / 10_000 : 0;
      part.style.width = `${Math.min(share, 100)}%`;
      if (segment.value > 0n) part.style.minWidth = "3px";
      bar.append(part);
    });
    const values = document.createElement("div");
    values.className = "share-values";
    const percent = (v: bigint) =>
      row.of > 0n ? ` (${(Number((v * 1_000_000n) / row.of) / 10_000).toLocaleString("en-US")} %)` : "";
    values.textContent = [
      ...row.segments.map((s) => `${s.name} ${valueLabel(s.value)}${percent(s.value)}`),
      `${row.ofName} ${valueLabel(row.of)}`,
    ].join(" · ");
    item.append(name, bar, values);
    list.append(item);
  }
  return list;
}

/** The legend of a bar chart's series. */
export function legend(series: string[]): HTMLElement {
  const list = document.createElement("ul");
  list.className = "legend";
  series.forEach((name, s) => {
    const item = document.createElement("li");
    item.className = `s${s}`;
    item.textContent = name;
    list.append(item);
  });
  return list;
}
