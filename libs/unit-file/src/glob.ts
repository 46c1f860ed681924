/**
 * Go's `path.Match`, which fleet uses for Conflicts and Replaces: `*` is any run of characters
 * other than `/`, `?` one such character, `[...]` a class (`^` negates, `a-z` ranges, `\` escapes).
 * A malformed pattern matches nothing, as Go's ErrBadPattern makes fleet skip it.
 */
export function globMatch(pattern: string, name: string): boolean {
  const regex = globToRegExp(pattern);
  return regex !== undefined && regex.test(name);
}

const cache = new Map<string, RegExp | undefined>();

export function globToRegExp(pattern: string): RegExp | undefined {
  if (cache.has(pattern)) return cache.get(pattern);
  let source = '';
  let ok = true;
  for (let i = 0; i < pattern.length && ok; i++) {
    const char = pattern[i]!;
    if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '\\') {
      const next = pattern[++i];
      if (next === undefined) ok = false;
      else source += escape(next);
    } else if (char === '[') {
      const end = classEnd(pattern, i + 1);
      if (end < 0) ok = false;
      else {
        let body = pattern.slice(i + 1, end);
        const negated = body.startsWith('^');
        if (negated) body = body.slice(1);
        if (body === '') ok = false;
        else source += `[${negated ? '^/' : ''}${classBody(body)}]`;
        i = end;
      }
    } else source += escape(char);
  }
  const regex = ok ? new RegExp(`^${source}$`) : undefined;
  cache.set(pattern, regex);
  return regex;
}

function classEnd(pattern: string, from: number): number {
  for (let i = from; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === ']' && i > from) return i;
  }
  return -1;
}

/** A class body as a RegExp class body: single characters and `a-z` ranges, `\\x` taken literally. */
function classBody(body: string): string {
  const chars: string[] = [];
  for (let j = 0; j < body.length; j++) chars.push(body[j] === '\\' ? `\\${body[++j] ?? ''}` : body[j]!);
  let out = '';
  for (let j = 0; j < chars.length; j++) {
    const char = chars[j]!;
    if (chars[j + 1] === '-' && j + 2 < chars.length) {
      out += `${classChar(char)}-${classChar(chars[j + 2]!)}`;
      j += 2;
    } else out += classChar(char);
  }
  return out;
}

function classChar(char: string): string {
  const literal = char.startsWith('\\') ? char.slice(1) : char;
  return /[\]\\^[-]/.test(literal) ? `\\${literal}` : literal;
}

function escape(char: string): string {
  return /[.*+?^${}()|[\]\\/-]/.test(char) ? `\\${char}` : char;
}
