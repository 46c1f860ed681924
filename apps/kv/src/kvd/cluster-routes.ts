import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { handleStoreErrors, methodNotAllowed, sendEtcdJson } from './etcd-http.js';
import type { KvMemberNode } from './member.js';
import { memberIdOf, type Member } from './membership.js';

/** The version kvd reports, in etcd's /version shape (exactly its two fields) so version-sniffing v2 clients accept it. */
export const VERSION = { etcdserver: '3.4.0', etcdcluster: '3.4.0' } as const;

/**
 * etcd's cluster endpoints on the client listener: /version, the v2 members API, /v2/machines,
 * the leader, and the v2 stats. Errors answer `{"message": ...}` with etcd's statuses and messages.
 */
export async function registerClusterRoutes(app: FastifyInstance, member: KvMemberNode): Promise<void> {
  await app.register(async (scope) => {
    handleStoreErrors(scope);
    // The members API checks the content type itself (415 before any parsing, as etcd does).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    routes(scope, member);
  });
}

const OTHER_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

/** Registers `handlers` on `url` and a 405 for every other method, as an etcd handler guarded by allowMethod. */
function endpoint(
  app: FastifyInstance,
  url: string,
  allowed: readonly string[],
  handlers: Partial<Record<(typeof OTHER_METHODS)[number], (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>>>,
): void {
  for (const [method, handler] of Object.entries(handlers)) app.route({ method, url, handler, exposeHeadRoute: false });
  const rest = OTHER_METHODS.filter((method) => !(method in handlers));
  if (rest.length > 0) app.route({ method: [...rest], url, handler: async (_request, reply) => methodNotAllowed(reply, allowed), exposeHeadRoute: false });
}

function routes(app: FastifyInstance, member: KvMemberNode): void {
  const clusterHeader = () => ({ 'x-etcd-cluster-id': member.identity.clusterId });
  // etcd's httptypes.HTTPError: `{"message": ...}` written with json.Marshal (no trailing newline).
  const fail = (reply: FastifyReply, status: number, message: string) => sendEtcdJson(reply, status, { message }, clusterHeader(), false);
  const noNewline = (reply: FastifyReply, body: unknown) => sendEtcdJson(reply, 200, body, {}, false);

  endpoint(app, '/version', ['GET'], { GET: async (_request, reply) => noNewline(reply, VERSION) });

  const membersAllowed = ['GET', 'POST', 'DELETE', 'PUT'];
  const leaderOf = async (_request: FastifyRequest, reply: FastifyReply) => {
    const leader = member.leader === null ? undefined : member.members().find((m) => m.id === member.leader);
    return leader ? sendEtcdJson(reply, 200, withClientURLs(leader), clusterHeader()) : fail(reply, 503, 'During election');
  };

  const addMember = async (request: FastifyRequest, reply: FastifyReply) => {
    const urls = memberRequestURLs(request);
    if ('status' in urls) return fail(reply, urls.status, urls.message);
    const taken = member.members().find((m) => m.peerURLs.some((url) => urls.urls.includes(url)));
    if (taken) return fail(reply, 409, 'membership: peerURL exists');
    // As etcd, an added member's id also depends on the time, so a member removed and added again gets a new id.
    const id = memberIdOf(urls.urls, `${member.identity.clusterId}/${Date.now()}`);
    const added: Member = { id, name: '', peerURLs: urls.urls, clientURLs: [] };
    await member.changeMembership({ type: 'addNode', nodeId: id, context: JSON.stringify(added) }, () => member.stateMachine.members.has(id));
    return sendEtcdJson(reply, 201, added, clusterHeader());
  };

  endpoint(app, '/v2/members', membersAllowed, {
    GET: async (_request, reply) => sendEtcdJson(reply, 200, { members: member.members().map(withClientURLs) }, clusterHeader()),
    POST: addMember,
  });
  endpoint(app, '/v2/members/', membersAllowed, {
    GET: async (_request, reply) => sendEtcdJson(reply, 200, { members: member.members().map(withClientURLs) }, clusterHeader()),
    POST: addMember,
  });
  endpoint(app, '/v2/members/leader', membersAllowed, { GET: leaderOf });
  // Not an etcd 3.4 endpoint (it answers 404): kept for kvctl and etcd 0.4-era habits.
  endpoint(app, '/v2/leader', ['GET'], { GET: leaderOf });

  endpoint(app, '/v2/members/:id', membersAllowed, {
    GET: async (_request, reply) => fail(reply, 404, 'Not found'),
    DELETE: async (request, reply) => {
      const raw = (request.params as { id: string }).id;
      const id = canonicalId(raw);
      if (id === undefined) return fail(reply, 404, `No such member: ${raw}`);
      if (member.stateMachine.removed.has(id)) return fail(reply, 410, `Member permanently removed: ${id}`);
      if (!member.stateMachine.members.has(id)) return fail(reply, 404, `No such member: ${id}`);
      await member.changeMembership({ type: 'removeNode', nodeId: id }, () => !member.stateMachine.members.has(id));
      return reply.code(204).send();
    },
    PUT: async (request, reply) => {
      const raw = (request.params as { id: string }).id;
      const id = canonicalId(raw);
      if (id === undefined) return fail(reply, 404, `No such member: ${raw}`);
      const urls = memberRequestURLs(request);
      if ('status' in urls) return fail(reply, urls.status, urls.message);
      if (member.stateMachine.removed.has(id)) return fail(reply, 410, `Member permanently removed: ${id}`);
      if (!member.stateMachine.members.has(id)) return fail(reply, 404, `No such member: ${id}`);
      const taken = member.members().find((m) => m.id !== id && m.peerURLs.some((url) => urls.urls.includes(url)));
      if (taken) return fail(reply, 409, 'membership: peerURL exists');
      const result = await member.proposeCommand({ op: 'update-member', memberId: id, peerURLs: urls.urls });
      if (!result.ok) throw result.error;
      return reply.code(204).send();
    },
  });

  endpoint(app, '/v2/machines', ['GET', 'HEAD'], {
    GET: async (_request, reply) => sendMachines(reply),
    HEAD: async (_request, reply) => sendMachines(reply),
  });

  const sendMachines = (reply: FastifyReply) => {
    const text = member.members().flatMap((m) => m.clientURLs).join(', ');
    return reply.type('text/plain; charset=utf-8').header('content-length', String(Buffer.byteLength(text))).send(text);
  };

  endpoint(app, '/v2/stats/store', ['GET'], { GET: async (_request, reply) => noNewline(reply, member.store.stats()) });

  endpoint(app, '/v2/stats/self', ['GET'], {
    GET: async (_request, reply) => {
      const status = member.status();
      return noNewline(reply, {
        name: member.config.name,
        id: member.identity.memberId,
        state: status.role === 'leader' ? 'StateLeader' : status.role === 'follower' ? 'StateFollower' : 'StateCandidate',
        startTime: member.startTime.toISOString(),
        leaderInfo: {
          leader: member.leader ?? '',
          uptime: `${((Date.now() - member.leaderStartTime) / 1000).toFixed(3)}s`,
          startTime: new Date(member.leaderStartTime).toISOString(),
        },
        ...member.transportStats.self(),
      });
    },
  });

  endpoint(app, '/v2/stats/leader', ['GET'], {
    GET: async (_request, reply) => {
      if (member.leader !== member.identity.memberId) return sendEtcdJson(reply, 403, { message: 'not current leader' }, {}, false);
      return noNewline(reply, { leader: member.identity.memberId, followers: member.transportStats.followers() });
    },
  });
}

/**
 * etcd's unmarshalRequest + MemberCreateRequest/MemberUpdateRequest: 415 unless the media type is
 * application/json, 400 for bad JSON, then types.NewURLs' validation with its messages.
 */
function memberRequestURLs(request: FastifyRequest): { urls: string[] } | { status: number; message: string } {
  const header = request.headers['content-type'] ?? '';
  const semicolon = header.indexOf(';');
  const contentType = semicolon === -1 ? header : header.slice(0, semicolon).trim().toLowerCase();
  if (contentType !== 'application/json') return { status: 415, message: `Bad Content-Type ${contentType}, accept application/json` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof request.body === 'string' ? request.body : '');
  } catch (error) {
    return { status: 400, message: (error as Error).message };
  }
  if (parsed === null) parsed = {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) return { status: 400, message: 'json: cannot unmarshal into Go value of type struct { PeerURLs []string "json:\\"peerURLs\\"" }' };
  const list = (parsed as { peerURLs?: unknown }).peerURLs ?? [];
  if (!Array.isArray(list) || list.some((url) => typeof url !== 'string')) return { status: 400, message: 'json: cannot unmarshal peerURLs into Go value of type []string' };
  if (list.length === 0) return { status: 400, message: 'no valid URLs given' };
  const urls: string[] = [];
  for (const item of list as string[]) {
    const text = item.trim();
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(text)?.[1]?.toLowerCase() ?? '';
    if (scheme === 'http' || scheme === 'https') {
      const rest = text.slice(scheme.length + 1).replace(/^\/\//, '');
      const end = rest.search(/[/?#]/);
      const authority = (end === -1 ? rest : rest.slice(0, end)).replace(/^.*@/, '');
      if (!/^(\[[^\]]*\]|[^:[\]]*):[^:]*$/.test(authority)) return { status: 400, message: `URL address does not have the form "host:port": ${text}` };
      if (end !== -1 && rest[end] === '/') return { status: 400, message: `URL must not contain a path: ${text}` };
      urls.push(text);
    } else if (scheme === 'unix' || scheme === 'unixs') {
      urls.push(text);
    } else {
      return { status: 400, message: `URL scheme must be http, https, unix, or unixs: ${text}` };
    }
  }
  return { urls: urls.sort() };
}

/** A member id as etcd parses and prints it (hex uint64, no leading zeros); undefined if it does not parse. */
function canonicalId(text: string): string | undefined {
  if (!/^[0-9a-fA-F]{1,16}$/.test(text)) return undefined;
  return BigInt(`0x${text}`).toString(16);
}

/** Members list their client URLs once they published them; until then etcd shows an empty list. */
function withClientURLs(member: Member): Member {
  return { id: member.id, name: member.name, peerURLs: member.peerURLs, clientURLs: member.clientURLs };
}

