import { SimCluster } from './cluster.js';
import { Prng } from '@minicore/seeded-random';

export interface SeedResult {
  seed: number;
  nodes: number;
  ticks: number;
  proposals: number;
  reads: number;
  commit: number;
  stats: SimCluster['stats'];
}

/**
 * One simulated history, fully determined by `seed`: the seed picks the cluster size (even: 3,
 * odd: 5), the raft options and the network's fault rates, then drives random faults and client
 * activity for `chaosTicks`, heals everything and demands progress.
 */
export function runSeed(seed: number, chaosTicks = 300): SeedResult {
  const pick = new Prng(seed ^ 0x5bd1e995);
  const nodes = seed % 2 === 0 ? 3 : 5;
  const sim = new SimCluster({
    seed,
    nodes,
    preVote: pick.chance(0.75),
    checkQuorum: pick.chance(0.75),
    electionTick: pick.int(5, 12),
    heartbeatTick: pick.int(1, 2),
    maxEntriesPerMessage: pick.int(1, 4),
    maxInflightMessages: pick.int(1, 4),
    minVoters: 3,
    maxVoters: 5,
  });
  sim.loss = pick.pick([0, 0.02, 0.1, 0.25, 0.4]);
  sim.duplicate = pick.pick([0, 0.02, 0.1]);
  sim.maxDelay = pick.int(1, 4);
  for (let t = 0; t < chaosTicks; t++) {
    sim.chaos();
    sim.tick();
  }
  sim.heal();
  sim.awaitProgress(600, 3);
  const commit = Math.max(...sim.live().map((n) => n.disk.hardState.commit));
  return { seed, nodes, ticks: sim.now, proposals: sim.proposalsAccepted, reads: sim.readsServed, commit, stats: sim.stats };
}
