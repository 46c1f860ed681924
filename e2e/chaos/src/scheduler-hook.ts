import { checkScheduler, rebootsOf, type LaunchedUnit, type UnitRound } from '@minicore/chaos-checkers';
import { now, sleep } from './clock.js';
import type { CheckerHook, RunOutcome } from './hooks.js';
import { installFile, type Machines } from './machines.js';
import { readBootLogs } from './updater-hook.js';

/** schedulerd's drop-in on the chaos machines: the agent TTL (fleet's agent_ttl), shorter than the default 30 s. */
const DROP_IN = '/etc/systemd/system/minicore-schedulerd.service.d/chaos-agent-ttl.conf';
/** Time for the agents to catch up after a heal: two of their reconcile intervals (5 s each). */
const SETTLE_MS = 10_000;

interface UnitOption {
  section: string;
  name: string;
  value: string;
}

/**
 * The scheduler under the chaos schedule: before the load, units are started through schedulerd's
 * fleet API (plain ones, ones with Conflicts on each other, one Global), and while the run goes on
 * every machine is asked, about once a second, which of them systemd has active there (the unit
 * backend's own view, not the API's states). After the heal the rounds go on until every unit runs
 * (Global ones on every machine) and the settling time has passed; then libs/chaos-checkers'
 * checkScheduler judges them.
 *
 * The machines' agent TTL is set to `ttlMs` by a systemd drop-in (schedulerd restarted once when it
 * changes): with fleet's 30 s no fault of the schedule (15 s at most) would outlast it, and no unit
 * would ever move.
 */
export class SchedulerHook implements CheckerHook {
  readonly name = 'scheduler';
  readonly units: LaunchedUnit[];
  readonly rounds: UnitRound[] = [];
  private machines: Machines | undefined;
  private log: (line: string) => void = () => undefined;
  private sampling = false;
  private sampler: Promise<void> | undefined;
  private readonly prefix: string;
  /** Date.now() when prepare began: reboots are read from the machines' logs from there on. */
  private since = 0;

  constructor(private readonly ttlMs: number) {
    this.prefix = `chaos-${Date.now().toString(36).slice(-5)}-`;
    const web = `${this.prefix}web@*.service`;
    this.units = [
      ...[1, 2, 3, 4].map((n) => ({ name: `${this.prefix}plain@${n}.service`, global: false, conflicts: [] })),
      ...[1, 2, 3].map((n) => ({ name: `${this.prefix}web@${n}.service`, global: false, conflicts: [web] })),
      { name: `${this.prefix}global.service`, global: true, conflicts: [] },
    ];
  }

  async prepare(machines: Machines, log: (line: string) => void): Promise<void> {
    this.machines = machines;
    this.log = log;
    this.since = Date.now();
    await this.setTtl(machines);
    await this.destroyLeftovers();
    for (const unit of this.units) {
      const options: UnitOption[] = [
        { section: 'Unit', name: 'Description', value: 'chaos runner: a unit of the scheduler checker' },
        { section: 'Service', name: 'ExecStart', value: '/bin/sleep 86400' },
        ...unit.conflicts.map((value) => ({ section: 'X-Fleet', name: 'Conflicts', value })),
        ...(unit.global ? [{ section: 'X-Fleet', name: 'Global', value: 'true' }] : []),
      ];
      await this.api('PUT', `/units/${encodeURIComponent(unit.name)}`, { name: unit.name, desiredState: 'launched', options });
    }
    const started = Date.now();
    for (;;) {
      const round = await this.round();
      const where = new Map<string, number>();
      for (const names of Object.values(round.views)) for (const name of names ?? []) where.set(name, (where.get(name) ?? 0) + 1);
      const all = this.units.every((unit) => (unit.global ? where.get(unit.name) === machines.list.length : where.get(unit.name) === 1));
      if (all) break;
      if (Date.now() - started > 90_000) throw new Error(`scheduler: the ${this.units.length} units do not all run 90 s after they were started: ${JSON.stringify(round.views)}`);
      await sleep(1_000);
    }
    log(`scheduler: ${this.units.length} units (${this.prefix}*) running ${((Date.now() - started) / 1000).toFixed(1)} s after they were started; agent TTL ${this.ttlMs / 1000} s`);
  }

  begin(): void {
    this.sampling = true;
    this.sampler = (async () => {
      while (this.sampling) {
        const round = await this.round();
        this.rounds.push(round);
        await sleep(Math.max(0, 1_000 - (round.endMs - round.startMs)));
      }
    })();
  }

