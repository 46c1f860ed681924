import type { MachineRecord, UnitStateRecord } from '@minicore/fleet-api';
import type { Logger } from '@minicore/log';
import { ReconcileLoop } from '../loop.js';
import { machineFromRecord } from '../registry/model.js';
import type { Registry } from '../registry/registry.js';
import type { UnitBackend } from './backend.js';
import { desiredUnits, planTasks } from './desired-units.js';

export interface AgentOptions {
  registry: Registry;
  backend: UnitBackend;
  machine: MachineRecord;
  /** Seconds the machine's presence key and unit states live without a refresh (fleet's agent_ttl). */
  ttl: number;
  /** fleet's agent reconcile interval. */
  intervalMs: number;
  logger: Logger;
}

/**
 * fleet's agent: keeps this machine registered, makes the backend run what the cluster places here
 * (plus matching global units), and publishes each unit's state and a launched heartbeat, all
 * with the TTL so that a dead machine's traces vanish on their own.
 */
export class Agent {
  readonly #loop: ReconcileLoop;
  readonly #publisher: ReconcileLoop;
  readonly #logger: Logger;
  readonly #published = new Map<string, { json: string; at: number; launched: boolean }>();
  #heartbeat: NodeJS.Timeout | undefined;
  #launchedWanted = new Set<string>();
  /** Until the first reconcile, which units should be launched is unknown: publish nothing rather than a wrong heartbeat. */
  #reconciled = false;

  constructor(private readonly options: AgentOptions) {
    this.#logger = options.logger.child({ component: 'agent' });
    this.#loop = new ReconcileLoop(() => this.#reconcile(), options.intervalMs, (error) => this.#logger.warn({ err: error }, 'agent reconcile failed'));
    // Republish before the TTL runs out, and at once when the backend reports a change.
    this.#publisher = new ReconcileLoop(() => this.#publish(), Math.max(200, (options.ttl * 1000) / 3), (error) => this.#logger.warn({ err: error }, 'publishing unit states failed'));
    options.backend.onChange(() => this.#publisher.poke());
  }

  get machineId(): string {
    return this.options.machine.ID;
  }

  async start(): Promise<void> {
    // kv may still be starting (machines boot their daemons together): the heartbeat below retries.
    await this.#register().catch((error: unknown) => this.#logger.warn({ err: error }, 'kv not reachable yet; the machine registers when it is'));
    const every = Math.max(200, (this.options.ttl * 1000) / 3);
    this.#heartbeat = setInterval(() => {
      this.#register().catch((error: unknown) => this.#logger.warn({ err: error }, 'machine heartbeat failed'));
    }, every);
    this.#loop.start();
    this.#publisher.start();
  }

  poke(): void {
    this.#loop.poke();
  }

  /**
   * Stops reconciling and reporting. Units keep running and the presence key keeps its TTL: a
   * schedulerd restarted within the TTL finds everything as it was (fleet purged here, and users
   * suffered for it); one that does not come back is treated as a dead machine.
   */
  async stop(): Promise<void> {
    clearInterval(this.#heartbeat);
    await this.#loop.stop();
    await this.#publisher.stop();
  }

  async #register(): Promise<void> {
    await this.options.registry.registerMachine(this.options.machine, this.options.ttl);
  }

  async #reconcile(): Promise<void> {
    const { registry, backend } = this.options;
    const units = await registry.units();
    const desired = desiredUnits(units.values(), machineFromRecord(this.options.machine));
    this.#launchedWanted = new Set(desired.filter((unit) => unit.desiredState === 'launched').map((unit) => unit.name));
    this.#reconciled = true;
    const byName = new Map(desired.map((unit) => [unit.name, unit]));
    for (const task of planTasks(desired, backend.list())) {
      this.#logger.info({ unit: task.unit, task: task.kind }, 'unit task');
      try {
        if (task.kind === 'load') {
          const unit = byName.get(task.unit)!;
          await backend.load(unit.name, unit.options, unit.hash);
        } else await backend[task.kind](task.unit);
      } catch (error) {
        this.#logger.warn({ err: error, unit: task.unit, task: task.kind }, 'unit task failed');
        break;
      }
    }
    this.#publisher.poke();
  }

  async #publish(): Promise<void> {
    if (!this.#reconciled) return;
    const { registry, backend, machine, ttl } = this.options;
    const now = Date.now();
    const refreshAfter = (ttl * 1000) / 3;
    const present = new Set<string>();
    for (const unit of backend.list()) {
      present.add(unit.name);
      const record: UnitStateRecord = {
        loadState: unit.state.load,
        activeState: unit.state.active,
        subState: unit.state.sub,
        machineState: { ...machine },
        unitHash: unit.hash,
      };
      const json = JSON.stringify(record);
      const launched = unit.launched && this.#launchedWanted.has(unit.name);
      const last = this.#published.get(unit.name);
      if (last && last.json === json && last.launched === launched && now - last.at < refreshAfter) continue;
      await registry.publishState(unit.name, machine.ID, record, ttl);
      if (launched) await registry.heartbeatJob(unit.name, machine.ID, ttl);
      else if (last?.launched) await registry.clearJobState(unit.name, machine.ID);
      this.#published.set(unit.name, { json, at: now, launched });
    }
    for (const [name, last] of this.#published) {
      if (present.has(name)) continue;
      await registry.removeState(name, machine.ID);
      if (last.launched) await registry.clearJobState(name, machine.ID);
      this.#published.delete(name);
    }
  }
}
