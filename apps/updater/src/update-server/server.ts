import { createHash, timingSafeEqual, type KeyObject } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHttpServer, HttpError, Type, type HttpServer } from '@minicore/http';
import type { Logger } from '@minicore/log';
import { InstanceStatus, MINICORE_APP_ID, OmahaXmlError, buildResponse, decodeErrorCode, instanceStatusName, parseRequest } from '@minicore/omaha';
import { ReleaseError, describeFile, readBundle } from '@minicore/release';
import {
  ADMIN_PREFIX,
  CreateChannelBody,
  CreateGroupBody,
  OMAHA_PATH,
  PACKAGES_PREFIX,
  PromoteChannelBody,
  UpdateGroupBody,
  defaultPolicy,
  type GroupRecord,
  type PackageRecord,
  type RolloutPolicy,
  type RolloutStatus,
} from '../api/types.js';
import { AlreadyExists, InvalidTimezone, MalformedOmahaRequest, NoSuchApplication, NoSuchChannel, NoSuchGroup, NoSuchInstance, NoSuchPackage, RangeNotSatisfiable, TrackTaken, Unauthorized } from './errors.js';
import { appKey, handleOmahaRequest, type OmahaContext } from './omaha-handler.js';
import { VALIDITY_INTERVAL_MS, computeStats, isValidTimezone } from './policy.js';
import { parseRange } from './range.js';
import { ServerStore } from './store.js';

export interface UpdateServerOptions {
  dataDir: string;
  adminToken: string;
  logger: Logger;
  /** When set, uploads must be signed by this key. */
  trustedKey?: KeyObject;
  /** Base URL machines download from; the request's Host header when absent. */
  publicUrl?: string;
  disableUpdatesOnFailedRollout?: boolean;
  now?: () => Date;
}

export interface UpdateServer {
  app: HttpServer;
  store: ServerStore;
  close(): Promise<void>;
}

const AppQuery = Type.Object({ app: Type.Optional(Type.String()) });

/** As Nebraska's UI shows a code: `RollbackError`, `PayloadHashMismatchError with TestOmahaUrlFlag`. */
function describeErrorCode(code: number): string {
  const decoded = decodeErrorCode(code);
  return [decoded.name, ...decoded.flags.map((flag) => `${flag}Flag`)].join(' with ');
}

