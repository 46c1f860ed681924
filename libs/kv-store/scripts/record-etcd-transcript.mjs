// Records what a real etcd (v2 API enabled, on loopback) answers to scripts/etcd-steps.json, into
// src/fixtures/etcd-transcript.json, which transcript.test.ts replays against V2Store.
// Usage: node scripts/record-etcd-transcript.mjs http://127.0.0.1:23790   (on a fresh data dir)
import { readFileSync, writeFileSync } from 'node:fs';

const base = process.argv[2] ?? 'http://127.0.0.1:23790';
const here = new URL('..', import.meta.url);
const steps = JSON.parse(readFileSync(new URL('scripts/etcd-steps.json', here), 'utf8'));
const first = await fetch(`${base}/v2/keys/`);
const startIndex = Number(first.headers.get('x-etcd-index'));
const records = [];
for (const [method, key, params] of steps) {
  const qs = new URLSearchParams(params).toString();
  const url = `${base}/v2/keys${key.split('/').map(encodeURIComponent).join('/')}${qs ? '?' + qs : ''}`;
  const res = await fetch(url, { method });
  const text = await res.text();
  records.push({
    method, key, params,
    status: res.status,
    etcdIndex: Number(res.headers.get('x-etcd-index')),
    body: method === 'HEAD' || text === '' ? null : JSON.parse(text),
  });
}
writeFileSync(new URL('src/fixtures/etcd-transcript.json', here), JSON.stringify({ startIndex, records }, null, 1) + '\n');
console.log(`recorded ${records.length} steps from index ${startIndex}`);
