/**
 * Where Minicore keeps its coordination data in kv. Every key layout that more than one process
 * (or a tool of the original CoreOS) reads is spelled here, once.
 */
export const minicoreKeys = {
  /** Root of Minicore's own keys; user data lives anywhere else. */
  root: '/_minicore',
  /** A distributed mutex: in-order keys under this directory, the lowest one holds the lock. */
  lock: (name: string): string => `/_minicore/locks/${segment(name)}`,
  /** A leader election: one key whose value is the current leader. */
  election: (name: string): string => `/_minicore/elections/${segment(name)}`,
  /**
   * Service announcements, CoreOS's sidekick convention: runnerd keeps one key per service and
   * machine, `/services/<service>/<machine-id>`, holding `{"host","port","container"}` with a TTL.
   */
  services: '/services',
  /** The directory of every machine's announcement of `service` (what a client lists or watches). */
  serviceDir: (service: string): string => `/services/${segment(service, 'service name')}`,
  /** The key `machineId` keeps while it runs `service`. */
  service: (service: string, machineId: string): string => `/services/${segment(service, 'service name')}/${segment(machineId, 'machine id')}`,
  /**
   * locksmith's reboot semaphore (default group), byte for byte, so that a real locksmithctl pointed
   * at kv sees the same lock as updaterd's reboot manager.
   */
  rebootLock: '/coreos.com/updateengine/rebootlock/semaphore',
} as const;

function segment(name: string, what = 'name'): string {
  if (name === '' || name.includes('/')) throw new TypeError(`"${name}" is not a valid ${what}: use a non-empty name without "/"`);
  return name;
}
