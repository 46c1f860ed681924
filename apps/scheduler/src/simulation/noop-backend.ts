import type { UnitOption } from '@minicore/unit-file';
import type { BackendUnit, BackendUnitStatus, UnitBackend } from '../agent/backend.js';

/**
 * A test double of our `UnitBackend` for simulated machines (the scheduler benchmark): it runs
 * nothing, a unit is active the moment it is started. It stands in where thousands of real
 * processes would measure the host's fork rate instead of the scheduler.
 */
export class NoopUnitBackend implements UnitBackend {
  readonly kind = 'noop';
  readonly #units = new Map<string, BackendUnit>();
  readonly #listeners: ((name: string) => void)[] = [];

  async init(): Promise<void> {}

  list(): BackendUnit[] {
    return [...this.#units.values()];
  }

  #changed(name: string): void {
    for (const listener of this.#listeners) listener(name);
  }

  async load(name: string, _options: readonly UnitOption[], hash: string): Promise<void> {
    this.#units.set(name, { name, hash, launched: false, state: { load: 'loaded', active: 'inactive', sub: 'dead' } });
    this.#changed(name);
  }

  async unload(name: string): Promise<void> {
    if (this.#units.delete(name)) this.#changed(name);
  }

  async start(name: string): Promise<void> {
    const unit = this.#units.get(name);
    if (!unit) throw new Error(`${name} is not loaded`);
    this.#units.set(name, { ...unit, launched: true, state: { load: 'loaded', active: 'active', sub: 'running' } });
    this.#changed(name);
  }

  async stop(name: string): Promise<void> {
    const unit = this.#units.get(name);
    if (!unit) return;
    this.#units.set(name, { ...unit, launched: false, state: { load: 'loaded', active: 'inactive', sub: 'dead' } });
    this.#changed(name);
  }

  status(name: string): BackendUnitStatus | undefined {
    const unit = this.#units.get(name);
    return unit && { ...unit, mainPid: undefined, restarts: 0, since: new Date(0).toISOString(), lastExit: undefined, command: [] };
  }

  async journal(): Promise<string[]> {
    return [];
  }

  onChange(listener: (name: string) => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {}
}
