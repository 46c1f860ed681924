import {
  decodePageToken,
  defaultTokenLimit,
  discoveryDocument,
  fleetApiPrefix,
  fromUnitOptions,
  isDesiredState,
  pageOf,
  PageTokenError,
  UnitSchema,
  type MachineJson,
  type PageToken,
  type UnitJson,
  type UnitStateJson,
} from '@minicore/fleet-api';
import { Type, type HttpServer } from '@minicore/http';
import { parseUnitName, unitHash, unitNameProblem, unitOptionsProblem } from '@minicore/unit-file';
import { toUnitOptions } from '@minicore/fleet-api';
import { currentState, type ClusterUnit, type ClusterUnitState } from '../registry/model.js';
import type { Registry } from '../registry/registry.js';
import { asApiError, BadRequest, Conflict, MethodNotAllowed, PathNotFound, UnitNotFound, UnitStateNotFound, UnsupportedMediaType } from './errors.js';

export interface FleetRoutesOptions {
  registry: Registry;
  /** fleet's token_limit: items per page. */
  tokenLimit?: number;
}

const allMethods = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'] as const;
type Method = (typeof allMethods)[number];

function unitJson(unit: ClusterUnit, states: readonly ClusterUnitState[], listing: boolean): UnitJson {
  const json: UnitJson = { name: unit.name, options: fromUnitOptions(unit.options), desiredState: unit.desiredState };
  if (unit.requirements.global) {
    // fleet: a list shows global units as inactive; a single GET leaves the field out.
    if (listing) json.currentState = 'inactive';
    return json;
  }
  json.currentState = currentState(unit, states);
  if (unit.target) json.machineID = unit.target;
  return json;
}

function stateJson(state: ClusterUnitState): UnitStateJson {
  return {
    name: state.name,
    hash: state.record.unitHash,
    machineID: state.machineId,
    systemdLoadState: state.record.loadState,
    systemdActiveState: state.record.activeState,
    systemdSubState: state.record.subState,
  };
}

