import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Level } from 'level';
import type { Entry } from '@minicore/raft';
import { afterEach, describe, expect, it } from 'vitest';
import { RaftStorage, StorageError } from './raft-storage.js';

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

describe('RaftStorage (LevelDB)', () => {
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

  it('names the directory and the record when a record is corrupt or the log has a gap', async () => {
    const where = await location();
    const storage = await RaftStorage.open(where);
    await storage.save({ hardState: { term: 1, vote: null, commit: 1 }, entries: [entry(1), entry(2), entry(3)] });
    await storage.close();

    const db = new Level<string, string>(where);
    await db.put('entry/0000000000000002', '{"index": 2, "ter');
    await db.close();
    const corrupt = await RaftStorage.open(where);
    await expect(corrupt.load()).rejects.toThrow(new StorageError(where, 'record entry/0000000000000002 is corrupt (Unterminated string in JSON at position 17)'));
    await corrupt.close();

    const db2 = new Level<string, string>(where);
    await db2.del('entry/0000000000000002');
    await db2.close();
    const gap = await RaftStorage.open(where);
    await expect(gap.load()).rejects.toThrow('log has a gap: expected entry 2, found 3');
    await gap.close();
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
