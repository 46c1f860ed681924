import { formatMarkdown, passed, type RunReport } from './report.js';
import type { Bucket } from './timeline.js';

const WIDTH = 1100;
const LEFT = 60;
const RIGHT = 20;
const PANEL = 210;
const GAP = 46;
const TOP = 40;

/** A colour per fault kind, so that the shaded windows can be told apart. */
const COLOURS: Record<string, string> = {
  kill: '#e45756',
  pause: '#f58518',
  halt: '#9d755d',
  crash: '#b279a2',
  'partition-minority': '#4c78a8',
  'partition-leader': '#54a24b',
  'partition-bridge': '#72b7b2',
};

const escape = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** An SVG of throughput (answered ops/s, and unknown outcomes) and latency (p50, p99, log scale) over time, fault windows shaded. */
export function renderSvg(report: RunReport): string {
  const buckets = report.timeline;
  const endMs = Math.max(report.endMs, buckets.length * report.bucketMs, 1);
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (ms: number) => LEFT + (ms / endMs) * plotWidth;
  const perSecond = (n: number) => n / (report.bucketMs / 1000);
  const top1 = TOP;
  const top2 = TOP + PANEL + GAP;
  const height = top2 + PANEL + 50;
  const maxRate = niceCeil(Math.max(1, ...buckets.map((b) => perSecond(b.ok + b.fail + b.unknown))));
  const yRate = (rate: number) => top1 + PANEL - (rate / maxRate) * PANEL;
  const maxLatency = Math.max(10, ...buckets.map((b) => b.p99 ?? 0));
  const logMax = Math.ceil(Math.log10(maxLatency));
  const yLatency = (ms: number) => top2 + PANEL - (Math.log10(Math.max(1, ms)) / logMax) * PANEL;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${WIDTH}" height="${height}" fill="white"/>`);
  out.push(`<text x="${LEFT}" y="18" font-size="14" font-weight="bold">seed ${report.seed}: ${passed(report) ? 'PASS' : 'FAIL'} - ${report.faults.length} faults, ${report.machines.length} machines</text>`);
  // Fault windows, behind everything, across both panels, labelled on top.
  report.faults.forEach((fault, i) => {
    const from = x(fault.startMs);
    const to = Math.max(from + 2, x(fault.endMs));
    const colour = COLOURS[fault.kind] ?? '#999';
    for (const top of [top1, top2]) out.push(`<rect x="${from.toFixed(1)}" y="${top}" width="${(to - from).toFixed(1)}" height="${PANEL}" fill="${colour}" fill-opacity="0.18"><title>${escape(`#${fault.id} ${fault.description}`)}</title></rect>`);
    out.push(`<text x="${(from + 2).toFixed(1)}" y="${top1 - 4 - (i % 2) * 11}" fill="${colour}">#${fault.id} ${escape(fault.kind)}</text>`);
  });
  // The heal line.
  out.push(`<line x1="${x(report.healedAtMs).toFixed(1)}" x2="${x(report.healedAtMs).toFixed(1)}" y1="${top1}" y2="${top2 + PANEL}" stroke="#333" stroke-dasharray="4 3"/>`);
  out.push(`<text x="${(x(report.healedAtMs) + 3).toFixed(1)}" y="${top2 + PANEL - 4}" fill="#333">all healed</text>`);
  // Panel 1: throughput.
  out.push(axes(top1, `ops/s (per ${report.bucketMs / 1000} s)`, [0, maxRate / 2, maxRate].map((rate) => [yRate(rate), String(Math.round(rate))])));
  const barWidth = Math.max(1, plotWidth / buckets.length - 1);
  buckets.forEach((b) => {
    if (b.unknown > 0) out.push(`<rect x="${x(b.startMs).toFixed(1)}" y="${yRate(perSecond(b.unknown)).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(top1 + PANEL - yRate(perSecond(b.unknown))).toFixed(1)}" fill="#d62728" fill-opacity="0.7"/>`);
  });
  out.push(polyline(buckets, (b) => [x(b.startMs + report.bucketMs / 2), yRate(perSecond(b.ok + b.fail))], '#1f77b4'));
  // Panel 2: latency.
  const ticks: [number, string][] = Array.from({ length: logMax + 1 }, (_, i) => [yLatency(10 ** i), `${10 ** i}`]);
  out.push(axes(top2, 'latency ms (log), answered ops', ticks));
  out.push(polyline(buckets.filter((b) => b.p50 !== null), (b) => [x(b.startMs + report.bucketMs / 2), yLatency(b.p50 ?? 1)], '#2ca02c'));
  out.push(polyline(buckets.filter((b) => b.p99 !== null), (b) => [x(b.startMs + report.bucketMs / 2), yLatency(b.p99 ?? 1)], '#9467bd'));
  // Time axis under both panels.
  for (let s = 0; s * 1000 <= endMs; s += timeStep(endMs)) {
    for (const top of [top1, top2]) out.push(`<text x="${x(s * 1000).toFixed(1)}" y="${top + PANEL + 14}" text-anchor="middle" fill="#555">${s}s</text>`);
  }
  const legend: [string, string][] = [['#1f77b4', 'answered ops/s'], ['#d62728', 'unknown outcome/s'], ['#2ca02c', 'p50 latency'], ['#9467bd', 'p99 latency']];
  legend.forEach(([colour, label], i) => out.push(`<rect x="${LEFT + i * 150}" y="${height - 22}" width="12" height="12" fill="${colour}"/><text x="${LEFT + i * 150 + 16}" y="${height - 12}">${label}</text>`));
  out.push('</svg>');
  return out.join('\n');
}

function axes(top: number, label: string, ticks: [number, string][]): string {
  const parts = [`<rect x="${LEFT}" y="${top}" width="${WIDTH - LEFT - RIGHT}" height="${PANEL}" fill="none" stroke="#999"/>`];
  for (const [y, text] of ticks) parts.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#eee"/><text x="${LEFT - 4}" y="${(y + 4).toFixed(1)}" text-anchor="end" fill="#555">${text}</text>`);
  parts.push(`<text x="${LEFT + 4}" y="${top + 13}" fill="#333">${escape(label)}</text>`);
  return parts.join('\n');
}

function polyline(buckets: readonly Bucket[], point: (bucket: Bucket) => [number, number], colour: string): string {
  const points = buckets.map((b) => point(b).map((v) => v.toFixed(1)).join(',')).join(' ');
  return `<polyline points="${points}" fill="none" stroke="${colour}" stroke-width="1.5"/>`;
}

function niceCeil(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * magnitude).find((candidate) => candidate >= value) ?? value;
}

function timeStep(endMs: number): number {
  const seconds = endMs / 1000;
  return [5, 10, 15, 30, 60, 120].find((step) => seconds / step <= 14) ?? 300;
}

/** One self-contained HTML page: the plot, then the Markdown report as text. */
export function renderHtml(report: RunReport): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>chaos seed ${report.seed}: ${passed(report) ? 'PASS' : 'FAIL'}</title>
<style>body{font-family:sans-serif;margin:16px}pre{background:#f6f6f6;padding:8px;white-space:pre-wrap}</style></head>
<body>
${renderSvg(report)}
<pre>${escape(formatMarkdown(report))}</pre>
</body></html>
`;
}