/** fleet's v1 API (api/*.go) over the registry, mounted at /fleet/v1. */
export function installFleetRoutes(app: HttpServer, options: FleetRoutesOptions): void {
  const { registry } = options;
  const limit = options.tokenLimit ?? defaultTokenLimit;
  const path = (suffix: string) => `${fleetApiPrefix}${suffix}`;

  function pageToken(query: unknown): PageToken {
    const raw = (query as Record<string, unknown>)['nextPageToken'];
    if (raw === undefined) return { limit, page: 1 };
    if (typeof raw !== 'string') throw BadRequest('nextPageToken given more than once');
    try {
      return decodePageToken(raw, limit);
    } catch (error) {
      if (error instanceof PageTokenError) throw BadRequest(error.message);
      throw error;
    }
  }

  function methodNotAllowed(url: string, allowed: readonly Method[], status405 = true): void {
    const others = allMethods.filter((method) => !allowed.includes(method) && !(method === 'GET' && allowed.includes('GET')));
    if (others.length === 0) return;
    app.route({
      method: [...others],
      url,
      handler: async () => {
        throw status405 ? MethodNotAllowed() : BadRequest('');
      },
    });
  }

  app.addHook('onSend', async (_request, reply) => {
    void reply.header('server', 'fleetd/0.1.0-minicore');
  });

  // An empty name is a path ending in "/" (`/units/`): fleet answers 404 there.
  const unitParams = Type.Object({ name: Type.String() });
  const nameOf = (params: { name: string }): string => {
    if (params.name === '') throw PathNotFound();
    return params.name;
  };

  app.get(path('/units'), async (request) => {
    try {
      const token = pageToken(request.query);
      const { units, states } = await registry.snapshot();
      const sorted = [...units.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
      const page = pageOf(sorted, token);
      return { ...(page.items.length > 0 ? { units: page.items.map((unit) => unitJson(unit, states, true)) } : {}), ...(page.next ? { nextPageToken: page.next } : {}) };
    } catch (error) {
      throw asApiError(error);
    }
  });

  app.get(path('/units/:name'), { schema: { params: unitParams } }, async (request) => {
    try {
      const name = nameOf(request.params);
      // A name no unit can have (`..`, `a/b`) names no unit: 404, as for any unknown unit.
      if (unitNameProblem(name)) throw UnitNotFound();
      const unit = await registry.unit(name);
      if (!unit) throw UnitNotFound();
      return unitJson(unit, unit.target ? await registry.states() : [], false);
    } catch (error) {
      throw asApiError(error);
    }
  });

  // fleet wants exactly one Content-Type, application/json; fastify alone would also parse text/plain.
  const requireJson = async (request: { headers: Record<string, string | string[] | undefined> }) => {
    const type = request.headers['content-type'];
    if (typeof type !== 'string' || type.split(';')[0]?.trim().toLowerCase() !== 'application/json') throw UnsupportedMediaType();
  };

  app.put(path('/units/:name'), { schema: { params: unitParams, body: UnitSchema }, preValidation: requireJson }, async (request, reply) => {
    try {
      const name = nameOf(request.params);
      const body = request.body;
      if (body.name && body.name !== name) throw BadRequest(`name in URL (${name}) differs from unit name in request body (${body.name})`);
      const nameProblem = unitNameProblem(name);
      if (nameProblem) throw BadRequest(nameProblem);
      if (body.desiredState !== undefined && !isDesiredState(body.desiredState)) throw BadRequest(`invalid desiredState "${body.desiredState}": expected inactive, loaded or launched`);
      const desired = body.desiredState !== undefined && isDesiredState(body.desiredState) ? body.desiredState : undefined;
      const isTemplate = parseUnitName(name).isTemplate;
      const existing = await registry.unit(name);
      const options = toUnitOptions(body.options ?? []);
      if (options.length > 0 && (!existing || existing.hash !== unitHash(options))) {
        const problem = unitOptionsProblem(options, name);
        if (problem) throw BadRequest(problem);
        if (isTemplate && (desired ?? 'inactive') !== 'inactive') throw BadRequest(`cannot activate template "${name}"`);
        await registry.putUnit(name, options, desired ?? 'inactive');
        return reply.code(201).send();
      }
      if (!existing) throw Conflict('unit does not exist and options field empty');
      if (desired === undefined) throw Conflict('must provide DesiredState to update existing unit');
      if (isTemplate && desired !== 'inactive') throw BadRequest(`cannot activate template "${name}"`);
      await registry.setDesiredState(name, desired);
      return reply.code(204).send();
    } catch (error) {
      throw asApiError(error);
    }
  });

  app.delete(path('/units/:name'), { schema: { params: unitParams } }, async (request, reply) => {
    try {
      const name = nameOf(request.params);
      if (unitNameProblem(name) || !(await registry.deleteUnit(name))) throw UnitNotFound();
      return reply.code(204).send();
    } catch (error) {
      throw asApiError(error);
    }
  });

  app.get(path('/state'), async (request) => {
    try {
      const token = pageToken(request.query);
      const query = request.query as Record<string, unknown>;
      const filter = (key: string): string | undefined => {
        const value = query[key];
        if (value !== undefined && typeof value !== 'string') throw BadRequest(`${key} given more than once`);
        return value === '' ? undefined : value;
      };
      const machineID = filter('machineID');
      const unitName = filter('unitName');
      const states = (await registry.states()).filter((state) => (machineID === undefined || state.machineId === machineID) && (unitName === undefined || state.name === unitName));
      const page = pageOf(states, token);
      return { ...(page.items.length > 0 ? { states: page.items.map(stateJson) } : {}), ...(page.next ? { nextPageToken: page.next } : {}) };
    } catch (error) {
      throw asApiError(error);
    }
  });

  app.get(path('/state/:name'), { schema: { params: unitParams } }, async (request) => {
    try {
      const state = (await registry.states()).find((candidate) => candidate.name === nameOf(request.params));
      if (!state) throw UnitStateNotFound();
      return stateJson(state);
    } catch (error) {
      throw asApiError(error);
    }
  });

  app.get(path('/machines'), async (request) => {
    try {
      const token = pageToken(request.query);
      const machines = [...(await registry.machines()).values()].sort((a, b) => (a.id < b.id ? -1 : 1));
      const page = pageOf(machines, token);
      const json = page.items.map((machine): MachineJson => ({
        id: machine.id,
        ...(machine.publicIP ? { primaryIP: machine.publicIP } : {}),
        ...(Object.keys(machine.metadata).length > 0 ? { metadata: machine.metadata } : {}),
      }));
      return { ...(json.length > 0 ? { machines: json } : {}), ...(page.next ? { nextPageToken: page.next } : {}) };
    } catch (error) {
      throw asApiError(error);
    }
  });

  app.get(path('/discovery'), async () => discoveryDocument);

  methodNotAllowed(path('/units'), ['GET']);
  methodNotAllowed(path('/units/:name'), ['GET', 'PUT', 'DELETE']);
  methodNotAllowed(path('/state'), ['GET']);
  methodNotAllowed(path('/state/:name'), ['GET']);
  methodNotAllowed(path('/machines'), ['GET']);
  methodNotAllowed(path('/discovery'), ['GET'], false);
  methodNotAllowed(fleetApiPrefix, []);
  methodNotAllowed('/', []);
}
