import path from 'node:path';
import type { KvSystem } from './args.js';

export interface MemberPlan {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  logFile: string;
  command: string;
  args: string[];
}

export interface ClusterPlanInput {
  system: KvSystem;
  size: number;
  /** A fresh folder for this cluster: data dirs and logs go under it. */
  baseDir: string;
  /** 2 per member: client, peer. */
  ports: readonly number[];
  etcdBinary: string;
  kvdScript: string;
  nodeBinary: string;
  /** kvd only: run each member under `node --cpu-prof`, writing <name>.cpuprofile here. */
  cpuProfileDir?: string;
}

/** Both systems get the same timing: the kv issue compares them at etcd's defaults. */
export const HEARTBEAT_MS = 100;
export const ELECTION_MS = 1000;

function profileFlags(dir: string | undefined, name: string): string[] {
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
}

/**
 * The command lines of one cluster on 127.0.0.1. kvd takes etcd's flag names, so both systems get
 * the same flags; etcd additionally needs --enable-v2 to serve the v2 keys API kvd implements.
 */
export function planCluster(input: ClusterPlanInput): MemberPlan[] {
  if (input.ports.length < input.size * 2) throw new Error(`need ${input.size * 2} ports, got ${input.ports.length}`);
  const members = Array.from({ length: input.size }, (_, i) => {
    const name = `${input.system}${i + 1}`;
    return {
      name,
      clientUrl: `http://127.0.0.1:${input.ports[i * 2]}`,
      peerUrl: `http://127.0.0.1:${input.ports[i * 2 + 1]}`,
      dataDir: path.join(input.baseDir, `${name}.data`),
      logFile: path.join(input.baseDir, `${name}.log`),
    };
  });
  const initialCluster = members.map((member) => `${member.name}=${member.peerUrl}`).join(',');
  return members.map((member) => {
    const flags = [
      '--name', member.name,
      '--data-dir', member.dataDir,
      '--listen-client-urls', member.clientUrl,
      '--advertise-client-urls', member.clientUrl,
      '--listen-peer-urls', member.peerUrl,
      '--initial-advertise-peer-urls', member.peerUrl,
      '--initial-cluster', initialCluster,
      '--initial-cluster-token', `bench-${input.system}-${input.size}`,
      '--initial-cluster-state', 'new',
      '--heartbeat-interval', String(HEARTBEAT_MS),
      '--election-timeout', String(ELECTION_MS),
    ];
    return input.system === 'etcd'
      ? { ...member, command: input.etcdBinary, args: [...flags, '--enable-v2', '--logger', 'zap', '--log-level', 'warn'] }
      : { ...member, command: input.nodeBinary, args: [...profileFlags(input.cpuProfileDir, member.name), input.kvdScript, ...flags] };
  });
}
