/**
 * `--max-download-rate`: bytes per second as a number with an optional K, M or G suffix (powers of
 * 1024, as curl's --limit-rate reads them), e.g. 500K or 10M. Empty or 0 means no limit.
 */
export function parseByteRate(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmg])?(?:i?b)?(?:\/s)?\s*$/i.exec(text);
  if (!match) throw new Error(`invalid rate "${text}": expected bytes per second such as 500K or 10M`);
  const scale = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(match[2] ?? '').toLowerCase() as 'k' | 'm' | 'g'] ?? 1;
  const rate = Math.floor(Number(match[1]) * scale);
  return rate > 0 ? rate : undefined;
}
