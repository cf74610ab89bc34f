/*
 * Two small SVG charts (no chart library): a step line for supply over time and grouped bars for
 * per-period figures. Values arrive in wei; they are scaled to whole ZON only to be drawn — the labels
 * print the exact amounts.
 */

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 640;
const HEIGHT = 220;
const PAD = { left: 8, right: 8, top: 12, bottom: 28 };

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
  const maxY = Math.max(...points.map((p) => toZon(p.y)), 1e-6);
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
    svg(
      "text",
      { x: WIDTH - PAD.right, y: PAD.top + 4, class: "tick", "text-anchor": "end" },
      yLabel(points[points.length - 1].y),
    ),
  );
  return root;
}

/** Grouped bars: one group per label, one bar per series; each bar's exact value in its tooltip. */
export function barChart(
  label: string,
  series: string[],
  groups: Array<{ label: string; values: bigint[] }>,
  valueLabel: (v: bigint) => string,
) {
  const root = frame(label);
  const maxY = Math.max(...groups.flatMap((g) => g.values.map(toZon)), 1e-6);
  const groupWidth = (WIDTH - PAD.left - PAD.right) / Math.max(groups.length, 1);
  const barWidth = (groupWidth * 0.8) / series.length;
  groups.forEach((group, g) => {
    group.values.forEach((value, s) => {
      const height = (toZon(value) / maxY) * (HEIGHT - PAD.top - PAD.bottom);
      const bar = svg("rect", {
        x: PAD.left + g * groupWidth + groupWidth * 0.1 + s * barWidth,
        y: HEIGHT - PAD.bottom - height,
        width: barWidth - 2,
        height: Math.max(height, 0.5),
        class: `bar s${s}`,
      });
      bar.append(svg("title", {}, `${group.label}, ${series[s]}: ${valueLabel(value)}`));
      root.append(bar);
    });
    root.append(
      svg(
        "text",
        {
          x: PAD.left + g * groupWidth + groupWidth / 2,
          y: HEIGHT - 8,
          class: "tick",
          "text-anchor": "middle",
        },
        group.label,
      ),
    );
  });
  return root;
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
