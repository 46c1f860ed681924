import dbus from 'dbus-next';
import type { MessageBus } from './bus.js';
import { STATUS_SIGNATURE, UPDATE_ENGINE_BUS_NAME, UPDATE_ENGINE_INTERFACE, UPDATE_ENGINE_OBJECT_PATH, UpdateEngineErrorName } from './names.js';
import { statusToWire, type StatusWire, type UpdateEngineStatus } from './status.js';

/** What the daemon behind the interface does; a thrown UpdateEngineError becomes a D-Bus error of that name. */
export interface UpdateEngineHandlers {
  /** An interactive check; update_engine ignores it (logs only) unless IDLE. Must not wait for the check. */
  attemptUpdate(): void;
  /** From UPDATED_NEED_REBOOT back to IDLE; a no-op from IDLE; refused otherwise. */
  resetStatus(): void;
  getStatus(): UpdateEngineStatus;
}

export class UpdateEngineError extends Error {
  override name = 'UpdateEngineError';
  constructor(
    readonly dbusName: (typeof UpdateEngineErrorName)[keyof typeof UpdateEngineErrorName],
    message: string,
  ) {
    super(message);
  }
}

function asDBusError(error: unknown): dbus.DBusError {
  if (error instanceof UpdateEngineError) return new dbus.DBusError(error.dbusName, error.message);
  return new dbus.DBusError(UpdateEngineErrorName.Failed, (error as Error).message);
}

/** The exported object. Members are configured below with configureMembers: dbus-next's decorators do not work under TypeScript. */
class UpdateEngineInterface extends dbus.interface.Interface {
  constructor(private readonly handlers: UpdateEngineHandlers) {
    super(UPDATE_ENGINE_INTERFACE);
  }

  AttemptUpdate(): void {
    try {
      this.handlers.attemptUpdate();
    } catch (error) {
      throw asDBusError(error);
    }
  }

  ResetStatus(): void {
    try {
      this.handlers.resetStatus();
    } catch (error) {
      throw asDBusError(error);
    }
  }

  GetStatus(): StatusWire {
    try {
      return statusToWire(this.handlers.getStatus());
    } catch (error) {
      throw asDBusError(error);
    }
  }

  /** The signal emitter: calling it sends StatusUpdate with the returned body. */
  StatusUpdate(status: UpdateEngineStatus): StatusWire {
    return statusToWire(status);
  }
}

UpdateEngineInterface.configureMembers({
  methods: {
    AttemptUpdate: { inSignature: '', outSignature: '' },
    ResetStatus: { inSignature: '', outSignature: '' },
    GetStatus: { inSignature: '', outSignature: STATUS_SIGNATURE },
  },
  signals: { StatusUpdate: { signature: STATUS_SIGNATURE } },
});

export class BusNameTakenError extends Error {
  override name = 'BusNameTakenError';
  readonly code = 'MC_ERR_DBUS_NAME_TAKEN';
  constructor(readonly busName: string) {
    super(`${busName} is already owned on this bus: is another updaterd running?`);
  }
}

export interface ExportedUpdateEngine {
  /** Sends StatusUpdate: on every state change, on download progress, and once at start-up. */
  emitStatus(status: UpdateEngineStatus): void;
  /** Releases the name and unexports the object (the bus connection stays the caller's). */
  close(): Promise<void>;
}

/**
 * Exports the interface at its object path and takes the well-known name (without queueing: a
 * second updaterd must fail, not wait). The bus policy decides who may own and call it.
 */
export async function exportUpdateEngine(bus: MessageBus, handlers: UpdateEngineHandlers, busName = UPDATE_ENGINE_BUS_NAME): Promise<ExportedUpdateEngine> {
  const iface = new UpdateEngineInterface(handlers);
  bus.export(UPDATE_ENGINE_OBJECT_PATH, iface);
  const reply = await bus.requestName(busName, dbus.NameFlag.DO_NOT_QUEUE);
  if (reply !== dbus.RequestNameReply.PRIMARY_OWNER && reply !== dbus.RequestNameReply.ALREADY_OWNER) {
    bus.unexport(UPDATE_ENGINE_OBJECT_PATH, iface);
    throw new BusNameTakenError(busName);
  }
  return {
    emitStatus: (status) => {
      iface.StatusUpdate(status);
    },
    close: async () => {
      bus.unexport(UPDATE_ENGINE_OBJECT_PATH, iface);
      await bus.releaseName(busName).catch(() => undefined);
    },
  };
}
