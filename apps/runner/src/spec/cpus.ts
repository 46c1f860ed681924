import { SpecError } from './spec-error.js';

/** `--cpus 0.5` → nano-CPUs, the unit of the engine's NanoCpus. */
export function parseCpus(text: string): number {
  const value = /^\d+(?:\.\d+)?$/.test(text.trim()) ? Number(text) : NaN;
  if (!(value > 0) || value > 1024) throw new SpecError(`invalid cpu limit "${text}": expected a number of CPUs such as 0.5 or 2`);
  return Math.round(value * 1e9);
}
