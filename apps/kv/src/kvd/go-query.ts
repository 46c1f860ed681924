/* Go's url.ParseQuery and friends, as etcd's r.ParseForm applies them to query strings and form bodies. */

/** Go's url.ParseQuery: fills `into` and returns the error Go would report (the last `;` one, else the first). */
export function parseGoQuery(query: string, into: Record<string, string[]>): string | undefined {
  let error: string | undefined;
  for (const part of query.split('&')) {
    if (part.includes(';')) {
      error = 'invalid semicolon separator in query';
      continue;
    }
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = goQueryUnescape(eq === -1 ? part : part.slice(0, eq));
    const value = goQueryUnescape(eq === -1 ? '' : part.slice(eq + 1));
    if (typeof key !== 'string' || typeof value !== 'string') {
      error ??= (typeof key !== 'string' ? key : (value as { error: string })).error;
      continue;
    }
    (into[key] ??= []).push(value);
  }
  return error;
}

const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** Go's url.QueryUnescape on a latin1 string (one char per byte): `+` is a space, `%XX` a byte, bytes decoded as UTF-8. */
function goQueryUnescape(s: string): string | { error: string } {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '%') {
      if (!isHex(s[i + 1]) || !isHex(s[i + 2])) return { error: `invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}` };
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === '+') bytes.push(0x20);
    else bytes.push(s.charCodeAt(i) & 0xff);
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The media type of a Content-Type header, without parameters. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}
