import type { MachineRecord, UnitStateRecord } from '@minicore/fleet-api';
import type { Logger } from '@minicore/log';
import { ReconcileLoop } from '../loop.js';
import { inParallel } from '../registry/in-parallel.js';
import { localLoadFields, type MachineLoadFields } from '../registry/machine-load.js';
import { machineFromRecord, type ClusterUnit } from '../registry/model.js';
import { watchForPokes } from '../registry/poke-watch.js';
import type { Registry } from '../registry/registry.js';
import type { UnitBackend } from './backend.js';
import { desiredUnits, planTasks, type AgentTask } from './desired-units.js';

export interface AgentOptions {
  registry: Registry;
  backend: UnitBackend;
  machine: MachineRecord;
  /** Seconds the machine's presence key and unit states live without a refresh (fleet's agent_ttl). */
  ttl: number;
  /** fleet's agent reconcile interval. */
  intervalMs: number;
  /** What the machine reports about how busy it is, with each heartbeat (default: this host's load average and free memory). */
  loadFields?: () => MachineLoadFields;
  logger: Logger;
}

/** kv writes in flight at once while publishing unit states: a hundred machines handed their units at once must not bury kv (and their own heartbeats) in requests. */
const publishConcurrency = 4;

/**
 * fleet's agent: keeps this machine registered (with its load), makes the backend run what the
 * engine assigned to this machine in the schedule index (placed units and matching global units),
 * and publishes each unit's state and a launched heartbeat, all with the TTL so that a dead
 * machine's traces vanish on their own. It reads and watches its own key of the index only,
 * so its cost does not grow with the size of the cluster.
 */
export class Agent {
  readonly #loop: ReconcileLoop;
  readonly #publisher: ReconcileLoop;
  readonly #logger: Logger;
  readonly #published = new Map<string, { json: string; at: number; launched: boolean }>();
  readonly #watching = new AbortController();
  #watchDone: Promise<void> | undefined;
  #covered = 0;
  #heartbeat: NodeJS.Timeout | undefined;
  #stopped = false;
  #launchedWanted = new Set<string>();
  /** Until the first reconcile, which units should be launched is unknown: publish nothing rather than a wrong heartbeat. */
  #reconciled = false;
  #reconciling = false;

  constructor(private readonly options: AgentOptions) {
    this.#logger = options.logger.child({ component: 'agent' });
    this.#loop = new ReconcileLoop(() => this.#reconcile(), options.intervalMs, (error) => this.#logger.warn({ err: error }, 'agent reconcile failed'));
    // Republish before the TTL runs out, and at once when the backend reports a change.
    this.#publisher = new ReconcileLoop(() => this.#publish(), Math.max(200, (options.ttl * 1000) / 4), (error) => this.#logger.warn({ err: error }, 'publishing unit states failed'));
    // While a reconcile runs, it publishes once at its end: not every intermediate state of a burst.
    options.backend.onChange(() => {
      if (!this.#reconciling) this.#publisher.poke();
    });
  }

  get machineId(): string {
    return this.options.machine.ID;
  }

  async start(): Promise<void> {
    // kv may still be starting (machines boot their daemons together): the heartbeat below retries.
    await this.#register().catch((error: unknown) => this.#logger.warn({ err: error }, 'kv not reachable yet; the machine registers when it is'));
    const every = Math.max(200, (this.options.ttl * 1000) / 3);
    // A failed heartbeat is tried again within a second rather than a third of the TTL later: on a
    // loaded kv, two slow answers in a row must not make a live machine look dead.
    const beat = () => {
      this.#register().then(
        () => {
          if (!this.#stopped) this.#heartbeat = setTimeout(beat, every);
        },
        (error: unknown) => {
          this.#logger.warn({ err: error }, 'machine heartbeat failed');
          if (!this.#stopped) this.#heartbeat = setTimeout(beat, Math.min(every, 1000));
        },
      );
    };
    this.#heartbeat = setTimeout(beat, every);
    this.#loop.start();
    this.#publisher.start();
    const { registry } = this.options;
    this.#watchDone = watchForPokes(registry.kv, {
      key: registry.machineScheduleKey(this.machineId),
      coveredIndex: () => this.#covered,
      poke: () => this.#loop.poke(),
      signal: this.#watching.signal,
      logger: this.#logger,
    });
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
    this.#stopped = true;
    clearTimeout(this.#heartbeat);
    this.#watching.abort();
    await this.#loop.stop();
    await this.#publisher.stop();
    await this.#watchDone;
  }

  async #register(): Promise<void> {
    const load = (this.options.loadFields ?? localLoadFields)();
    await this.options.registry.registerMachine({ ...this.options.machine, ...load }, this.options.ttl);
  }

  async #reconcile(): Promise<void> {
    const { registry, backend } = this.options;
    const { units, index } = await registry.machineSchedule(this.machineId);
    const desired = desiredUnits(units, machineFromRecord(this.options.machine));
    this.#launchedWanted = new Set(desired.filter((unit) => unit.desiredState === 'launched').map((unit) => unit.name));
    this.#reconciled = true;
    const byName = new Map(desired.map((unit) => [unit.name, unit]));
    this.#reconciling = true;
    try {
      await this.#runTasks(planTasks(desired, backend.list()), byName);
    } finally {
      this.#reconciling = false;
    }
    this.#covered = index;
    this.#publisher.poke();
  }

  async #runTasks(tasks: AgentTask[], byName: ReadonlyMap<string, ClusterUnit>): Promise<void> {
    const { backend } = this.options;
    for (const task of tasks) {
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
  }

  async #publish(): Promise<void> {
    if (!this.#reconciled) return;
    const { registry, backend, machine, ttl } = this.options;
    const now = Date.now();
    // Unchanged states are refreshed (no watch event) once a third of their TTL has passed (checked every quarter): a failed refresh gets another try in time.
    const refreshAfter = (ttl * 1000) / 3;
    const present = new Set<string>();
    const units = backend.list();
    for (const unit of units) present.add(unit.name);
    await inParallel(units, publishConcurrency, async (unit) => {
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
      if (last && last.json === json && last.launched === launched) {
        if (now - last.at < refreshAfter) return;
        const kept = (await registry.refreshState(unit.name, machine.ID, ttl)) && (!launched || (await registry.refreshJobState(unit.name, ttl)));
        if (kept) {
          this.#published.set(unit.name, { json, at: now, launched });
          return;
        }
      }
      await Promise.all([
        registry.publishState(unit.name, machine.ID, record, ttl),
        launched ? registry.heartbeatJob(unit.name, machine.ID, ttl) : last?.launched ? registry.clearJobState(unit.name, machine.ID) : undefined,
      ]);
      this.#published.set(unit.name, { json, at: now, launched });
    });
    const gone = [...this.#published].filter(([name]) => !present.has(name));
    await inParallel(gone, publishConcurrency, async ([name, last]) => {
      await registry.removeState(name, machine.ID);
      if (last.launched) await registry.clearJobState(name, machine.ID);
      this.#published.delete(name);
    });
  }
}
