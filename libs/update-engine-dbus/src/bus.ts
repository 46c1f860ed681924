import dbus from 'dbus-next';

export type MessageBus = dbus.MessageBus;

export interface ConnectOptions {
  /** A D-Bus address (`unix:path=…`); empty or absent: the system bus (DBUS_SYSTEM_BUS_ADDRESS or /var/run/dbus/system_bus_socket). */
  address?: string | undefined;
  /** Bound on the connection and the Hello exchange. Default 5000. */
  timeoutMs?: number;
}

/** Why a bus could not be reached, with the address tried, for a one-line message to the operator. */
export class BusConnectError extends Error {
  override name = 'BusConnectError';
  readonly code = 'MC_ERR_DBUS_CONNECT';
  constructor(
    readonly address: string,
    reason: string,
  ) {
    super(`cannot connect to D-Bus at ${address}: ${reason}`);
  }
}

export function describeAddress(address: string | undefined): string {
  return address || process.env['DBUS_SYSTEM_BUS_ADDRESS'] || 'unix:path=/var/run/dbus/system_bus_socket (system bus)';
}

/**
 * A connected MessageBus. dbus-next connects lazily and reports failures only as `error` events
 * (calls made meanwhile would wait forever), so this waits for the Hello reply or the first error,
 * bounded, and keeps an `error` listener so a later socket failure cannot crash the process.
 */
export async function connectBus(options: ConnectOptions = {}): Promise<MessageBus> {
  const address = describeAddress(options.address);
  const bus = options.address ? dbus.sessionBus({ busAddress: options.address }) : dbus.systemBus();
  const timeoutMs = options.timeoutMs ?? 5000;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new BusConnectError(address, `no answer within ${timeoutMs} ms`)), timeoutMs);
      bus.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      bus.once('error', (error: unknown) => {
        clearTimeout(timer);
        reject(new BusConnectError(address, (error as Error).message));
      });
    });
  } catch (error) {
    bus.disconnect();
    throw error;
  }
  bus.on('error', () => undefined);
  return bus;
}
