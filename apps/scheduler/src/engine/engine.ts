import type { Logger } from '@minicore/log';
import { ReconcileLoop } from '../loop.js';
import type { Registry } from '../registry/registry.js';
import { EngineLease } from './engine-lease.js';
import { planPlacement } from './placement.js';

export interface EngineOptions {
  registry: Registry;
  machineId: string;
  /** fleet's engine_reconcile_interval; the leadership TTL is five of them. */
  intervalMs: number;
  logger: Logger;
}

/**
 * fleet's engine: every machine runs one, the one holding the lease decides. Each pass reads the
 * whole cluster, plans with `planPlacement` and writes the plan; a placement written with
 * prevExist=false cannot overwrite a concurrent one.
 */
export class Engine {
  readonly lease: EngineLease;
  readonly #loop: ReconcileLoop;
  readonly #logger: Logger;
  #leading = false;

  constructor(private readonly options: EngineOptions) {
    this.#logger = options.logger.child({ component: 'engine' });
    const ttl = Math.max(1, Math.ceil((5 * options.intervalMs) / 1000));
    this.lease = new EngineLease(options.registry.kv, options.registry.keys.engineLease, options.machineId, ttl);
    this.#loop = new ReconcileLoop(() => this.#pass(), options.intervalMs, (error) => this.#logger.warn({ err: error }, 'engine pass failed'));
  }

  get leading(): boolean {
    return this.#leading;
  }

  start(): void {
    this.#loop.start();
  }

  /** A kv change that may need a decision (a unit's desired state, a placement). */
  poke(): void {
    this.#loop.poke();
  }

  /** Stops deciding and hands leadership over. */
  async stop(): Promise<void> {
    await this.#loop.stop();
    if (this.lease.held) this.#logger.info('releasing engine leadership');
    await this.lease.release();
    this.#leading = false;
  }

  async #pass(): Promise<void> {
    const leading = await this.lease.claim();
    if (leading !== this.#leading) this.#logger.info({ leading }, leading ? 'this machine now leads the engine' : 'engine leadership lost');
    this.#leading = leading;
    if (!leading) return;
    const registry = this.options.registry;
    const [units, machines] = await Promise.all([registry.units(), registry.machines()]);
    for (const action of planPlacement(units, machines)) {
      if (action.kind === 'unschedule') {
        this.#logger.info({ unit: action.unit, machine: action.machine, reason: action.reason }, 'unscheduling unit');
        await registry.unschedule(action.unit, action.machine);
      } else {
        this.#logger.info({ unit: action.unit, machine: action.machine }, 'scheduling unit');
        await registry.schedule(action.unit, action.machine).catch((error: unknown) => this.#logger.warn({ err: error, unit: action.unit }, 'placement lost a race; next pass decides again'));
      }
    }
  }
}
