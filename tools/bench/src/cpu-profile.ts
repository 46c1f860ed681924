/** The parts of V8's .cpuprofile (what `node --cpu-prof` writes) that a self-time summary needs. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  samples?: number[];
  timeDeltas?: number[];
}

export interface HotFunction {
  /** `name url:line`, shortened to the path below node_modules or the workspace. */
  where: string;
  selfMs: number;
  percent: number;
}

function shortUrl(url: string): string {
  const stripped = url.replace(/^file:\/\//, '');
  const nodeModules = stripped.lastIndexOf('node_modules/');
  if (nodeModules >= 0) return stripped.slice(nodeModules + 'node_modules/'.length);
  const workspace = /\/(apps|libs|tools)\/.*$/.exec(stripped);
  return workspace ? workspace[0].slice(1) : stripped;
}

/**
 * Self time per function (summed over every call-tree node of the same function), largest first.
 * Idle, GC and "(program)" stay in the list: how much of the time the process was idle is part of
 * the answer.
 */
export function hottestFunctions(profile: CpuProfile, top = 15): HotFunction[] {
  const byNode = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i += 1) {
    const node = samples[i] as number;
    byNode.set(node, (byNode.get(node) ?? 0) + Math.max(0, deltas[i] ?? 0));
  }
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const micros = byNode.get(node.id) ?? 0;
    if (micros === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}` : functionName || '(anonymous)';
    byFunction.set(where, (byFunction.get(where) ?? 0) + micros);
  }
  const total = [...byFunction.values()].reduce((sum, micros) => sum + micros, 0);
  return [...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, micros]) => ({ where, selfMs: micros / 1000, percent: total ? (100 * micros) / total : 0 }));
}

export function formatHotFunctions(functions: readonly HotFunction[]): string {
  return functions.map((f) => `${f.percent.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.where}`).join('\n');
}
