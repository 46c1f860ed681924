import { boolean, defineConfig, duration, integer, keyValues, oneOf, string, urlList, type ConfigOf } from '@minicore/config';
import { defaultKeyPrefix } from '@minicore/fleet-api';
import { unitBackendChoices } from './unit-backend.js';

export const schedulerdConfig = defineConfig({
  program: 'schedulerd',
  summary:
    "schedulerd is Minicore's fleet: every machine runs one. Its agent registers the machine in kv and\n" +
    'runs the units placed on it; its engine (one machine at a time, elected in kv) places units on\n' +
    "machines. It serves fleet's v1 HTTP API; schedctl is its CLI.",
  envPrefix: 'SCHEDULERD',
  fields: {
    kvEndpoints: urlList({ description: 'kv (kvd or etcd) client URLs', default: ['http://127.0.0.1:2379'] }),
    machineId: string({ description: "This machine's id (default: /etc/machine-id, else <data-dir>/machine-id, created once)", default: '', pattern: /^[A-Za-z0-9_.-]+$/, expected: 'letters, digits, _ . -' }),
    metadata: keyValues({ description: 'Machine metadata for MachineMetadata= constraints, e.g. region=eu,disk=ssd', default: {} }),
    publicIp: string({ description: "The address other machines and people reach this one at (default: the first non-loopback IPv4, else 127.0.0.1)", default: '' }),
    apiListen: string({ description: "Address of fleet's HTTP API (HOST:PORT or a unix socket path)", default: '127.0.0.1:4002' }),
    unitBackend: oneOf(unitBackendChoices, { description: 'How units run: systemd (over D-Bus; needs systemd as init, and root), exec (supervised processes), or auto: systemd when /run/systemd/system exists and the system bus answers, else exec', default: 'auto' }),
    dataDir: string({ description: 'Where schedulerd keeps its machine id, unit files, pid files and logs', default: 'schedulerd.data' }),
    keyPrefix: string({ description: 'kv prefix of the scheduler keys', default: defaultKeyPrefix }),
    agentTtl: duration({ description: "How long the machine's presence and unit states live without a heartbeat (fleet's agent_ttl)", default: 30_000 }),
    agentReconcileInterval: duration({ description: 'How often the agent reconciles without a kv change', default: 5_000 }),
    engineReconcileInterval: duration({ description: "How often the engine reconciles without a kv change; its leadership lives five of these (fleet's engine_reconcile_interval)", default: 2_000 }),
    disableEngine: boolean({ description: 'Never compete for engine leadership' }),
    placement: oneOf(['units', 'load'] as const, { description: "How the engine picks a machine: units (fleet's rule, the fewest units) or load (the least busy by reported load average and free memory, units as the tiebreak)", default: 'units' }),
    tokenLimit: integer({ description: 'Items per page of the API (fleet token_limit)', min: 1, max: 65535, default: 100 }),
    debug: boolean({ description: 'Log at debug level' }),
  },
});

export type SchedulerdConfig = ConfigOf<typeof schedulerdConfig.fields>;
