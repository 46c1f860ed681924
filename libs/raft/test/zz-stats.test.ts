import { it } from 'vitest';
import { runSeed } from './simulation/run.js';
it('stats', () => {
  const agg: Record<string, number> = {};
  const t0 = Date.now();
  const n = Number(process.env['N'] ?? 300);
  const ticks = Number(process.env['T'] ?? 150);
  for (let s = 1; s <= n; s++) {
    const r = runSeed(s, ticks);
    for (const [k, v] of Object.entries({ ...r.stats, proposals: r.proposals, reads: r.reads, commit: r.commit, ticks: r.ticks })) agg[k] = (agg[k] ?? 0) + v;
  }
  console.log(Date.now() - t0, 'ms', JSON.stringify(Object.fromEntries(Object.entries(agg).map(([k, v]) => [k, +(v / n).toFixed(2)]))));
}, 600000);