export async function createUpdateServer(options: UpdateServerOptions): Promise<UpdateServer> {
  const now = options.now ?? (() => new Date());
  const packagesDir = path.join(options.dataDir, 'packages');
  const uploadsDir = path.join(options.dataDir, 'uploads');
  await mkdir(packagesDir, { recursive: true });
  await rm(uploadsDir, { recursive: true, force: true });
  await mkdir(uploadsDir, { recursive: true });
  const store = await ServerStore.open(path.join(options.dataDir, 'db'));
  if (!store.apps.has(MINICORE_APP_ID)) {
    store.putApp({ id: MINICORE_APP_ID, name: 'Minicore', createdAt: now().toISOString() });
    await store.flush();
  }

  const app = createHttpServer({ name: 'update-server', logger: options.logger, health: { store: () => true } });
  app.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
  // Omaha clients are not all careful with Content-Type; the Omaha route reads any body as text.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  const context: OmahaContext = {
    store,
    now,
    disableUpdatesOnFailedRollout: options.disableUpdatesOnFailedRollout ?? false,
    codebase: () => '',
    missingPackages: new Set(),
  };

  const omaha = async (request: { body: unknown; ip: string; headers: Record<string, string | string[] | undefined>; protocol: string }) => {
    const text = typeof request.body === 'string' ? request.body : '';
    let parsed;
    try {
      parsed = parseRequest(text);
    } catch (error) {
      if (error instanceof OmahaXmlError) throw MalformedOmahaRequest(error.message);
      throw error;
    }
    const base = options.publicUrl?.replace(/\/$/, '') ?? `${request.protocol}://${String(request.headers['host'] ?? '127.0.0.1')}`;
    const response = handleOmahaRequest(parsed, request.ip, { ...context, codebase: (appId) => `${base}${PACKAGES_PREFIX}${appKey(appId)}/` });
    await store.flush();
    return buildResponse(response);
  };
  for (const url of [OMAHA_PATH, OMAHA_PATH.replace(/\/$/, '')]) {
    app.post(url, async (request, reply) => reply.type('text/xml; charset=utf-8').send(await omaha(request)));
  }

  app.get(`${PACKAGES_PREFIX}:app/:file`, async (request, reply) => {
    const { app: key, file } = request.params as { app: string; file: string };
    const pkg = [...store.packages.values()].find((p) => appKey(p.appId) === key && p.filename === file);
    if (!pkg) throw NoSuchPackage(`${key}/${file}`);
    const absolute = path.join(packagesDir, key, pkg.filename);
    const size = (await stat(absolute)).size;
    const range = parseRange(request.headers.range, size);
    void reply.header('accept-ranges', 'bytes').header('etag', `"${pkg.sha256}"`).type('application/gzip');
    if (range === 'unsatisfiable') {
      void reply.header('content-range', `bytes */${size}`);
      throw RangeNotSatisfiable(String(request.headers.range), size);
    }
    if (range === 'ignore') return reply.header('content-length', size).send(createReadStream(absolute));
    return reply
      .code(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
      .header('content-length', range.end - range.start + 1)
      .send(createReadStream(absolute, { start: range.start, end: range.end }));
  });

  const token = Buffer.from(options.adminToken);
  // The admin API: every /api route needs the bearer token.
  {
    app.addHook('onRequest', async (request) => {
      if (request.url !== ADMIN_PREFIX && !request.url.startsWith(`${ADMIN_PREFIX}/`) && !request.url.startsWith(`${ADMIN_PREFIX}?`)) return;
      const header = request.headers.authorization ?? '';
      const given = Buffer.from(header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '');
      if (given.length !== token.length || !timingSafeEqual(given, token)) throw Unauthorized();
    });

    const appOf = (query: { app?: string | undefined }) => {
      const id = query.app ?? MINICORE_APP_ID;
      if (!store.apps.has(id)) throw NoSuchApplication(id);
      return id;
    };

    app.get(`${ADMIN_PREFIX}/apps`, async () => [...store.apps.values()]);

    app.get(`${ADMIN_PREFIX}/packages`, { schema: { querystring: AppQuery } }, async (request) => {
      const appId = appOf(request.query);
      return [...store.packages.values()].filter((p) => p.appId === appId);
    });

    app.post(`${ADMIN_PREFIX}/packages`, { schema: { querystring: AppQuery } }, async (request, reply) => {
      const appId = appOf(request.query);
      const upload = path.join(uploadsDir, `${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}`);
      try {
        const body = request.body;
        // Only a stream is a bundle: a JSON or form body has already been parsed into something else.
        if (!(body instanceof Readable)) throw new HttpError('MC_ERR_INVALID_REQUEST', 400, 'send the bundle as the body with Content-Type: application/octet-stream');
        await pipeline(body, createWriteStream(upload));
        let contents;
        try {
          contents = await readBundle(upload, options.trustedKey ? { publicKey: options.trustedKey } : {});
        } catch (error) {
          if (error instanceof ReleaseError) throw new HttpError(error.code, 400, error.message);
          throw error;
        }
        const version = contents.manifest.version;
        if (store.getPackage(appId, version)) throw AlreadyExists(`a package for version ${version}`);
        const file = await describeFile(upload);
        const sha1 = createHash('sha1');
        await pipeline(createReadStream(upload), async (chunks: AsyncIterable<Buffer>) => {
          for await (const chunk of chunks) sha1.update(chunk);
        });
        const filename = `minicore-${version}.tar.gz`;
        await mkdir(path.join(packagesDir, appKey(appId)), { recursive: true });
        await rename(upload, path.join(packagesDir, appKey(appId), filename));
        const record: PackageRecord = {
          appId,
          version,
          filename,
          size: file.size,
          sha256: file.sha256,
          sha256Base64: file.sha256Base64,
          sha1Base64: sha1.digest('base64'),
          buildTime: contents.manifest.buildTime,
          files: contents.manifest.files.length,
          keyId: contents.signature.keyId,
          uploadedAt: now().toISOString(),
        };
        store.putPackage(record);
        await store.flush();
        return reply.code(201).send(record);
      } finally {
        await rm(upload, { force: true });
      }
    });

    app.get(`${ADMIN_PREFIX}/channels`, { schema: { querystring: AppQuery } }, async (request) => {
      const appId = appOf(request.query);
      return [...store.channels.values()].filter((c) => c.appId === appId);
    });

    const requirePackage = (appId: string, version: string) => {
      if (!store.getPackage(appId, version)) throw NoSuchPackage(version);
    };

    app.post(`${ADMIN_PREFIX}/channels`, { schema: { querystring: AppQuery, body: CreateChannelBody } }, async (request, reply) => {
      const appId = appOf(request.query);
      const { name, version } = request.body;
      if (store.getChannel(appId, name)) throw AlreadyExists(`channel ${name}`);
      if (version) requirePackage(appId, version);
      const channel = { appId, name, version: version ?? null, updatedAt: now().toISOString() };
      store.putChannel(channel);
      if (version) store.addActivity({ at: channel.updatedAt, appId, class: 'ChannelPackageUpdated', severity: 'info', version, message: `channel ${name} now points to ${version}` });
      await store.flush();
      return reply.code(201).send(channel);
    });

    app.put(`${ADMIN_PREFIX}/channels/:name`, { schema: { querystring: AppQuery, params: Type.Object({ name: Type.String() }), body: PromoteChannelBody } }, async (request) => {
      const appId = appOf(request.query);
      const channel = store.getChannel(appId, request.params.name);
      if (!channel) throw NoSuchChannel(request.params.name);
      requirePackage(appId, request.body.version);
      const updated = { ...channel, version: request.body.version, updatedAt: now().toISOString() };
      store.putChannel(updated);
      store.addActivity({ at: updated.updatedAt, appId, class: 'ChannelPackageUpdated', severity: 'info', version: updated.version, message: `channel ${updated.name} now points to ${updated.version}` });
      await store.flush();
      return updated;
    });

    const checkPolicy = (policy: RolloutPolicy) => {
      if (!isValidTimezone(policy.timezone)) throw InvalidTimezone(policy.timezone);
      return policy;
    };
    const checkTrack = (appId: string, track: string, name: string) => {
      const owner = store.groupByTrack(appId, track);
      if (owner && owner.name !== name) throw TrackTaken(track, owner.name);
    };

    app.get(`${ADMIN_PREFIX}/groups`, { schema: { querystring: AppQuery } }, async (request) => {
      const appId = appOf(request.query);
      return [...store.groups.values()].filter((g) => g.appId === appId);
    });

    app.post(`${ADMIN_PREFIX}/groups`, { schema: { querystring: AppQuery, body: CreateGroupBody } }, async (request, reply) => {
      const appId = appOf(request.query);
      const { name, channel, track, policy } = request.body;
      if (store.getGroup(appId, name)) throw AlreadyExists(`group ${name}`);
      if (!store.getChannel(appId, channel)) throw NoSuchChannel(channel);
      checkTrack(appId, track, name);
      const group: GroupRecord = { appId, name, track, channel, policy: checkPolicy({ ...defaultPolicy, ...policy }), rolloutInProgress: false, createdAt: now().toISOString() };
      store.putGroup(group);
      await store.flush();
      return reply.code(201).send(group);
    });

    const groupOf = (appId: string, name: string) => {
      const group = store.getGroup(appId, name);
      if (!group) throw NoSuchGroup(name);
      return group;
    };

    const changeGroup = async (appId: string, name: string, change: UpdateGroupBody) => {
      const group = groupOf(appId, name);
      if (change.channel !== undefined && !store.getChannel(appId, change.channel)) throw NoSuchChannel(change.channel);
      if (change.track !== undefined) checkTrack(appId, change.track, name);
      const updated: GroupRecord = {
        ...group,
        ...(change.channel === undefined ? {} : { channel: change.channel }),
        ...(change.track === undefined ? {} : { track: change.track }),
        policy: checkPolicy({ ...group.policy, ...change.policy }),
      };
      store.putGroup(updated);
      await store.flush();
      return updated;
    };

    const GroupParams = Type.Object({ name: Type.String() });
    app.get(`${ADMIN_PREFIX}/groups/:name`, { schema: { querystring: AppQuery, params: GroupParams } }, async (request) => groupOf(appOf(request.query), request.params.name));
    app.patch(`${ADMIN_PREFIX}/groups/:name`, { schema: { querystring: AppQuery, params: GroupParams, body: UpdateGroupBody } }, async (request) => changeGroup(appOf(request.query), request.params.name, request.body));
    app.post(`${ADMIN_PREFIX}/groups/:name/pause`, { schema: { querystring: AppQuery, params: GroupParams } }, async (request) => changeGroup(appOf(request.query), request.params.name, { policy: { updatesEnabled: false } }));
    app.post(`${ADMIN_PREFIX}/groups/:name/resume`, { schema: { querystring: AppQuery, params: GroupParams } }, async (request) => changeGroup(appOf(request.query), request.params.name, { policy: { updatesEnabled: true } }));

    app.get(`${ADMIN_PREFIX}/groups/:name/rollout`, { schema: { querystring: AppQuery, params: GroupParams } }, async (request): Promise<RolloutStatus> => {
      const appId = appOf(request.query);
      const group = groupOf(appId, request.params.name);
      const channelVersion = store.getChannel(appId, group.channel)?.version ?? null;
      const since = now().getTime() - VALIDITY_INTERVAL_MS;
      const members = store.appInstances(appId).filter((i) => i.group === group.name && Date.parse(i.lastCheck) >= since);
      const statuses: Record<string, number> = {};
      const versions: Record<string, number> = {};
      for (const instance of members) {
        const status = instanceStatusName(instance.status) ?? 'Undefined';
        statuses[status] = (statuses[status] ?? 0) + 1;
        versions[instance.version] = (versions[instance.version] ?? 0) + 1;
      }
      const stats = channelVersion ? computeStats(members, group.name, channelVersion, group.policy, now().getTime()) : { attempted: 0, grantedInLastPeriod: 0, inProgress: 0, timedOut: 0, updated: 0 };
      const failed = members
        .filter((i) => channelVersion !== null && i.lastUpdateVersion === channelVersion && i.status === InstanceStatus.Error)
        .map((i) => ({ machineId: i.machineId, errorCode: i.lastErrorCode, errorName: i.lastErrorCode === null ? 'Error' : describeErrorCode(i.lastErrorCode) }));
      return { group, channelVersion, instances: members.length, statuses, versions, failed, stats };
    });

    app.get(`${ADMIN_PREFIX}/instances`, { schema: { querystring: Type.Object({ app: Type.Optional(Type.String()), group: Type.Optional(Type.String()), all: Type.Optional(Type.Boolean()) }) } }, async (request) => {
      const appId = appOf(request.query);
      if (request.query.group !== undefined) groupOf(appId, request.query.group);
      const since = request.query.all ? 0 : now().getTime() - VALIDITY_INTERVAL_MS;
      return store
        .appInstances(appId)
        .filter((i) => (request.query.group === undefined || i.group === request.query.group) && Date.parse(i.lastCheck) >= since)
        .sort((a, b) => a.machineId.localeCompare(b.machineId));
    });

    app.get(`${ADMIN_PREFIX}/instances/:id`, { schema: { querystring: AppQuery, params: Type.Object({ id: Type.String() }) } }, async (request) => {
      const appId = appOf(request.query);
      const instance = store.getInstance(appId, request.params.id);
      if (!instance) throw NoSuchInstance(request.params.id);
      return { ...instance, history: await store.history(appId, instance.machineId) };
    });

    app.get(`${ADMIN_PREFIX}/activity`, { schema: { querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }) } }, async (request) => store.activity(request.query.limit ?? 100));
  }

  return {
    app,
    store,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}