  async check(outcome: RunOutcome): Promise<{ verdicts: ReturnType<typeof checkScheduler>['verdicts']; figures: string[] }> {
    // Go on asking until every unit runs and the settling time has passed (a few rounds more), or the deadline.
    const deadline = outcome.healedAtMs + this.ttlMs + 15_000;
    while (now() < deadline) {
      const recent = this.rounds.filter((round) => round.startMs >= outcome.healedAtMs + SETTLE_MS);
      if (recent.length >= 3 && recent.slice(-3).every((round) => this.allRunning(round))) break;
      await sleep(500);
    }
    this.sampling = false;
    await this.sampler;
    // updaterd's reboots (logged by the updater checker's unit, when it runs): machine losses the faults do not list.
    const reboots = rebootsOf(await readBootLogs(this.machines!, this.since)).map((reboot) => reboot.downMs);
    const result = checkScheduler({
      reboots,
      units: this.units,
      rounds: this.rounds,
      faults: outcome.faults.map((fault) => ({ startMs: fault.startMs, endMs: fault.endMs })),
      healedAtMs: outcome.healedAtMs,
      ttlMs: this.ttlMs,
      settleMs: SETTLE_MS,
      quorumEvidence: outcome.quorumEvidence,
      machines: this.machines!.names,
    });
    await this.destroyLeftovers().catch((error: unknown) => this.log(`scheduler: could not destroy the units: ${(error as Error).message}`));
    const { figures } = result;
    const gaps = Object.entries(figures.longestGapMs).filter(([, ms]) => ms > 0);
    return {
      verdicts: result.verdicts,
      figures: [
        `scheduler: ${this.units.length} units (${this.units.filter((u) => u.global).length} Global, ${this.units.filter((u) => u.conflicts.length).length} with Conflicts), agent TTL ${this.ttlMs / 1000} s, ${figures.rounds} rounds of systemctl on every machine`,
        `scheduler: moves ${Object.entries(figures.moves).filter(([, n]) => n > 0).map(([name, n]) => `${name.slice(this.prefix.length)} ${n}`).join(', ') || 'none'}`,
        `scheduler: longest time running nowhere ${gaps.map(([name, ms]) => `${name.slice(this.prefix.length)} ${(ms / 1000).toFixed(1)} s`).join(', ') || 'none'}`,
        `scheduler: every unit running ${figures.settledAfterHealMs === null ? 'never' : `${(figures.settledAfterHealMs / 1000).toFixed(1)} s`} after the heal, the Global one on every machine ${figures.globalsEverywhereAfterHealMs === null ? 'not seen' : `${(figures.globalsEverywhereAfterHealMs / 1000).toFixed(1)} s`} after it; ${figures.doubleRoundsDuringFaults} rounds with a unit on two machines during faults or their settling`,
      ],
    };
  }

  private allRunning(round: UnitRound): boolean {
    if (Object.values(round.views).some((names) => names === null)) return false;
    const count = (name: string) => Object.values(round.views).filter((names) => names?.includes(name)).length;
    return this.units.every((unit) => (unit.global ? count(unit.name) === this.machines!.list.length : count(unit.name) === 1));
  }

  /** One question to every machine at once: which of our units systemd has active there. */
  private async round(): Promise<UnitRound> {
    const machines = this.machines!;
    const startMs = now();
    const views: Record<string, string[] | null> = {};
    await Promise.all(
      machines.names.map(async (name) => {
        try {
          const output = await machines.exec(name, `systemctl list-units --no-legend --plain --state=active '${this.prefix}*'`, 8_000);
          views[name] = output
            .split('\n')
            .map((line) => line.trim().split(/\s+/)[0] ?? '')
            .filter((unit) => unit.startsWith(this.prefix))
            .sort();
        } catch (error) {
          // A machine that is off (halted, crashed, rebooting) runs nothing; any other failure is "not known".
          views[name] = /is not running|is restarting|No such container/.test((error as Error).message) ? [] : null;
        }
      }),
    );
    return { startMs, endMs: now(), views };
  }

  /** fleet's v1 API on the first machine that answers. */
  private async api(method: string, path: string, body?: unknown): Promise<unknown> {
    const machines = this.machines!;
    let last: unknown;
    for (let attempt = 0; attempt < 3 * machines.list.length; attempt++) {
      const machine = machines.list[attempt % machines.list.length]!;
      try {
        const response = await fetch(`http://${machine.address}:4002/fleet/v1${path}`, {
          method,
          ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        if (response.ok || (method === 'DELETE' && response.status === 404)) return text ? (JSON.parse(text) as unknown) : undefined;
        last = new Error(`${method} ${path} on ${machine.name}: ${response.status} ${text.slice(0, 200)}`);
        if (response.status < 500) throw last;
      } catch (error) {
        if (error === last) throw error;
        last = error;
      }
      await sleep(500);
    }
    throw last instanceof Error ? last : new Error(String(last));
  }

  /** Destroys every chaos-* unit (this run's, or an earlier run's left behind). */
  private async destroyLeftovers(): Promise<void> {
    const names: string[] = [];
    let token = '';
    do {
      const page = (await this.api('GET', `/units${token ? `?nextPageToken=${encodeURIComponent(token)}` : ''}`)) as { units?: { name: string }[]; nextPageToken?: string };
      names.push(...(page.units ?? []).map((unit) => unit.name).filter((name) => name.startsWith('chaos-')));
      token = page.nextPageToken ?? '';
    } while (token);
    for (const name of names) await this.api('DELETE', `/units/${encodeURIComponent(name)}`);
    if (names.length > 0) this.log(`scheduler: destroyed ${names.length} units`);
  }

  /** The agent TTL drop-in on every machine; schedulerd restarts only where it changed. */
  private async setTtl(machines: Machines): Promise<void> {
    const text = `# The chaos runner's (e2e/chaos/src/scheduler-hook.ts): a machine lost for longer than this loses its units.\n[Service]\nEnvironment=SCHEDULERD_AGENT_TTL=${this.ttlMs}ms\n`;
    // A machine may be rebooting (an earlier run's rollout goes on): each one is tried for a minute.
    const changed = await Promise.all(
      machines.names.map(async (name) => {
        for (let attempt = 1; ; attempt++) {
          try {
            return (await installFile(machines, name, DROP_IN, text, 'systemctl daemon-reload && systemctl restart minicore-schedulerd')) === 'changed';
          } catch (error) {
            if (attempt === 30) throw error;
            await sleep(2_000);
          }
        }
      }),
    );
    if (changed.some(Boolean)) this.log(`scheduler: agent TTL set to ${this.ttlMs / 1000} s on ${changed.filter(Boolean).length} machines (schedulerd restarted there)`);
  }
}
