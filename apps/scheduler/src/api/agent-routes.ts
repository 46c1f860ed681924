import { Type, type HttpServer } from '@minicore/http';
import type { UnitBackend } from '../agent/backend.js';
import { UnitNotFound } from './errors.js';

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
  app.get('/minicore/v1/units/:name/journal', { schema: { params, querystring: Type.Object({ lines: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })) }) } }, async (request) => {
    if (!options.backend.status(request.params.name)) throw UnitNotFound();
    return { machineID: options.machineId, lines: await options.backend.journal(request.params.name, request.query.lines ?? 10) };
  });
}
