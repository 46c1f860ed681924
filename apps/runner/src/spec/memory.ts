import { SpecError } from './spec-error.js';

const units: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** The engine refuses memory limits under 6 MiB (it needs room for the runtime itself). */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

/** `--memory` as docker reads it: `64m`, `1g`, `512k`, `1.5g`, `64MiB`, `64mb`, or plain bytes; binary units. */
export function parseMemory(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$/i.exec(text.trim());
  const unit = match?.[2]?.toLowerCase() ?? '';
  if (!match || !(unit in units)) throw new SpecError(`invalid memory limit "${text}": expected a size such as 512k, 64m or 1g`);
  const bytes = Math.floor(Number(match[1]) * (units[unit] ?? 1));
  if (bytes < MIN_MEMORY_BYTES) throw new SpecError(`memory limit "${text}" is too small: the minimum is 6m`);
  return bytes;
}

/** Bytes as people write limits back: 67108864 → `64m`, 1610612736 → `1.5g`. */
export function formatMemory(bytes: number): string {
  for (const [unit, size] of [['g', 1024 ** 3], ['m', 1024 ** 2], ['k', 1024]] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(2))}${unit}`;
  }
  return `${bytes}b`;
}
