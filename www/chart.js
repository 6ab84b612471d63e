// A small hand-drawn SVG line chart built with DOM APIs only (createElementNS + textContent).
// It plots numbers the engine computed; it computes none itself.
import { price as fmtPrice, group, round } from './format.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 640;
const H = 300;
const PAD = { left: 64, right: 16, top: 16, bottom: 40 };

function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Round-number tick values covering [lo, hi]. */
function ticks(lo, hi, count) {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

function label(value, span) {
  const dp = span >= 100 ? 0 : Math.min(8, Math.max(0, 2 - Math.floor(Math.log10(span || 1))));
  return group(round(value.toFixed(dp), dp));
}

/**
 * Draws the chart into `container`.
 * points: [{x, equity, mm}] sorted by x; mark: the current price (labelled `markLabel`);
 * markers: [{x, y, exact, kind: 'liquidation' | 'book-liquidation', text, spoken}] — the points
 * where the lines meet, each carrying the engine's exact price in `data-<kind>`;
 * title, xLabel: what is plotted against what; unit: the y axis' currency.
 */
export function drawChart(container, { points, mark, markLabel = 'mark', markers = [], unit, equityLabel, mmLabel, title, xLabel }) {
  const xs = points.map((p) => p.x);
  const ys = points.flatMap((p) => [p.equity, p.mm]);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  let y0 = Math.min(0, ...ys);
  let y1 = Math.max(...ys);
  if (y1 === y0) { y1 += 1; y0 -= 1; }
  const yPad = (y1 - y0) * 0.05;
  y0 -= y0 < 0 ? yPad : 0;
  y1 += yPad;
  const sx = (x) => PAD.left + ((x - x0) / (x1 - x0 || 1)) * (W - PAD.left - PAD.right);
  const sy = (y) => H - PAD.bottom - ((y - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);

  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'chart-svg-title chart-svg-desc', class: 'chart' });
  svg.append(el('title', { id: 'chart-svg-title' }, title));
  const now = `Current ${markLabel} ${fmtPrice(String(mark))}.`;
  const desc = markers.length
    ? `The lines meet at the ${markers.map((m) => m.spoken).join(' and ')}. ${now}`
    : `No liquidation price in this range. ${now}`;
  svg.append(el('desc', { id: 'chart-svg-desc' }, desc));

  const grid = el('g', { class: 'grid-lines' });
  const xt = ticks(x0, x1, 5);
  const yt = ticks(y0, y1, 5);
  for (const t of yt) {
    grid.append(el('line', { x1: PAD.left, x2: W - PAD.right, y1: sy(t), y2: sy(t) }));
    grid.append(el('text', { x: PAD.left - 6, y: sy(t) + 4, 'text-anchor': 'end', class: 'tick' }, label(t, y1 - y0)));
  }
  for (const t of xt) {
    grid.append(el('line', { x1: sx(t), x2: sx(t), y1: PAD.top, y2: H - PAD.bottom }));
    grid.append(el('text', { x: sx(t), y: H - PAD.bottom + 16, 'text-anchor': 'middle', class: 'tick' }, label(t, x1 - x0)));
  }
  svg.append(grid);
  svg.append(el('text', { x: W - PAD.right, y: H - 6, 'text-anchor': 'end', class: 'axis-label' }, xLabel));
  svg.append(el('text', { x: 4, y: PAD.top - 4, class: 'axis-label' }, unit));

  const path = (key) => points.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p[key]).toFixed(1)}`).join('');
  svg.append(el('path', { d: path('mm'), class: 'line-mm' }));
  svg.append(el('path', { d: path('equity'), class: 'line-equity' }));

  const markX = sx(mark);
  svg.append(el('line', { x1: markX, x2: markX, y1: PAD.top, y2: H - PAD.bottom, class: 'mark-line' }));
  svg.append(el('text', { x: markX + 4, y: PAD.top + 10, class: 'mark-label' }, markLabel));
  markers.forEach((m, k) => {
    const g = el('g', { class: 'liq', [`data-${m.kind}`]: m.exact });
    g.append(el('line', { x1: sx(m.x), x2: sx(m.x), y1: PAD.top, y2: H - PAD.bottom }));
    g.append(el('circle', { cx: sx(m.x), cy: sy(m.y), r: 5 }));
    const right = sx(m.x) > W / 2;
    // Stagger the labels of several markers so they do not overprint each other.
    g.append(el('text', { x: sx(m.x) + (right ? -8 : 8), y: Math.max(PAD.top + 24, sy(m.y) - 10 - 16 * k), 'text-anchor': right ? 'end' : 'start' }, m.text));
    svg.append(g);
  });

  const legend = el('g', { class: 'legend', transform: `translate(${PAD.left + 8},${PAD.top + 4})` });
  legend.append(el('line', { x1: 0, x2: 18, y1: 6, y2: 6, class: 'line-equity' }));
  legend.append(el('text', { x: 24, y: 10 }, equityLabel));
  legend.append(el('line', { x1: 0, x2: 18, y1: 24, y2: 24, class: 'line-mm' }));
  legend.append(el('text', { x: 24, y: 28 }, mmLabel));
  svg.append(legend);

  container.replaceChildren(svg);
}

/**
 * Draws one curve y(x) into `container` (replacing its content): points [{x, y}] sorted by x,
 * an optional marked point {x, y, text}; `id` prefixes the title/description ids.
 */
export function drawCurve(container, { id, points, mark, title, desc, xLabel, yLabel }) {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  let y0 = Math.min(0, ...ys);
  let y1 = Math.max(...ys);
  if (y1 === y0) y1 += 1;
  y1 += (y1 - y0) * 0.08;
  const sx = (x) => PAD.left + ((x - x0) / (x1 - x0 || 1)) * (W - PAD.left - PAD.right);
  const sy = (y) => H - PAD.bottom - ((y - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `${id}-title ${id}-desc`, class: 'chart curve', id });
  svg.append(el('title', { id: `${id}-title` }, title));
  svg.append(el('desc', { id: `${id}-desc` }, desc));
  const grid = el('g', { class: 'grid-lines' });
  for (const t of ticks(y0, y1, 5)) {
    grid.append(el('line', { x1: PAD.left, x2: W - PAD.right, y1: sy(t), y2: sy(t) }));
    grid.append(el('text', { x: PAD.left - 6, y: sy(t) + 4, 'text-anchor': 'end', class: 'tick' }, label(t, y1 - y0)));
  }
  for (const t of ticks(x0, x1, 6)) {
    grid.append(el('line', { x1: sx(t), x2: sx(t), y1: PAD.top, y2: H - PAD.bottom }));
    grid.append(el('text', { x: sx(t), y: H - PAD.bottom + 16, 'text-anchor': 'middle', class: 'tick' }, label(t, x1 - x0)));
  }
  svg.append(grid);
  svg.append(el('text', { x: W - PAD.right, y: H - 6, 'text-anchor': 'end', class: 'axis-label' }, xLabel));
  svg.append(el('text', { x: 4, y: PAD.top - 4, class: 'axis-label' }, yLabel));
  svg.append(el('path', { d: points.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(''), class: 'line-equity' }));
  if (mark) {
    const g = el('g', { class: 'curve-mark' });
    g.append(el('line', { x1: sx(mark.x), x2: sx(mark.x), y1: PAD.top, y2: H - PAD.bottom, class: 'mark-line' }));
    g.append(el('circle', { cx: sx(mark.x), cy: sy(mark.y), r: 5 }));
    const right = sx(mark.x) > W / 2;
    g.append(el('text', { x: sx(mark.x) + (right ? -8 : 8), y: Math.max(PAD.top + 12, sy(mark.y) - 10), 'text-anchor': right ? 'end' : 'start' }, mark.text));
    svg.append(g);
  }
  container.replaceChildren(svg);
}
