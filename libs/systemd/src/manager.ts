import dbus from 'dbus-next';
import { connectSystemBus, type MessageBus } from './bus.js';
import { dbusErrorParts, SystemdError, type JobResult } from './errors.js';
import { DBUS_NAME, DBUS_PATH, MANAGER_INTERFACE, PROPERTIES_INTERFACE, SERVICE_INTERFACE, SYSTEMD_BUS_NAME, SYSTEMD_OBJECT_PATH, UNIT_INTERFACE, UNIT_PATH_PREFIX } from './names.js';
import { applyProperties, describeMainExit, emptyUnitProperties, followedProperties, sameProperties, type UnitProperties } from './unit-properties.js';

/** One change LinkUnitFiles/EnableUnitFiles/DisableUnitFiles made: `symlink` or `unlink`, the link, and its target. */
export interface UnitFileChange {
  type: string;
  file: string;
  destination: string;
}

export type JobMode = 'replace' | 'fail' | 'isolate' | 'ignore-dependencies' | 'ignore-requirements';

export interface UnitFollower {
  /** The properties now (updated as signals arrive). */
  readonly properties: UnitProperties;
  /** Stops following (the unit is not touched). */
  stop(): void;
}

const jobRemovedMatch = `type='signal',sender='${SYSTEMD_BUS_NAME}',path='${SYSTEMD_OBJECT_PATH}',interface='${MANAGER_INTERFACE}',member='JobRemoved'`;
const propertiesMatch = `type='signal',sender='${SYSTEMD_BUS_NAME}',interface='${PROPERTIES_INTERFACE}',member='PropertiesChanged',path_namespace='${UNIT_PATH_PREFIX.slice(0, -1)}'`;

/** Jobs that ended before their caller got to wait for them: kept this long, then forgotten. */
const FINISHED_JOBS_KEPT = 512;

/** sd-bus's and libdbus's default method call timeout. */
const DEFAULT_CALL_TIMEOUT_MS = 25_000;

interface Followed {
  name: string;
  properties: UnitProperties;
  listeners: Set<(properties: UnitProperties) => void>;
  refreshing: Promise<void> | undefined;
}

/**
 * systemd's manager (org.freedesktop.systemd1) over one system-bus connection. Calls go out as plain
 * messages with their signatures spelled here (no introspection round trips); JobRemoved and unit
 * PropertiesChanged arrive through two match rules. Job waits survive the race in which a job ends
 * before the StartUnit reply has been handled (systemd may send JobRemoved right behind the reply).
 */
export class SystemdManager {
  readonly #bus: MessageBus;
  readonly #finished = new Map<string, JobResult>();
  readonly #waiters = new Map<string, { resolve: (result: JobResult) => void; reject: (error: Error) => void }>();
  /** Followed units by object path. */
  readonly #followed = new Map<string, Followed>();
  readonly #lostListeners: ((error: Error) => void)[] = [];
  readonly #callTimeoutMs: number;
  #closed = false;
  #lost: Error | undefined;

