import http from 'node:http';

export interface HttpAnswer {
  status: number;
  body: string;
}

/** One HTTP request on `agent`, failing after `timeoutMs`. */
export function request(
  url: string,
  options: { method?: string; body?: string; agent?: http.Agent; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    const req = http.request(url, { method: options.method ?? 'GET', agent: options.agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 5000, () => req.destroy(new Error(`${options.method ?? 'GET'} ${url} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

export async function getJson<T>(url: string, agent?: http.Agent, timeoutMs = 2000): Promise<T> {
  const answer = await request(url, { agent, timeoutMs });
  if (answer.status !== 200) throw new Error(`GET ${url}: ${answer.status} ${answer.body.slice(0, 200)}`);
  return JSON.parse(answer.body) as T;
}

export function putValue(baseUrl: string, key: string, value: string, agent?: http.Agent, timeoutMs = 5000): Promise<HttpAnswer> {
  return request(`${baseUrl}/v2/keys/${key}`, { method: 'PUT', body: `value=${encodeURIComponent(value)}`, agent, timeoutMs });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
