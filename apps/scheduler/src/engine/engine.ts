import type { Logger } from '@minicore/log';
import { ReconcileLoop } from '../loop.js';
import { inParallel } from '../registry/in-parallel.js';
import { watchForPokes } from '../registry/poke-watch.js';
import { Registry } from '../registry/registry.js';
import { EngineLease } from './engine-lease.js';
import { planPlacement, type PlacementAction, type PlacementStrategy } from './placement.js';
import { diffSchedule, expectedSchedule, type IndexChange } from './schedule-plan.js';

export interface EngineOptions {
  /** The machine's registry; the engine reads and writes through its own one on the same kv (see the constructor). */
  registry: Registry;
  machineId: string;
  /** fleet's engine_reconcile_interval; the leadership TTL is five of them. */
  intervalMs: number;
  /** fleet's rule (fewest units) or the least busy machine by reported load. */
  placement?: PlacementStrategy;
  /** kv writes in flight at once while applying a pass (default 64). */
  concurrency?: number;
  logger: Logger;
}

/** Writes are applied in chunks of this many, renewing the lease between chunks when it is due. */
const chunkSize = 500;

class LeadershipLost extends Error {}

/**
 * fleet's engine: every machine runs one, the one holding the lease decides. A pass reads the
 * units, the machines and the schedule index (three recursive reads), plans with `planPlacement`,
 * writes the placements (prevExist=false, so a concurrent placement is never overwritten), then
 * rewrites each machine's list in the schedule index that changed. Passes run on kv changes to units
 * (a watch that skips what the last read already covered) and every interval.
 */
export class Engine {
  readonly lease: EngineLease;
  readonly #loop: ReconcileLoop;
  readonly #logger: Logger;
  readonly #watching = new AbortController();
  #watchDone: Promise<void> | undefined;
  #leading = false;
  #covered = 0;
  #claimedAt = 0;
  /** Quorum reads, writes to the kv leader first. */
  readonly #registry: Registry;
  #writerCheckedAt = 0;

  constructor(private readonly options: EngineOptions) {
    this.#logger = options.logger.child({ component: 'engine' });
    this.#registry = new Registry(options.registry.kv, options.registry.keys.prefix, true);
    const ttl = Math.max(1, Math.ceil((5 * options.intervalMs) / 1000));
    this.lease = new EngineLease(options.registry.kv, options.registry.keys.engineLease, options.machineId, ttl);
    this.#loop = new ReconcileLoop(() => this.#pass(), options.intervalMs, (error) => this.#logger.warn({ err: error }, 'engine pass failed'));
  }

  get leading(): boolean {
    return this.#leading;
  }

  /** Starts deciding, and watching units for changes that need a decision. */
  start(): void {
    this.#loop.start();
    const { registry } = this.options;
    this.#watchDone = watchForPokes(registry.kv, {
      key: registry.keys.jobs,
      // The launched heartbeats of agents change nothing the engine decides.
      relevant: (key) => !key.endsWith('/job-state'),
      coveredIndex: () => this.#covered,
      poke: () => this.#loop.poke(),
      settled: () => this.#loop.settled(),
      signal: this.#watching.signal,
      logger: this.#logger,
    });
  }

  /** A kv change that may need a decision (a unit's desired state, a placement). */
  poke(): void {
    this.#loop.poke();
  }

  /** Stops deciding and hands leadership over. */
  async stop(): Promise<void> {
    this.#watching.abort();
    await this.#loop.stop();
    await this.#watchDone;
    if (this.lease.held) this.#logger.info('releasing engine leadership');
    await this.lease.release();
    this.#leading = false;
  }

  async #claim(): Promise<boolean> {
    const leading = await this.lease.claim();
    this.#claimedAt = Date.now();
    if (leading !== this.#leading) this.#logger.info({ leading }, leading ? 'this machine now leads the engine' : 'engine leadership lost');
    this.#leading = leading;
    if (leading && Date.now() - this.#writerCheckedAt > 30_000) {
      // The kv leader may have moved since: find it again now and then.
      this.#writerCheckedAt = Date.now();
      await this.#registry.preferLeaderForWrites();
    }
    if (!leading) this.#writerCheckedAt = 0;
    return leading;
  }

  /** Applies writes in chunks; between chunks, renews the lease once an interval has passed, and gives up if it is gone. */
  async #apply<T>(items: readonly T[], write: (item: T) => Promise<void>): Promise<void> {
    for (let start = 0; start < items.length; start += chunkSize) {
      if (Date.now() - this.#claimedAt >= this.options.intervalMs && !(await this.#claim())) throw new LeadershipLost();
      await inParallel(items.slice(start, start + chunkSize), this.options.concurrency ?? 64, write);
    }
  }

  async #pass(): Promise<void> {
    if (!(await this.#claim())) return;
    try {
      await this.#decide();
    } catch (error) {
      if (error instanceof LeadershipLost) return;
      throw error;
    }
  }

  async #decide(): Promise<void> {
    const registry = this.#registry;
    const [{ units, index }, machines, scheduleIndex] = await Promise.all([registry.unitsAt(), registry.machines(), registry.scheduleIndex()]);
    const actions = planPlacement(units, machines, { strategy: this.options.placement ?? 'units' });
    const unschedules = actions.filter((action): action is Extract<PlacementAction, { kind: 'unschedule' }> => action.kind === 'unschedule');
    const schedules = actions.filter((action): action is Extract<PlacementAction, { kind: 'schedule' }> => action.kind === 'schedule');

    await this.#apply(unschedules, async (action) => {
      this.#logger.info({ unit: action.unit, machine: action.machine, reason: action.reason }, 'unscheduling unit');
      await registry.unschedule(action.unit, action.machine);
      units.get(action.unit)!.target = undefined;
    });
    let lost = 0;
    await this.#apply(schedules, async (action) => {
      this.#logger.debug({ unit: action.unit, machine: action.machine }, 'scheduling unit');
      try {
        await registry.schedule(action.unit, action.machine);
        units.get(action.unit)!.target = action.machine;
      } catch (error) {
        lost += 1;
        this.#logger.warn({ err: error, unit: action.unit }, 'placement lost a race; next pass decides again');
      }
    });
    if (schedules.length > 0) this.#logger.info({ placed: schedules.length - lost, machines: machines.size }, 'scheduled units');

    const changes = diffSchedule(scheduleIndex, expectedSchedule(units.values(), machines));
    await this.#apply(changes, (change: IndexChange) => {
      if (change.kind === 'put') return registry.putMachineSchedule(change.machine, change.encoded);
      this.#logger.info({ machine: change.machine }, 'dropping the schedule of a machine that went away');
      return registry.deleteMachineSchedule(change.machine);
    });
    // Only now are the changes up to this read acted on: a failed pass leaves the watch to wake the next one.
    this.#covered = index;
  }
}