  private constructor(bus: MessageBus, callTimeoutMs: number) {
    this.#bus = bus;
    this.#callTimeoutMs = callTimeoutMs;
    bus.on('message', (message) => this.#onMessage(message));
    // dbus-next leaves calls pending forever once its socket has ended (and turns later sends into
    // `error` events): notice the end, fail what waits, refuse what comes.
    const connection = (bus as unknown as { _connection?: { on(event: 'end', listener: () => void): void; stream?: { writable: boolean } } })._connection;
    connection?.on('end', () => this.#lose(new Error('the system bus closed the connection')));
    bus.on('error', (error: unknown) => {
      if (connection?.stream && !connection.stream.writable) this.#lose(error instanceof Error ? error : new Error(String(error)));
    });
  }

  /**
   * Connects (system bus unless `address`), installs the match rules and subscribes to systemd's
   * signals. `callTimeoutMs` bounds every call (default 25 s, as sd-bus).
   */
  static async connect(options: { address?: string | undefined; timeoutMs?: number; callTimeoutMs?: number } = {}): Promise<SystemdManager> {
    const manager = new SystemdManager(await connectSystemBus(options), options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
    try {
      await manager.#busCall('AddMatch', 's', [jobRemovedMatch]);
      await manager.#busCall('AddMatch', 's', [propertiesMatch]);
      await manager.subscribe();
    } catch (error) {
      manager.close();
      throw error;
    }
    return manager;
  }

  /**
   * Asks systemd to emit JobRemoved and unit PropertiesChanged to everyone: it sends them only while
   * some client is subscribed (research/nodes.md §2, quirk 1), so never rely on another subscriber.
   */
  async subscribe(): Promise<void> {
    await this.#call('Subscribe', '', [], 'subscribe');
  }

  /** The unit's object path, loading the unit (from its file) if systemd has not yet. */
  async loadUnit(name: string): Promise<string> {
    const [path] = await this.#call('LoadUnit', 's', [name], `load ${name}`);
    return String(path);
  }

  /** The unit's object path if systemd has the unit in memory, else undefined. */
  async getUnit(name: string): Promise<string | undefined> {
    try {
      const [path] = await this.#call('GetUnit', 's', [name], `get ${name}`);
      return String(path);
    } catch (error) {
      if (error instanceof SystemdError && error.dbusName === 'org.freedesktop.systemd1.NoSuchUnit') return undefined;
      throw error;
    }
  }

  /** Starts the unit and waits for its job to end; throws unless the job's result is `done`. */
  async startUnit(name: string, mode: JobMode = 'replace'): Promise<void> {
    await this.#runJob('StartUnit', 'start', name, mode);
  }

  /** Stops the unit and waits for its job to end; throws unless the job's result is `done`. */
  async stopUnit(name: string, mode: JobMode = 'replace'): Promise<void> {
    await this.#runJob('StopUnit', 'stop', name, mode);
  }

  async restartUnit(name: string, mode: JobMode = 'replace'): Promise<void> {
    await this.#runJob('RestartUnit', 'restart', name, mode);
  }

  /** daemon-reload: systemd rereads every unit file; the reply comes once it has. */
  async reload(): Promise<void> {
    await this.#call('Reload', '', [], 'daemon-reload');
  }

  /** Forgets the unit's failed state (and its restart counter's start limit). */
  async resetFailedUnit(name: string): Promise<void> {
    await this.#call('ResetFailedUnit', 's', [name], `reset-failed ${name}`);
  }

  /** Links unit files (absolute paths) into the unit search path: /run/systemd/system when `runtime`. */
  async linkUnitFiles(files: readonly string[], options: { runtime: boolean; force: boolean }): Promise<UnitFileChange[]> {
    const [changes] = await this.#call('LinkUnitFiles', 'asbb', [[...files], options.runtime, options.force], `link ${files.join(' ')}`);
    return unitFileChanges(changes);
  }

  /** Creates the [Install] section's wants/requires links. */
  async enableUnitFiles(files: readonly string[], options: { runtime: boolean; force: boolean }): Promise<UnitFileChange[]> {
    const [, changes] = await this.#call('EnableUnitFiles', 'asbb', [[...files], options.runtime, options.force], `enable ${files.join(' ')}`);
    return unitFileChanges(changes);
  }

  /** Removes the links (the unit's own link and its [Install] links) of the named units. */
  async disableUnitFiles(names: readonly string[], options: { runtime: boolean }): Promise<UnitFileChange[]> {
    const [changes] = await this.#call('DisableUnitFiles', 'asb', [[...names], options.runtime], `disable ${names.join(' ')}`);
    return unitFileChanges(changes);
  }

  /** The followed properties of the unit now (loading it if needed). */
  async unitProperties(name: string): Promise<UnitProperties> {
    return this.#fetch(name, await this.loadUnit(name));
  }

  /**
   * Follows the unit's properties: `listener` gets each distinct new set, as PropertiesChanged
   * signals arrive (values carried by the signal are applied at once; values it only marks
   * invalidated are fetched). The returned properties are the state when following began.
   */
  async followUnit(name: string, listener: (properties: UnitProperties) => void): Promise<UnitFollower> {
    const path = await this.loadUnit(name);
    let followed = this.#followed.get(path);
    if (!followed) {
      followed = { name, properties: emptyUnitProperties, listeners: new Set(), refreshing: undefined };
      this.#followed.set(path, followed);
    }
    followed.listeners.add(listener);
    // Listening began before this read, so a change racing it is either in the read or in a signal after it.
    const fetched = await this.#fetch(name, path);
    this.#update(followed, fetched);
    const entry = followed;
    return {
      get properties() {
        return entry.properties;
      },
      stop: () => {
        entry.listeners.delete(listener);
        if (entry.listeners.size === 0 && this.#followed.get(path) === entry) this.#followed.delete(path);
      },
    };
  }

  /** Set once the bus connection is gone (not by close()): a new manager must be connected. */
  get lost(): Error | undefined {
    return this.#lost;
  }

  /** Called once if the connection is lost (dbus-daemon restarted or died). */
  onLost(listener: (error: Error) => void): void {
    this.#lostListeners.push(listener);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#followed.clear();
    for (const waiter of this.#waiters.values()) waiter.resolve('canceled');
    this.#waiters.clear();
    this.#bus.disconnect();
  }

  #lose(error: Error): void {
    if (this.#lost || this.#closed) return;
    this.#lost = error;
    const reason = new SystemdError(`lost the connection to systemd: ${error.message}`);
    for (const waiter of this.#waiters.values()) waiter.reject(reason);
    this.#waiters.clear();
    this.#followed.clear();
    for (const listener of this.#lostListeners) listener(reason);
  }

  async #runJob(member: 'StartUnit' | 'StopUnit' | 'RestartUnit', verb: string, name: string, mode: JobMode): Promise<void> {
    const [job] = await this.#call(member, 'ss', [name, mode], `${verb} ${name}`);
    const result = await this.#waitJob(String(job));
    if (result === 'done') return;
    let detail = '';
    try {
      const properties = await this.unitProperties(name);
      const exit = describeMainExit(properties);
      detail = ` (${[`ActiveState=${properties.activeState}`, properties.result && `Result=${properties.result}`, exit].filter(Boolean).join(', ')})`;
    } catch {
      // the job's result alone still says what happened
    }
    throw new SystemdError(`${verb} ${name}: job ${result}${detail}`, undefined, result);
  }

  #waitJob(job: string): Promise<JobResult> {
    const finished = this.#finished.get(job);
    if (finished !== undefined) {
      this.#finished.delete(job);
      return Promise.resolve(finished);
    }
    if (this.#closed) return Promise.resolve('canceled');
    if (this.#lost) return Promise.reject(new SystemdError(`lost the connection to systemd: ${this.#lost.message}`));
    return new Promise((resolve, reject) => this.#waiters.set(job, { resolve, reject }));
  }

  #onMessage(message: dbus.Message): void {
    if (message.type !== dbus.MessageType.SIGNAL) return;
    if (message.interface === MANAGER_INTERFACE && message.member === 'JobRemoved') {
      const [, job, , result] = message.body as [number, string, string, string];
      const waiter = this.#waiters.get(job);
      if (waiter) {
        this.#waiters.delete(job);
        waiter.resolve(result);
        return;
      }
      // Every job of the machine is announced; keep the recent ones for a caller still on its way.
      this.#finished.set(job, result);
      if (this.#finished.size > FINISHED_JOBS_KEPT) this.#finished.delete(this.#finished.keys().next().value!);
      return;
    }
    if (message.interface === PROPERTIES_INTERFACE && message.member === 'PropertiesChanged') {
      const followed = this.#followed.get(message.path);
      if (!followed) return;
      const [iface, changed, invalidated] = message.body as [string, Record<string, unknown>, string[]];
      if (iface !== UNIT_INTERFACE && iface !== SERVICE_INTERFACE) return;
      this.#update(followed, applyProperties(followed.properties, changed));
      if (invalidated.some((property) => property in followedProperties)) this.#refresh(message.path, followed);
    }
  }

  #refresh(path: string, followed: Followed): void {
    if (followed.refreshing) return;
    followed.refreshing = this.#fetch(followed.name, path)
      .then((properties) => this.#update(followed, properties))
      .catch(() => undefined)
      .finally(() => (followed.refreshing = undefined));
  }

  #update(followed: Followed, properties: UnitProperties): void {
    if (sameProperties(followed.properties, properties)) return;
    followed.properties = properties;
    for (const listener of followed.listeners) listener(properties);
  }

  async #fetch(name: string, path: string): Promise<UnitProperties> {
    const [unitValues] = await this.#call('GetAll', 's', [UNIT_INTERFACE], `properties of ${name}`, PROPERTIES_INTERFACE, path);
    let properties = applyProperties(emptyUnitProperties, unitValues as Record<string, unknown>);
    if (name.endsWith('.service')) {
      const [serviceValues] = await this.#call('GetAll', 's', [SERVICE_INTERFACE], `properties of ${name}`, PROPERTIES_INTERFACE, path);
      properties = applyProperties(properties, serviceValues as Record<string, unknown>);
    }
    return properties;
  }

  async #busCall(member: string, signature: string, body: unknown[]): Promise<unknown[]> {
    return this.#send(new dbus.Message({ destination: DBUS_NAME, path: DBUS_PATH, interface: DBUS_NAME, member, signature, body }), `${member} on the bus`);
  }

  async #call(member: string, signature: string, body: unknown[], what: string, iface = MANAGER_INTERFACE, path = SYSTEMD_OBJECT_PATH): Promise<unknown[]> {
    return this.#send(new dbus.Message({ destination: SYSTEMD_BUS_NAME, path, interface: iface, member, signature, body }), what);
  }

  /** One call, bounded in time, failing at once if the connection is closed or lost (or gets lost meanwhile). */
  async #send(message: dbus.Message, what: string): Promise<unknown[]> {
    if (this.#closed) throw new SystemdError(`${what}: the systemd connection is closed`);
    if (this.#lost) throw new SystemdError(`${what}: lost the connection to systemd: ${this.#lost.message}`);
    let timer: NodeJS.Timeout | undefined;
    let onLost: ((error: Error) => void) | undefined;
    const failure = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new SystemdError(`${what}: no reply from systemd within ${this.#callTimeoutMs} ms`, 'org.freedesktop.DBus.Error.NoReply')), this.#callTimeoutMs);
      onLost = (error) => reject(new SystemdError(`${what}: ${error.message}`));
      this.#lostListeners.push(onLost);
    });
    try {
      const reply = await Promise.race([this.#bus.call(message), failure]);
      return (reply?.body ?? []) as unknown[];
    } catch (error) {
      if (error instanceof SystemdError) throw error;
      const { name, text } = dbusErrorParts(error);
      throw new SystemdError(`${what}: ${text}`, name);
    } finally {
      clearTimeout(timer);
      const index = onLost ? this.#lostListeners.indexOf(onLost) : -1;
      if (index >= 0) this.#lostListeners.splice(index, 1);
    }
  }
}

function unitFileChanges(raw: unknown): UnitFileChange[] {
  return ((raw as [string, string, string][] | undefined) ?? []).map(([type, file, destination]) => ({ type, file, destination }));
}
