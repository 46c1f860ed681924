import { boolean, defineConfig, duration, list, string, type ConfigOf } from '@minicore/config';

export const runnerdConfig = defineConfig({
  program: 'runnerd',
  summary:
    "runnerd runs this machine's containers on its Docker engine and keeps them running: restart\n" +
    'policies applied from the engine event stream, with backoff. runctl is its CLI.',
  envPrefix: 'RUNNERD',
  fields: {
    listen: string({ description: 'Address of the HTTP API (HOST:PORT or a unix socket path)', default: '127.0.0.1:4003' }),
    dockerSocket: string({ description: "The Docker engine's unix socket", default: '/var/run/docker.sock' }),
    kvEndpoints: list({ description: "This machine's kv (kvd or etcd) client URLs, for service announcements and the containers' kv", default: ['http://127.0.0.1:2379'] }),
    announceTtl: duration({ description: 'TTL of service announcements in kv (whole seconds; refreshed every third of it)', default: 10_000 }),
    advertiseHost: string({ description: 'The address other machines reach this machine at: announced with published ports', default: '127.0.0.1' }),
    containerKvListen: string({
      description: 'Where containers reach kv (KV_ENDPOINT, ETCDCTL_ENDPOINTS): HOST:PORT, HOST "bridge" for the docker bridge gateway; runnerd forwards it to --kv-endpoints. "off": none',
      default: 'bridge:2379',
      pattern: /^(off|[A-Za-z0-9.-]+:\d{1,5})$/,
      expected: 'HOST:PORT or off',
    }),
    machineId: string({ description: 'This machine\'s id: labels its containers (default: /etc/machine-id, else the host name)', default: '', pattern: /^[A-Za-z0-9_.-]+$/, expected: 'letters, digits, _ . -' }),
    dataDir: string({ description: 'Where runnerd keeps its state (default: ./<machine-id>.runnerd)', default: '' }),
    restartBackoff: duration({ description: 'Delay before the first restart of a failed container; doubles per restart', default: 100 }),
    restartBackoffMax: duration({ description: 'Longest delay between restarts', default: 30_000 }),
    restartResetAfter: duration({ description: 'A container running this long before it dies restarts after the first delay again', default: 10_000 }),
    debug: boolean({ description: 'Log at debug level' }),
  },
});

export type RunnerdConfig = ConfigOf<typeof runnerdConfig.fields>;
