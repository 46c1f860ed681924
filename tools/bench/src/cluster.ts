import { mkdirSync } from 'node:fs';
import type { MemberPlan } from './cluster-plan.js';
import { getJson, putValue, sleep } from './http-client.js';
import type { ManagedProcess, ProcessRegistry } from './processes.js';

interface SelfStats {
  state?: string;
}

export interface RunningMember {
  plan: MemberPlan;
  process: ManagedProcess;
}

/** A started cluster of one system; `stop()` ends every member (and is safe to call twice). */
export class RunningCluster {
  constructor(readonly members: RunningMember[]) {}

  get clientUrls(): string[] {
    return this.members.map((member) => member.plan.clientUrl);
  }

  static start(plans: readonly MemberPlan[], registry: ProcessRegistry): RunningCluster {
    const members = plans.map((plan) => {
      mkdirSync(plan.dataDir, { recursive: true, mode: 0o700 });
      return { plan, process: registry.spawnLogged(plan.command, plan.args, plan.logFile) };
    });
    return new RunningCluster(members);
  }

  /** The member whose /v2/stats/self says StateLeader, if exactly one does now. */
  async findLeader(): Promise<RunningMember | undefined> {
    const states = await Promise.all(
      this.members.map(async (member) => {
        try {
          return (await getJson<SelfStats>(`${member.plan.clientUrl}/v2/stats/self`, undefined, 1000)).state;
        } catch {
          return undefined;
        }
      }),
    );
    const leaders = this.members.filter((_, i) => states[i] === 'StateLeader');
    return leaders.length === 1 ? leaders[0] : undefined;
  }

  /**
   * Waits until every member answers, one of them leads, and a write through the leader succeeds
   * (which also creates the key the read phases GET).
   */
  async waitReady(timeoutMs: number, readKey: string): Promise<RunningMember> {
    const deadline = Date.now() + timeoutMs;
    let lastProblem = 'no member answered';
    while (Date.now() < deadline) {
      const dead = this.members.find((member) => member.process.hasExited);
      if (dead) throw new Error(`${dead.plan.name} exited while starting:\n${dead.process.logTail()}`);
      const leader = await this.findLeader();
      if (leader) {
        try {
          const answer = await putValue(leader.plan.clientUrl, readKey, 'x'.repeat(64));
          if (answer.status === 200 || answer.status === 201) {
            await this.waitAllAnswer(readKey, deadline);
            return leader;
          }
          lastProblem = `PUT to ${leader.plan.name} answered ${answer.status}: ${answer.body.slice(0, 200)}`;
        } catch (error) {
          lastProblem = (error as Error).message;
        }
      } else {
        lastProblem = 'no single leader yet';
      }
      await sleep(200);
    }
    throw new Error(`cluster not ready within ${timeoutMs / 1000} s (${lastProblem}):\n${this.members.map((m) => `--- ${m.plan.name}\n${m.process.logTail(8)}`).join('\n')}`);
  }

  /** Every member serves the key (followers have applied the seed write). */
  private async waitAllAnswer(key: string, deadline: number): Promise<void> {
    for (const member of this.members) {
      for (;;) {
        try {
          await getJson(`${member.plan.clientUrl}/v2/keys/${key}`, undefined, 1000);
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await sleep(100);
        }
      }
    }
  }

  async stop(graceMs?: number): Promise<void> {
    await Promise.all(this.members.map((member) => member.process.stop(graceMs)));
  }
}
