import { FailoverTransport, type FetchFunction } from './http-transport.js';
import { plainRequest } from './keys-request.js';
import type { KvEndpointHealth } from './types.js';

/** GET `<endpoint>/health`: etcd answers `{"health":"true"}` when the member has a leader and can commit. */
export async function checkEndpointHealth(endpoint: string, options: { timeoutMs?: number; fetch?: FetchFunction | undefined } = {}): Promise<KvEndpointHealth> {
  try {
    const answer = await new FailoverTransport([endpoint], options.timeoutMs ?? 5_000, options.fetch).send(plainRequest('GET', '/health'));
    let health: unknown;
    try {
      health = (JSON.parse(answer.body) as { health?: unknown }).health;
    } catch {
      health = undefined;
    }
    if (answer.status === 200 && (health === 'true' || health === true)) return { endpoint, healthy: true };
    return { endpoint, healthy: false, reason: `HTTP ${answer.status} ${answer.body.trim()}` };
  } catch (error) {
    return { endpoint, healthy: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
