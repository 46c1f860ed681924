import http from 'node:http';

/** The engine's socket: DOCKER_HOST=unix://PATH when set (as the docker CLI reads it), else the default. */
export function dockerSocket(environment: NodeJS.ProcessEnv = process.env): string {
  const host = environment['DOCKER_HOST'];
  if (host === undefined || host === '') return '/var/run/docker.sock';
  if (!host.startsWith('unix://')) throw new Error(`DOCKER_HOST=${host}: the runner benchmark talks to a local engine over its unix socket only`);
  return host.slice('unix://'.length);
}

/** One container event as the benchmark needs it: engine time in ms since the epoch. */
export interface BenchEvent {
  action: string;
  id: string;
  atMs: number;
}

/**
 * The few engine calls the benchmark makes itself, straight over the socket: it measures runnerd
 * from the outside, with nothing of runnerd's own code between it and the engine.
 */
export class BenchEngine {
  constructor(readonly socketPath: string) {}

  request(method: string, path: string, body?: unknown, timeoutMs = 60_000): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        { socketPath: this.socketPath, path, method, headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`engine ${method} ${path} timed out`)));
      req.on('error', (error: NodeJS.ErrnoException) => reject(new Error(`Docker engine unreachable at ${this.socketPath}: ${error.code ?? error.message}`)));
      req.end(payload);
    });
  }

  async ping(): Promise<void> {
    const answer = await this.request('GET', '/_ping', undefined, 5000);
    if (answer.status !== 200) throw new Error(`Docker engine at ${this.socketPath} answered ${answer.status} to /_ping`);
  }

  async imageExists(image: string): Promise<boolean> {
    return (await this.request('GET', `/images/${encodeURIComponent(image)}/json`)).status === 200;
  }

  /** Ids of the containers carrying `label` (KEY=VALUE), running or not. */
  async containersLabelled(label: string, runningOnly = false): Promise<string[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: [label], ...(runningOnly ? { status: ['running'] } : {}) }));
    const answer = await this.request('GET', `/containers/json?all=true&filters=${filters}`);
    if (answer.status !== 200) throw new Error(`listing containers: ${answer.status} ${answer.text.slice(0, 200)}`);
    return (JSON.parse(answer.text) as { Id: string }[]).map((c) => c.Id);
  }

  async isRunning(id: string): Promise<boolean> {
    const answer = await this.request('GET', `/containers/${id}/json`);
    return answer.status === 200 && (JSON.parse(answer.text) as { State: { Running: boolean } }).State.Running;
  }

  /** `docker run -d` through the API: create, then start; returns the id. */
  async run(config: Record<string, unknown>): Promise<string> {
    const created = await this.request('POST', '/containers/create', config);
    if (created.status !== 201) throw new Error(`create: ${created.status} ${created.text.slice(0, 200)}`);
    const id = (JSON.parse(created.text) as { Id: string }).Id;
    const started = await this.request('POST', `/containers/${id}/start`);
    if (started.status !== 204) throw new Error(`start ${id.slice(0, 12)}: ${started.status} ${started.text.slice(0, 200)}`);
    return id;
  }

  /** The host pid of the container's main process (0 when it is not running). */
  async pid(id: string): Promise<number> {
    const answer = await this.request('GET', `/containers/${id}/json`);
    if (answer.status !== 200) throw new Error(`inspect ${id.slice(0, 12)}: ${answer.status} ${answer.text.slice(0, 200)}`);
    return (JSON.parse(answer.text) as { State: { Pid: number } }).State.Pid;
  }

  async remove(id: string): Promise<void> {
    const answer = await this.request('DELETE', `/containers/${id}?force=true&v=true`);
    if (answer.status !== 204 && answer.status !== 404) throw new Error(`remove ${id.slice(0, 12)}: ${answer.status} ${answer.text.slice(0, 200)}`);
  }

  /** Removes every container carrying `label`, a few at a time; returns how many went. */
  async removeLabelled(label: string, parallel = 8): Promise<number> {
    const ids = await this.containersLabelled(label);
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++] as string;
        await this.remove(id).catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, ids.length) }, worker));
    return ids.length;
  }

  /** The engine's container events for `label` as they come; `close()` ends the stream. */
  events(label: string, onEvent: (event: BenchEvent) => void): Promise<{ close(): void }> {
    const filters = encodeURIComponent(JSON.stringify({ type: ['container'], label: [label] }));
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath: this.socketPath, path: `/events?filters=${filters}`, method: 'GET' }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`engine events: ${res.statusCode}`));
          res.resume();
          return;
        }
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let newline;
          while ((newline = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (line === '') continue;
            const raw = JSON.parse(line) as { Action?: string; status?: string; id?: string; Actor?: { ID?: string }; timeNano?: number; time?: number };
            onEvent({ action: raw.Action ?? raw.status ?? '', id: raw.Actor?.ID ?? raw.id ?? '', atMs: raw.timeNano !== undefined ? raw.timeNano / 1e6 : (raw.time ?? 0) * 1000 });
          }
        });
        res.on('error', () => undefined);
        resolve({ close: () => req.destroy() });
      });
      req.on('error', (error) => reject(new Error(`engine events at ${this.socketPath}: ${error.message}`)));
      req.end();
    });
  }
}
