/**
 * The kv layout of service announcements (CoreOS's sidekick convention): one key per service and
 * machine, `/services/<service>/<machine-id>`, holding a ServiceEndpoint as JSON, with a TTL.
 *
 * This belongs next to `minicoreKeys` in @minicore/kv-client (every kv key layout in one lib); it
 * lives here until it moves, and nothing else in runnerd spells these paths.
 */
export const SERVICES_ROOT = '/services';

function segment(name: string, what: string): string {
  if (name === '' || name.includes('/')) throw new TypeError(`"${name}" is not a valid ${what}: use a non-empty name without "/"`);
  return name;
}

/** The directory of every machine's announcement of `service`. */
export function serviceDir(service: string): string {
  return `${SERVICES_ROOT}/${segment(service, 'service name')}`;
}

/** The key `machineId` keeps while it runs `service`. */
export function serviceKey(service: string, machineId: string): string {
  return `${serviceDir(service)}/${segment(machineId, 'machine id')}`;
}
