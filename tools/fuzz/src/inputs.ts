import type { FuzzPrng } from './prng.js';

/* Malformed pieces of HTTP requests, shared by every daemon's case generator. */

export const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'get', 'FOO', 'PROPFIND', 'M-SEARCH'] as const;

const SEGMENTS = ['..', '.', '', '%', '%zz', '%2', '%00', '%2e%2e', '%2F', '%C0%AF', '%FF%FE', '%E2%82', '~', ';x=1', '*', ':', '@', 'a%20b', 'ünï', '%25', '{}', '[x]', '\\'];

/** A path derived from a real route: segments appended, replaced or made very long. */
export function mutatePath(rng: FuzzPrng, base: string): string {
  let parts = base.split('/');
  const edits = rng.int(0, 3);
  for (let i = 0; i < edits; i++) {
    const where = rng.int(1, parts.length);
    const segment = rng.chance(0.6) ? rng.pick(SEGMENTS) : rng.chance(0.1) ? 'x'.repeat(rng.int(1000, 6000)) : rng.token(rng.int(1, 12)).replaceAll('?', '').replaceAll('#', '');
    if (rng.chance(0.5) && where < parts.length) parts[where] = segment;
    else parts.splice(where, 0, segment);
  }
  if (rng.chance(0.1)) parts = [...parts, ...Array.from({ length: rng.int(50, 300) }, () => '..')];
  let path = parts.join('/');
  if (rng.chance(0.05)) path = path.replace(/^\//, '');
  if (rng.chance(0.05)) path = `/${'/'.repeat(rng.int(1, 20))}${path}`;
  return path === '' ? '/' : path;
}

const VALUES = ['', 'true', 'false', 'maybe', '0', '-1', '1e999', 'NaN', '18446744073709551616', '9'.repeat(400), '%zz', '%', '%00', 'a%2', '\u00ff', '[]', '{}', 'null', ' ', '+', '1.5', '0x10', ''];

/** A query string: known parameter names with garbage values, repeats, Go-invalid separators and escapes. */
export function randomQuery(rng: FuzzPrng, names: readonly string[]): string {
  if (rng.chance(0.2)) return '';
  const pairs: string[] = [];
  const n = rng.int(1, 5);
  for (let i = 0; i < n; i++) {
    const name = rng.chance(0.8) ? rng.pick(names) : rng.pick(['%zz', '', '=', 'a;b', rng.token(4).replaceAll('#', '')]);
    const value = rng.chance(0.7) ? rng.pick(VALUES) : rng.token(rng.int(0, 20)).replaceAll('#', '');
    pairs.push(rng.chance(0.1) ? name : `${name}=${value}`);
  }
  return `?${pairs.join(rng.chance(0.1) ? ';' : '&')}`;
}

export const CONTENT_TYPES = [
  'application/json',
  'application/x-www-form-urlencoded',
  'text/xml',
  'application/xml',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  'text/plain',
  ';;;',
  'application/json; charset=utf-16',
  'application/x-www-form-urlencoded; charset=%zz',
] as const;

/** A body of one malformed kind, and the content type it is sent with (none sometimes). */
export function randomBody(rng: FuzzPrng, formNames: readonly string[]): { body: Buffer; contentType: string | undefined } {
  const contentType = rng.chance(0.85) ? rng.pick(CONTENT_TYPES) : undefined;
  const kind = rng.int(0, 7);
  switch (kind) {
    case 0:
      return { body: Buffer.alloc(0), contentType };
    case 1:
      return { body: Buffer.from(rng.pick(['{', '{"a":', '[1,2', '{"name":1}', 'null', '"x"', '{"options":"x"}', '{"desiredState":42}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '\ufeff{}', '{"a":1}garbage', '1e999'])), contentType };
    case 2: {
      const depth = rng.int(1000, 20_000);
      return { body: Buffer.from('['.repeat(depth) + ']'.repeat(rng.chance(0.5) ? depth : 0)), contentType };
    }
    case 3: {
      const pairs = Array.from({ length: rng.int(1, 6) }, () => `${rng.pick([...formNames, '%zz', ''])}=${rng.pick(['%', '%zz', '%G1', 'x%2', 'ok', '', '%00', '+'])}`);
      return { body: Buffer.from(pairs.join(rng.pick(['&', ';', '&&']))), contentType: rng.chance(0.8) ? 'application/x-www-form-urlencoded' : contentType };
    }
    case 4:
      return { body: Buffer.from(randomXml(rng)), contentType: rng.chance(0.7) ? rng.pick(['text/xml', 'application/xml']) : contentType };
    case 5:
      return { body: rng.bytes(rng.int(1, 4096)), contentType };
    case 6:
      return { body: Buffer.from(rng.token(rng.int(1, 200))), contentType };
    default:
      return { body: Buffer.from(`{"${'k'.repeat(rng.int(1, 100))}":"${'v'.repeat(rng.int(1, 50_000))}"}`), contentType };
  }
}

/** Broken Omaha-looking XML: unclosed tags, entities, doctype bombs, wrong roots. */
export function randomXml(rng: FuzzPrng): string {
  return rng.pick([
    '<request protocol="3.0"',
    '<?xml version="1.0"?><request protocol="3.0"><app appid="x"><updatecheck/></app>',
    '<?xml version="1.0"?><request protocol="2.0"><app/></request>',
    '<?xml version="1.0"?><response/>',
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><request protocol="3.0">&c;</request>',
    '<?xml version="1.0"?><request protocol="3.0"><app appid="' + 'x'.repeat(100_000) + '"/></request>',
    '<request protocol="3.0">' + '<app>'.repeat(5000) + '</request>',
    '<request protocol="3.0"><app appid="{e96281a6-d1af-4bde-9a0a-97b76e56dc57}" version="&#xFFFFFFFF;"/></request>',
    '<request protocol="3.0"><os platform=\'x\' version=\'\u0000\'/></request>',
    '\u0000\u0001<<<>>>',
    '<request protocol="3.0"><app appid="" version=""><event eventtype="999" eventresult="abc"/></app></request>',
  ]);
}
