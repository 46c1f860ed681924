import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Level } from 'level';
import type { Entry } from '@minicore/raft';
import { afterEach, describe, expect, it } from 'vitest';
import { RaftStorage } from './raft-storage.js';
import { WriteAheadLog } from './wal.js';

const dirs: string[] = [];
async function location(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'raft-storage-'));
  dirs.push(dir);
  return path.join(dir, 'raft');
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const entry = (index: number, term = 1): Entry => ({ index, term, type: 'normal', data: `{"i":${index}}` });

describe('RaftStorage (WAL and LevelDB)', () => {
  it('loads nothing from a new directory, then exactly what was saved', async () => {
    const where = await location();
    const storage = await RaftStorage.open(where);
    expect(await storage.load()).toBeUndefined();
    await storage.save({ hardState: { term: 2, vote: 'a', commit: 2 }, entries: [entry(1), entry(2), entry(3, 2)] });
    await storage.close();

    const reopened = await RaftStorage.open(where);
    expect(await reopened.load()).toEqual({ hardState: { term: 2, vote: 'a', commit: 2 }, entries: [entry(1), entry(2), entry(3, 2)] });
    await reopened.close();
  });

  it('drops an overwritten uncommitted suffix when a leader sends conflicting entries', async () => {
    const where = await location();
    const storage = await RaftStorage.open(where);
    await storage.save({ hardState: { term: 1, vote: null, commit: 1 }, entries: [entry(1), entry(2), entry(3), entry(4)] });
    await storage.save({ hardState: { term: 3, vote: null, commit: 1 }, entries: [entry(2, 3)] });
    expect((await storage.load())?.entries).toEqual([entry(1), entry(2, 3)]);
    await storage.close();
  });

  it('compacts entries covered by a snapshot and replaces the log with a snapshot from the leader', async () => {
    const where = await location();
    const storage = await RaftStorage.open(where);
    await storage.save({ hardState: { term: 1, vote: null, commit: 5 }, entries: [1, 2, 3, 4, 5].map((i) => entry(i)) });
    await storage.saveSnapshot({ meta: { index: 3, term: 1, conf: { voters: ['a'] } }, data: 'image@3' });
    expect(await storage.load()).toMatchObject({ snapshot: { meta: { index: 3 } }, entries: [entry(4), entry(5)] });

    await storage.save({ hardState: { term: 2, vote: null, commit: 9 }, entries: [], snapshot: { meta: { index: 9, term: 2, conf: { voters: ['a'] } }, data: 'image@9' } });
    expect(await storage.load()).toMatchObject({ snapshot: { meta: { index: 9 }, data: 'image@9' }, entries: [] });
    await storage.close();
  });

  it('names the segment and offset of a damaged record, and erases a write torn at the end', async () => {
    const where = await location();
    const storage = await RaftStorage.open(where);
    await storage.save({ hardState: { term: 1, vote: null, commit: 1 }, entries: [entry(1), entry(2)] });
    await storage.save({ hardState: { term: 1, vote: null, commit: 2 }, entries: [entry(3)] });
    await storage.close();
    const segment = path.join(path.dirname(where), 'wal', '0000000000000001.wal');
    const bytes = await readFile(segment);
    const lastRecord = bytes.lastIndexOf(Buffer.from('e{'));

    // A crash tore the last write: it was never synced, so never acknowledged, and is dropped.
    const torn = Buffer.from(bytes);
    torn.fill(0x7a, lastRecord + 4, lastRecord + 12);
    await writeFile(segment, torn);
    const reopened = await RaftStorage.open(where);
    expect((await reopened.load())?.entries).toEqual([entry(1), entry(2)]);
    await reopened.save({ hardState: { term: 1, vote: null, commit: 2 }, entries: [entry(3, 2)] });
    await reopened.close();
    const again = await RaftStorage.open(where);
    expect((await again.load())?.entries).toEqual([entry(1), entry(2), entry(3, 2)]);
    await again.close();

    // Damage with records after it is not a torn write: refuse to start, naming the file.
    const damaged = Buffer.from(await readFile(segment));
    damaged[bytes.indexOf(Buffer.from('e{')) + 5] = 0x21;
    await writeFile(segment, damaged);
    const corrupt = await RaftStorage.open(where);
    await expect(corrupt.load()).rejects.toThrow(/wal segment 0000000000000001\.wal is corrupt: the record at offset \d+ fails its checksum/);
    await corrupt.close();
  });

  it('starts new segments as the log grows and deletes those a snapshot covers', async () => {
    const where = await location();
    const storage = await RaftStorage.open(where);
    const big = (index: number): Entry => ({ index, term: 1, type: 'normal', data: 'x'.repeat(512 * 1024) });
    for (let index = 1; index <= 40; index++) await storage.save({ hardState: { term: 1, vote: null, commit: index }, entries: [big(index)] });
    const walDir = path.join(path.dirname(where), 'wal');
    const segments = await readdir(walDir);
    expect(segments.length).toBeGreaterThan(1);
    await storage.saveSnapshot({ meta: { index: 39, term: 1, conf: { voters: ['a'] } }, data: 'image@39' });
    expect((await readdir(walDir)).length).toBe(1);
    await storage.close();
    const reopened = await RaftStorage.open(where);
    const state = await reopened.load();
    expect(state?.hardState).toEqual({ term: 1, vote: null, commit: 40 });
    expect(state?.entries.map((e) => e.index)).toEqual([40]);
    await reopened.close();
  });

  it('moves the log of a data directory from before the WAL out of the LevelDB', async () => {
    const where = await location();
    const db = new Level<string, string>(where);
    await db.batch([
      { type: 'put', key: 'hardstate', value: JSON.stringify({ term: 2, vote: 'a', commit: 2 }) },
      { type: 'put', key: 'entry/0000000000000001', value: JSON.stringify(entry(1)) },
      { type: 'put', key: 'entry/0000000000000002', value: JSON.stringify(entry(2, 2)) },
    ]);
    await db.close();
    const storage = await RaftStorage.open(where);
    expect(await storage.load()).toEqual({ hardState: { term: 2, vote: 'a', commit: 2 }, entries: [entry(1), entry(2, 2)] });
    await storage.save({ entries: [entry(3, 2)] });
    await storage.close();
    const reopened = await RaftStorage.open(where);
    expect((await reopened.load())?.entries).toEqual([entry(1), entry(2, 2), entry(3, 2)]);
    await reopened.close();
    const left = new Level<string, string>(where);
    expect(await left.keys().all()).toEqual([]);
    await left.close();
  });

  it('keeps the old log when a crash came between a snapshot mark and the snapshot', async () => {
    const where = await location();
    const storage = await RaftStorage.open(where);
    await storage.save({ hardState: { term: 1, vote: null, commit: 3 }, entries: [entry(1), entry(2), entry(3)] });
    await storage.close();
    // What the first half of an InstallSnapshot leaves: the mark (and new term) in the WAL, no image in the LevelDB.
    const wal = WriteAheadLog.open(path.join(path.dirname(where), 'wal'));
    wal.read();
    wal.startSegment();
    wal.write([{ kind: 'hardState', value: { term: 3, vote: null, commit: 9 } }, { kind: 'snapshot', value: { index: 9, term: 2 } }]);
    wal.close();
    const reopened = await RaftStorage.open(where);
    expect(await reopened.load()).toEqual({ hardState: { term: 3, vote: null, commit: 3 }, entries: [entry(1), entry(2), entry(3)] });
    await reopened.close();
  });

  it('refuses a log whose committed entries are missing and a second process on the same directory', async () => {
    const where = await location();
    const storage = await RaftStorage.open(where);
    await storage.save({ hardState: { term: 1, vote: null, commit: 5 }, entries: [entry(1)] });
    await expect(storage.load()).rejects.toThrow('entry 5 is committed but the log ends at 1');
    await expect(RaftStorage.open(where)).rejects.toThrow('is in use by another kvd process');
    await storage.close();
  });
});
