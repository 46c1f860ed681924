import dbus from 'dbus-next';
import { connectBus, describeAddress, type MessageBus } from './bus.js';
import { UPDATE_ENGINE_BUS_NAME, UPDATE_ENGINE_INTERFACE, UPDATE_ENGINE_OBJECT_PATH, UpdateEngineMember } from './names.js';
import { statusFromWire, type UpdateEngineStatus } from './status.js';

export interface UpdateEngineClientOptions {
  /** Bus address; empty or absent: the system bus. */
  address?: string | undefined;
  /** Bound on connecting and on each call. Default 5000. */
  timeoutMs?: number;
  /** Proxy acquisition attempts while updaterd is not on the bus yet (update_engine_client: 4 × 10 s). Default 4. */
  attempts?: number;
  /** Between those attempts. Default 1000. */
  retryDelayMs?: number;
  busName?: string;
}

/** A failed call, with the D-Bus error name when the service answered one. */
export class UpdateEngineCallError extends Error {
  override name = 'UpdateEngineCallError';
  readonly code = 'MC_ERR_DBUS_CALL';
  constructor(
    message: string,
    readonly dbusName?: string,
  ) {
    super(message);
  }
}

/** The untyped proxy's members, as this contract defines them. */
interface ManagerProxy extends dbus.ClientInterface {
  AttemptUpdate(): Promise<void>;
  ResetStatus(): Promise<void>;
  GetStatus(): Promise<unknown[]>;
}

export type StatusListener = (status: UpdateEngineStatus) => void;

/**
 * update_engine_client's side of the contract: typed calls over dbus-next's proxy (whose every
 * member is `any`), bounded by a timeout, and the StatusUpdate signal as typed statuses.
 */
export class UpdateEngineClient {
  readonly #listeners = new Set<(...body: unknown[]) => void>();

  private constructor(
    readonly bus: MessageBus,
    private readonly manager: ManagerProxy,
    private readonly timeoutMs: number,
    readonly ownsBus: boolean,
  ) {}

  /** Connects (or uses `bus`) and finds updaterd's object, retrying while the name is not owned yet. */
  static async connect(options: UpdateEngineClientOptions & { bus?: MessageBus } = {}): Promise<UpdateEngineClient> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const bus = options.bus ?? (await connectBus({ address: options.address, timeoutMs }));
    const attempts = Math.max(1, options.attempts ?? 4);
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const proxy = await withTimeout(bus.getProxyObject(options.busName ?? UPDATE_ENGINE_BUS_NAME, UPDATE_ENGINE_OBJECT_PATH), timeoutMs, 'introspection');
        const manager = proxy.getInterface<ManagerProxy>(UPDATE_ENGINE_INTERFACE);
        return new UpdateEngineClient(bus, manager, timeoutMs, options.bus === undefined);
      } catch (error) {
        lastError = error;
        if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 1000));
      }
    }
    if (options.bus === undefined) bus.disconnect();
    throw new UpdateEngineCallError(`updaterd is not on the bus at ${describeAddress(options.address)}: ${(lastError as Error).message}`, (lastError as dbus.DBusError).type);
  }

  async attemptUpdate(): Promise<void> {
    await this.#call(UpdateEngineMember.AttemptUpdate, () => this.manager.AttemptUpdate());
  }

  async resetStatus(): Promise<void> {
    await this.#call(UpdateEngineMember.ResetStatus, () => this.manager.ResetStatus());
  }

  async getStatus(): Promise<UpdateEngineStatus> {
    const body = await this.#call(UpdateEngineMember.GetStatus, () => this.manager.GetStatus());
    const status = Array.isArray(body) ? statusFromWire(body) : undefined;
    if (!status) throw new UpdateEngineCallError(`GetStatus answered an unexpected body: ${JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
    return status;
  }

  /**
   * Follows StatusUpdate; bodies that are not a status are ignored. Resolves once the match rule is
   * on the bus (a round trip after AddMatch), so no signal sent after it is missed. Returns the unsubscribe.
   */
  async onStatusUpdate(listener: StatusListener): Promise<() => void> {
    const raw = (...body: unknown[]) => {
      const status = statusFromWire(body);
      if (status) listener(status);
    };
    this.manager.on(UpdateEngineMember.StatusUpdate, raw);
    this.#listeners.add(raw);
    // dbus-next sends AddMatch without waiting: a call to the bus daemon after it is ordered behind it.
    const ping = new dbus.Message({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'GetId' });
    await withTimeout(this.bus.call(ping), this.timeoutMs, 'AddMatch round trip');
    return () => {
      this.manager.removeListener(UpdateEngineMember.StatusUpdate, raw);
      this.#listeners.delete(raw);
    };
  }

  close(): void {
    for (const raw of this.#listeners) this.manager.removeListener(UpdateEngineMember.StatusUpdate, raw);
    this.#listeners.clear();
    if (this.ownsBus) this.bus.disconnect();
  }

  async #call<T>(member: string, call: () => Promise<T>): Promise<T> {
    try {
      return await withTimeout(call(), this.timeoutMs, member);
    } catch (error) {
      if (error instanceof dbus.DBusError) throw new UpdateEngineCallError(`${member}: ${error.text || error.message}`, error.type);
      throw new UpdateEngineCallError(`${member}: ${(error as Error).message}`);
    }
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
