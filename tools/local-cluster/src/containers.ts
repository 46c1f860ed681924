import { request } from 'node:http';
import { ownedBy } from '@minicore/runner-labels';

function engine(socket: string, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, timeout: 30_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`Docker engine: ${method} ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * What powering a machine off does to its containers: they stop (SIGTERM, then SIGKILL after
 * `graceSeconds`), as on a real machine, where runnerd then restarts them at the next boot per
 * their restart policy. Only containers of this machine are touched. Returns how many were stopped.
 */
export async function stopMachineContainers(socket: string, machine: string, graceSeconds = 5): Promise<number> {
  // The local machines share one Docker engine: runnerd's labels tell one machine's containers from another's.
  const filters = encodeURIComponent(JSON.stringify({ label: ownedBy(machine), status: ['running', 'restarting', 'paused'] }));
  const listed = await engine(socket, 'GET', `/containers/json?filters=${filters}`);
  if (listed.status !== 200) throw new Error(`Docker engine: listing ${machine}'s containers answered ${listed.status}: ${listed.body}`);
  const ids = (JSON.parse(listed.body) as { Id: string }[]).map((container) => container.Id);
  const stopped = await Promise.all(ids.map(async (id) => (await engine(socket, 'POST', `/containers/${id}/stop?t=${graceSeconds}`)).status));
  return stopped.filter((status) => status === 204 || status === 304).length;
}
