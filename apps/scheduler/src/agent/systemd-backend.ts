import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@minicore/log';
import { describeMainExit, SystemdManager, type UnitFollower, type UnitProperties } from '@minicore/systemd';
import { expandSpecifiers, lastValue, parseUnitFile, serializeUnitFile, unitHash, type UnitOption } from '@minicore/unit-file';
import type { BackendUnit, BackendUnitStatus, UnitBackend, UnitSystemdState } from './backend.js';
import { splitCommandLine } from './exec-command.js';
import { followJournal, readJournal } from './systemd-journal.js';

/** The unit types fleet's agent manages from its units folder. */
const managedSuffixes = ['.service', '.socket', '.timer', '.path', '.device', '.mount', '.automount'];

export const defaultSystemdRoot = '/run/minicore';

interface MetaRecord {
  hash: string;
  launched: boolean;
}

interface SystemdUnit {
  name: string;
  hash: string;
  options: UnitOption[];
  launched: boolean;
  properties: UnitProperties | undefined;
  /** How the last main process ended; kept after a restart clears ExecMain*. */
  lastExit: string | undefined;
  loadedAt: string;
  follower: UnitFollower | undefined;
}

export interface SystemdBackendOptions {
  logger: Logger;
  /**
   * Unit files live in `<root>/units/<name>` and what the agent asked of each unit in
   * `<root>/unit-state/<name>.json`. Under /run (fleet: /run/fleet/units) they vanish on reboot
   * together with the runtime links into /run/systemd/system, so a rebooted machine runs nothing
   * it was not given again.
   */
  root?: string;
  /** A connected manager (closed by the caller), else this backend connects to the system bus. */
  manager?: SystemdManager;
  busAddress?: string;
}

/**
 * The systemd backend, as fleet's agent did it: the unit file is written to the units folder, linked
 * into /run/systemd/system (LinkUnitFiles, runtime), systemd reloads, and StartUnit/StopUnit run as
 * jobs awaited to their JobRemoved result. Unit states come from PropertiesChanged. systemd runs the
 * processes, so a schedulerd restart changes nothing about them: init() adopts what the folder
 * holds, close() only stops listening.
 */
export class SystemdBackend implements UnitBackend {
  readonly kind = 'systemd';
  readonly #units = new Map<string, SystemdUnit>();
  readonly #listeners: ((name: string) => void)[] = [];
  readonly #logger: Logger;
  readonly #unitDir: string;
  readonly #stateDir: string;
  #manager: SystemdManager | undefined;
  #reconnecting: Promise<void> | undefined;
  #closed = false;

  constructor(private readonly options: SystemdBackendOptions) {
    this.#logger = options.logger.child({ component: 'systemd-backend' });
    const root = options.root ?? defaultSystemdRoot;
    this.#unitDir = path.join(root, 'units');
    this.#stateDir = path.join(root, 'unit-state');
    this.#manager = options.manager;
  }

