import type { FastifyInstance } from 'fastify';

/** One named check; resolves to true when healthy, or to a reason string when not. */
export type HealthCheck = () => Promise<true | string> | true | string;

export interface HealthReport {
  health: 'true' | 'false';
  checks: Record<string, { ok: boolean; reason?: string }>;
}

/**
 * `GET /health` in etcd's shape (`{"health":"true"}`), with the result of each check beside it:
 * 200 when every check passes, 503 with the failing reasons otherwise. A check that throws or takes
 * longer than the timeout counts as failed.
 */
export function installHealth(app: FastifyInstance, checks: Record<string, HealthCheck>, timeoutMs = 2000): void {
  app.get('/health', { logLevel: 'warn' }, async (_request, reply) => {
    const report = await runHealthChecks(checks, timeoutMs);
    return reply.code(report.health === 'true' ? 200 : 503).send(report);
  });
}

export async function runHealthChecks(checks: Record<string, HealthCheck>, timeoutMs: number): Promise<HealthReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => [name, await runOne(check, timeoutMs)] as const),
  );
  const healthy = entries.every(([, result]) => result.ok);
  return { health: healthy ? 'true' : 'false', checks: Object.fromEntries(entries) };
}

async function runOne(check: HealthCheck, timeoutMs: number): Promise<{ ok: boolean; reason?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    const result = await Promise.race([Promise.resolve().then(check), timeout]);
    return result === true ? { ok: true } : { ok: false, reason: result };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
