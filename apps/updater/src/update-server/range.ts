/** A single byte range of a representation, inclusive at both ends. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * RFC 9110 `Range: bytes=...` for one range: `a-b`, `a-` and the suffix form `-n`. Returns
 * 'ignore' for anything this server does not do (other units, several ranges): the whole
 * representation is sent then, as the RFC allows; 'unsatisfiable' when the range lies past the end.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'ignore' | 'unsatisfiable' {
  if (header === undefined) return 'ignore';
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return 'ignore';
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== '' && Number(match[2]) < start) return 'ignore';
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}