  /** The manager, reconnected first if the bus connection was lost (dbus-daemon restarted). */
  async #systemd(): Promise<SystemdManager> {
    if (!this.#manager) throw new Error('the systemd backend is not initialised');
    if (!this.#manager.lost) return this.#manager;
    if (this.options.manager) throw new Error(`lost the connection to systemd: ${this.#manager.lost.message}`);
    this.#reconnecting ??= this.#reconnect().finally(() => (this.#reconnecting = undefined));
    await this.#reconnecting;
    return this.#manager;
  }

  async #reconnect(): Promise<void> {
    const manager = await SystemdManager.connect({ address: this.options.busAddress });
    if (this.#closed) {
      manager.close();
      return;
    }
    this.#manager = manager;
    this.#watchLoss(manager);
    // The old connection's subscriptions died with it: follow again (and learn what changed meanwhile).
    for (const unit of this.#units.values()) await this.#follow(unit);
    this.#logger.info({ units: this.#units.size }, 'reconnected to systemd');
  }

  /** Reconnects on its own after a loss, so states keep flowing even when the agent asks nothing. */
  #watchLoss(manager: SystemdManager): void {
    manager.onLost((error) => {
      if (this.#closed) return;
      this.#logger.warn({ err: error }, 'lost the connection to systemd; reconnecting');
      void (async () => {
        while (!this.#closed && this.#manager === manager) {
          try {
            await this.#systemd();
            return;
          } catch (retryError) {
            this.#logger.debug({ err: retryError }, 'reconnecting to systemd failed; retrying');
            await new Promise((resolve) => setTimeout(resolve, 1000));
          }
        }
      })();
    });
  }

  async init(): Promise<void> {
    if (!this.#manager) {
      this.#manager = await SystemdManager.connect({ address: this.options.busAddress });
      this.#watchLoss(this.#manager);
    }
    const systemd = await this.#systemd();
    await mkdir(this.#unitDir, { recursive: true });
    await mkdir(this.#stateDir, { recursive: true });
    let relinked = false;
    const adopted: SystemdUnit[] = [];
    for (const name of (await readdir(this.#unitDir)).sort()) {
      if (!managedSuffixes.some((suffix) => name.endsWith(suffix))) continue;
      const text = await readFile(this.#unitFile(name), 'utf8');
      const options = parseUnitFile(text);
      const meta = await readMeta(this.#metaFile(name));
      const unit = this.#newUnit(name, meta?.hash ?? unitHash(options), options);
      unit.launched = meta?.launched ?? false;
      // A link removed behind our back (or never made, if schedulerd died mid-load): make it again.
      if (!(await systemd.getUnit(name)) || (await systemd.unitProperties(name)).loadState === 'not-found') {
        await this.#link(unit);
        relinked = true;
      }
      this.#units.set(name, unit);
      adopted.push(unit);
    }
    // What-was-asked records of units whose file is gone (schedulerd died mid-unload) mean nothing now.
    for (const file of await readdir(this.#stateDir)) {
      if (!this.#units.has(file.replace(/\.json$/, ''))) await rm(path.join(this.#stateDir, file), { force: true });
    }
    if (relinked) await systemd.reload();
    for (const unit of adopted) {
      await this.#follow(unit);
      this.#logger.info({ unit: unit.name, launched: unit.launched, state: this.#state(unit), mainPid: unit.properties?.mainPid }, 'adopted a unit');
    }
  }

  list(): BackendUnit[] {
    return [...this.#units.values()].map((unit) => ({ name: unit.name, hash: unit.hash, launched: unit.launched, state: this.#state(unit) }));
  }

  status(name: string): BackendUnitStatus | undefined {
    const unit = this.#units.get(name);
    if (!unit) return undefined;
    const properties = unit.properties;
    return {
      name,
      hash: unit.hash,
      launched: unit.launched,
      state: this.#state(unit),
      mainPid: properties?.mainPid || undefined,
      restarts: properties?.nRestarts ?? 0,
      since: properties?.stateChangeTimestamp?.toISOString() ?? unit.loadedAt,
      lastExit: unit.lastExit,
      command: commandOf(unit.options, name),
    };
  }

  async journal(name: string, lines: number): Promise<string[]> {
    return readJournal(name, lines);
  }

  followJournal(name: string, lines: number, signal: AbortSignal): AsyncIterable<string> {
    return followJournal(name, lines, signal);
  }

  onChange(listener: (name: string) => void): void {
    this.#listeners.push(listener);
  }

  async load(name: string, options: readonly UnitOption[], hash: string): Promise<void> {
    if (this.#units.has(name)) await this.unload(name);
    const unit = this.#newUnit(name, hash, [...options]);
    try {
      await writeFile(this.#unitFile(name), serializeUnitFile(options), { mode: 0o644 });
      await this.#link(unit);
      await (await this.#systemd()).reload();
      await this.#saveMeta(unit);
    } catch (error) {
      await this.#forget(name).catch(() => undefined);
      throw new Error(`load ${name}: ${(error as Error).message}`, { cause: error });
    }
    this.#units.set(name, unit);
    await this.#follow(unit);
    if (unit.properties && unit.properties.loadState !== 'loaded') this.#logger.warn({ unit: name, loadState: unit.properties.loadState }, 'systemd did not load the unit file');
    this.#emit(name);
  }

  async unload(name: string): Promise<void> {
    const unit = this.#units.get(name);
    if (!unit) return;
    // fleet's order: only a unit that stopped is unlinked, so nothing keeps running unmanaged. One
    // that is not running (or that systemd could not load) has nothing to stop.
    const p = unit.properties;
    if (!p || (p.loadState === 'loaded' && p.activeState !== 'inactive' && p.activeState !== 'failed')) await (await this.#systemd()).stopUnit(name);
    unit.follower?.stop();
    this.#units.delete(name);
    await this.#forget(name);
    await (await this.#systemd()).resetFailedUnit(name).catch(() => undefined);
    this.#emit(name);
  }

  async start(name: string): Promise<void> {
    const unit = this.#require(name);
    unit.launched = true;
    await this.#saveMeta(unit);
    await (await this.#systemd()).startUnit(name);
  }

  async stop(name: string): Promise<void> {
    const unit = this.#require(name);
    unit.launched = false;
    await this.#saveMeta(unit);
    await (await this.#systemd()).stopUnit(name);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const unit of this.#units.values()) unit.follower?.stop();
    if (!this.options.manager) this.#manager?.close();
    this.#manager = this.options.manager;
  }

  #unitFile(name: string): string {
    return path.join(this.#unitDir, name);
  }

  #metaFile(name: string): string {
    return path.join(this.#stateDir, `${name}.json`);
  }

  #newUnit(name: string, hash: string, options: UnitOption[]): SystemdUnit {
    return { name, hash, options, launched: false, properties: undefined, lastExit: undefined, loadedAt: new Date().toISOString(), follower: undefined };
  }

  #require(name: string): SystemdUnit {
    const unit = this.#units.get(name);
    if (!unit) throw new Error(`unit ${name} is not loaded`);
    return unit;
  }

  #state(unit: SystemdUnit): UnitSystemdState {
    const p = unit.properties;
    return p ? { load: p.loadState, active: p.activeState, sub: p.subState } : { load: 'loaded', active: 'inactive', sub: 'dead' };
  }

  async #link(unit: SystemdUnit): Promise<void> {
    const systemd = await this.#systemd();
    await systemd.linkUnitFiles([this.#unitFile(unit.name)], { runtime: true, force: true });
    if (unit.options.some((option) => option.section === 'Install')) await systemd.enableUnitFiles([this.#unitFile(unit.name)], { runtime: true, force: true });
  }

  /** Unlinks the unit and deletes its files; systemd forgets it at the reload. */
  async #forget(name: string): Promise<void> {
    const systemd = await this.#systemd();
    await systemd.disableUnitFiles([name], { runtime: true }).catch((error: unknown) => this.#logger.warn({ err: error, unit: name }, 'unlinking the unit failed'));
    await rm(this.#unitFile(name), { force: true });
    await rm(this.#metaFile(name), { force: true });
    await systemd.reload();
  }

  async #follow(unit: SystemdUnit): Promise<void> {
    unit.follower = await (await this.#systemd()).followUnit(unit.name, (properties) => this.#observe(unit, properties));
    this.#observe(unit, unit.follower.properties);
  }

  #observe(unit: SystemdUnit, properties: UnitProperties): void {
    if (this.#units.get(unit.name) !== unit) return;
    const before = unit.properties;
    unit.properties = properties;
    unit.lastExit = describeMainExit(properties) ?? unit.lastExit;
    if (before && before.activeState !== properties.activeState) this.#logger.info({ unit: unit.name, active: properties.activeState, sub: properties.subState, lastExit: unit.lastExit }, 'unit state changed');
    this.#emit(unit.name);
  }

  async #saveMeta(unit: SystemdUnit): Promise<void> {
    await writeFile(this.#metaFile(unit.name), JSON.stringify({ hash: unit.hash, launched: unit.launched } satisfies MetaRecord));
  }

  #emit(name: string): void {
    for (const listener of this.#listeners) listener(name);
  }
}

/** ExecStart's words as systemd would run them (its `-@:+!` prefixes dropped), for `status`. */
function commandOf(options: readonly UnitOption[], name: string): string[] {
  const line = lastValue(options, 'Service', 'ExecStart');
  if (!line) return [];
  try {
    return splitCommandLine(expandSpecifiers(line, name).replace(/^[-@:+!]+/, ''));
  } catch {
    return [line];
  }
}

async function readMeta(file: string): Promise<MetaRecord | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as MetaRecord;
  } catch {
    return undefined;
  }
}
