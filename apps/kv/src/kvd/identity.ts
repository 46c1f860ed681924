import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Member } from './membership.js';

/**
 * Who this member is, written once when it first starts: its id, its cluster's id and the
 * founding members (bootstrap log entries carry only ids; this is where their URLs live). A data
 * directory with this file is an existing member; flags about the initial cluster no longer apply.
 */
export interface MemberIdentity {
  version: 1;
  memberId: string;
  clusterId: string;
  name: string;
  /** Members known when this one started: the founders, or the cluster it joined. */
  initialMembers: Member[];
}

const FILE = 'member.json';

export class IdentityError extends Error {
  override name = 'IdentityError';
  readonly code = 'KV_ERR_IDENTITY';
}

export async function readIdentity(dataDir: string): Promise<MemberIdentity | undefined> {
  const file = path.join(dataDir, FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new IdentityError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let identity: MemberIdentity;
  try {
    identity = JSON.parse(text) as MemberIdentity;
  } catch (error) {
    throw new IdentityError(`${file} is corrupt (${(error as Error).message}); restore it from a backup or remove the data directory to rejoin as a new member`);
  }
  if (identity.version !== 1 || typeof identity.memberId !== 'string' || typeof identity.clusterId !== 'string' || !Array.isArray(identity.initialMembers)) {
    throw new IdentityError(`${file} is not a kvd member identity (missing memberId, clusterId or initialMembers)`);
  }
  return identity;
}

/** Write-then-rename with fsync of the file and the directory: a crash leaves the old file or the new one. */
export async function writeIdentity(dataDir: string, identity: MemberIdentity): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const file = path.join(dataDir, FILE);
  const temporary = `${file}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(JSON.stringify(identity, null, 2));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
  const directory = await open(dataDir, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
