import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from '@minicore/http';
import { StoreError } from '@minicore/kv-store';
import type { KvMemberNode } from './member.js';
import { memberIdOf, type Member } from './membership.js';

/** The version kvd reports: etcd's /version shape, so version-sniffing v2 clients accept it. */
export const VERSION = { etcdserver: '3.4.0', etcdcluster: '3.4.0', minicore: '0.1.0' } as const;

const PeerUrls = Type.Object({ peerURLs: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }) });

/**
 * etcd's cluster endpoints on the client listener: /version, the v2 members API, /v2/machines,
 * the leader, and the v2 stats. Errors answer `{"message": ...}` with etcd's statuses.
 */
export async function registerClusterRoutes(app: FastifyInstance, member: KvMemberNode): Promise<void> {
  await app.register(async (scope) => {
    handleStoreErrors(scope);
    routes(scope, member);
  });
}

function routes(app: FastifyInstance, member: KvMemberNode): void {
  const fail = (reply: FastifyReply, status: number, message: string) => reply.code(status).send({ message });

  app.get('/version', async () => VERSION);

  app.get('/v2/members', async () => ({ members: member.members().map(withClientURLs) }));

  const leaderRoute = async (_request: unknown, reply: FastifyReply) => {
    const leader = member.leader === null ? undefined : member.members().find((m) => m.id === member.leader);
    return leader ? reply.send(withClientURLs(leader)) : fail(reply, 503, 'no leader');
  };
  app.get('/v2/members/leader', leaderRoute);
  app.get('/v2/leader', leaderRoute);

  app.post('/v2/members', { schema: { body: PeerUrls } }, async (request, reply) => {
    if (!String(request.headers['content-type']).startsWith('application/json')) return fail(reply, 415, 'Bad Content-Type');
    const { peerURLs } = request.body as { peerURLs: string[] };
    const invalid = peerURLs.find((url) => !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol));
    if (invalid) return fail(reply, 400, `invalid peer URL "${invalid}": expected http://host:port`);
    const urls = peerURLs.map((url) => url.replace(/\/$/, ''));
    const taken = member.members().find((m) => m.peerURLs.some((url) => urls.includes(url)));
    if (taken) return fail(reply, 409, 'etcdserver: peerURL exists');
    // As etcd, an added member's id also depends on the time, so a member removed and added again gets a new id.
    const id = memberIdOf(urls, `${member.identity.clusterId}/${Date.now()}`);
    const added: Member = { id, name: '', peerURLs: urls, clientURLs: [] };
    await member.changeMembership({ type: 'addNode', nodeId: id, context: JSON.stringify(added) }, () => member.stateMachine.members.has(id));
    return reply.code(201).send(added);
  });

  app.delete('/v2/members/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    if (member.stateMachine.removed.has(id)) return fail(reply, 410, 'etcdserver: member removed');
    if (!member.stateMachine.members.has(id)) return fail(reply, 404, `etcdserver: member not found`);
    await member.changeMembership({ type: 'removeNode', nodeId: id }, () => !member.stateMachine.members.has(id));
    return reply.code(204).send();
  });

  app.put('/v2/members/:id', { schema: { body: PeerUrls } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!String(request.headers['content-type']).startsWith('application/json')) return fail(reply, 415, 'Bad Content-Type');
    if (!member.stateMachine.members.has(id)) return fail(reply, 404, 'etcdserver: member not found');
    const urls = (request.body as { peerURLs: string[] }).peerURLs.map((url) => url.replace(/\/$/, ''));
    const taken = member.members().find((m) => m.id !== id && m.peerURLs.some((url) => urls.includes(url)));
    if (taken) return fail(reply, 409, 'etcdserver: peerURL exists');
    const result = await member.proposeCommand({ op: 'update-member', memberId: id, peerURLs: urls });
    if (!result.ok) throw result.error;
    return reply.code(204).send();
  });

  app.get('/v2/machines', async (_request, reply) =>
    reply.type('text/plain; charset=utf-8').send(member.members().flatMap((m) => m.clientURLs).join(', ')),
  );

  app.get('/v2/stats/store', async () => member.store.stats());

  app.get('/v2/stats/self', async () => {
    const status = member.status();
    const self = {
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
    };
    return self;
  });

  app.get('/v2/stats/leader', async (_request, reply) => {
    if (member.leader !== member.identity.memberId) return fail(reply, 403, 'not current leader');
    return reply.send({ leader: member.identity.memberId, followers: member.transportStats.followers() });
  });
}

/** etcd errors raised while waiting on Raft (timeouts, no leader) answer in etcd's error JSON. */
export function handleStoreErrors(scope: FastifyInstance): void {
  scope.setErrorHandler(async (error, _request, reply) => {
    if (error instanceof StoreError) return reply.code(error.statusCode).send(error.toJSON());
    throw error;
  });
}

/** Members list their client URLs once they published them; until then etcd shows an empty list. */
function withClientURLs(member: Member): Member {
  return { id: member.id, name: member.name, peerURLs: member.peerURLs, clientURLs: member.clientURLs };
}
