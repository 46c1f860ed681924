import { Readable } from 'node:stream';
import { Type, type HttpServer } from '@minicore/http';
import type { UnitBackend } from '../agent/backend.js';
import { BadRequest, UnitNotFound } from './errors.js';

/**
 * Minicore's own per-machine endpoints (not fleet's): what `schedctl status` and `journal` read from
 * the agent that runs the unit, instead of fleetctl's SSH to the machine.
 */
export function installAgentRoutes(app: HttpServer, options: { backend: UnitBackend; machineId: string }): void {
  const params = Type.Object({ name: Type.String({ minLength: 1 }) });
  app.get('/minicore/v1/units/:name/status', { schema: { params } }, async (request) => {
    const status = options.backend.status(request.params.name);
    if (!status) throw UnitNotFound();
    return { machineID: options.machineId, backend: options.backend.kind, ...status };
  });
  // Followers end when schedulerd closes, or its close would wait on them until the grace period ends.
  const following = new Set<AbortController>();
  app.addHook('preClose', async () => {
    for (const stop of following) stop.abort();
  });
  const journalQuery = Type.Object({
    lines: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    follow: Type.Optional(Type.Boolean()),
  });
  app.get('/minicore/v1/units/:name/journal', { schema: { params, querystring: journalQuery } }, async (request, reply) => {
    const { name } = request.params;
    if (!options.backend.status(name)) throw UnitNotFound();
    const lines = request.query.lines ?? 10;
    if (!request.query.follow) return { machineID: options.machineId, lines: await options.backend.journal(name, lines) };
    const follow = options.backend.followJournal?.bind(options.backend);
    if (!follow) throw BadRequest(`the ${options.backend.kind} backend cannot follow a journal`);
    // `journal -f`: plain text, one line per log line, for as long as the client stays.
    const stop = new AbortController();
    following.add(stop);
    reply.raw.once('close', () => stop.abort());
    const body = Readable.from(
      (async function* () {
        try {
          for await (const line of follow(name, lines, stop.signal)) yield `${line}\n`;
        } finally {
          following.delete(stop);
        }
      })(),
    );
    // The connection serves this one stream: no keep-alive socket outlives it.
    return reply.type('text/plain; charset=utf-8').header('connection', 'close').send(body);
  });
}
