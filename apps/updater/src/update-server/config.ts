import { boolean, defineConfig, string } from '@minicore/config';

export const updateServerConfig = defineConfig({
  program: 'update-server',
  summary: 'An Omaha v3 update server for Minicore releases (POST /v1/update/), with channels, groups, rollout policy and a JSON admin API under /api (bearer token).',
  envPrefix: 'UPDATE_SERVER',
  fields: {
    listen: string({ description: 'Address to listen on', default: '127.0.0.1:4005' }),
    dataDir: string({ description: 'Where packages and the LevelDB state live' }),
    adminToken: string({ description: 'Bearer token for the admin API' }),
    trustedKey: string({ description: 'Public key uploads must be signed with (empty: hashes are checked, the signature is not)', default: '' }),
    publicUrl: string({ description: 'Base URL machines download packages from (empty: the Host header of each request)', default: '' }),
    disableUpdatesOnFailedRollout: boolean({ description: 'Switch a group off when the first instance to try a version fails', default: false }),
    debug: boolean({ description: 'Debug logs', default: false }),
  },
});
