import dbus from 'dbus-next';

export type MessageBus = dbus.MessageBus;

export const SYSTEM_BUS_SOCKET = '/run/dbus/system_bus_socket';

/** The address a connection will use: the one given, DBUS_SYSTEM_BUS_ADDRESS, or the standard socket. */
export function systemBusAddress(address?: string): string {
  return address || process.env['DBUS_SYSTEM_BUS_ADDRESS'] || `unix:path=${SYSTEM_BUS_SOCKET}`;
}

/**
 * A connected bus. dbus-next connects lazily and reports failures only as `error` events (calls
 * made meanwhile would wait forever), so this waits for the Hello reply or the first error, bounded,
 * and keeps an `error` listener so a later socket failure cannot crash the process.
 */
export async function connectSystemBus(options: { address?: string | undefined; timeoutMs?: number } = {}): Promise<MessageBus> {
  const address = systemBusAddress(options.address);
  const bus = dbus.sessionBus({ busAddress: address });
  const timeoutMs = options.timeoutMs ?? 5000;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`cannot connect to the system bus at ${address}: no answer within ${timeoutMs} ms`)), timeoutMs);
      bus.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      bus.once('error', (error: unknown) => {
        clearTimeout(timer);
        reject(new Error(`cannot connect to the system bus at ${address}: ${(error as Error).message}`));
      });
    });
  } catch (error) {
    bus.disconnect();
    throw error;
  }
  bus.on('error', () => undefined);
  return bus;
}
