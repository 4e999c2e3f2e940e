// A line chart in SVG, drawn here rather than by a chart library: one series over time is
// all the dashboard plots, and this keeps the page free of a build step and of third-party
// code. Presentation attributes only (no style attributes), as the CSP allows no inline style.

import { element } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 640;
const HEIGHT = 220;
const PAD = { left: 64, right: 16, top: 12, bottom: 34 };

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function clock(ms) {
  return new Date(ms).toISOString().slice(11, 16);
}

// `points`: [{ at: milliseconds since the epoch, value }] in time order.
export function lineChart({ id, title, unit, points, format = (v) => String(v) }) {
  const figure = element("figure", undefined, "chart");
  figure.id = id;
  const caption = element("figcaption", title);
  if (points.length === 0) {
    figure.append(caption, element("p", `The station sent no ${title.toLowerCase()} samples.`, "empty"));
    return figure;
  }
  const times = points.map((p) => p.at);
  const values = points.map((p) => p.value);
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const low = Math.min(0, ...values);
  const high = Math.max(...values);
  const span = high - low || 1;
  const x = (t) => PAD.left + (t1 === t0 ? 0.5 : (t - t0) / (t1 - t0)) * (WIDTH - PAD.left - PAD.right);
  const y = (v) => HEIGHT - PAD.bottom - ((v - low) / span) * (HEIGHT - PAD.top - PAD.bottom);
  const label = `${title}: ${points.length} samples from ${format(values[0])} to ${format(values[values.length - 1])} ${unit}, highest ${format(high)} ${unit}`;
  const chart = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": label });
  chart.append(svg("title", {}, label));
  const axis = { stroke: "#767676", "stroke-width": 1 };
  chart.append(
    svg("line", { x1: PAD.left, y1: HEIGHT - PAD.bottom, x2: WIDTH - PAD.right, y2: HEIGHT - PAD.bottom, ...axis }),
    svg("line", { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: HEIGHT - PAD.bottom, ...axis }),
  );
  for (const v of [low, low + span / 2, high]) {
    chart.append(
      svg("line", { x1: PAD.left, y1: y(v), x2: WIDTH - PAD.right, y2: y(v), stroke: "#e0e0e0" }),
      svg("text", { x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#333" }, format(v)),
    );
  }
  // The first and last time labels are anchored inward so they stay inside the chart.
  const ticks = t1 === t0 ? [[t0, "middle"]] : [[t0, "start"], [(t0 + t1) / 2, "middle"], [t1, "end"]];
  for (const [t, anchor] of ticks) {
    chart.append(svg("text", { x: x(t), y: HEIGHT - PAD.bottom + 16, "text-anchor": anchor, "font-size": 11, fill: "#333" }, `${clock(t)} UTC`));
  }
  chart.append(svg("text", { x: 4, y: PAD.top + 4, "font-size": 11, fill: "#333" }, unit));
  chart.append(svg("polyline", {
    points: points.map((p) => `${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(" "),
    fill: "none", stroke: "#0b5cad", "stroke-width": 2,
  }));
  for (const p of points) {
    chart.append(svg("circle", { cx: x(p.at).toFixed(1), cy: y(p.value).toFixed(1), r: 2.5, fill: "#0b5cad" }));
  }
  figure.append(caption, chart);
  return figure;
}
