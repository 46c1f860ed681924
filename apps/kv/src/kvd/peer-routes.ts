import type { FastifyInstance } from 'fastify';
import { Type } from '@minicore/http';
import type { ConfChange, Message } from '@minicore/raft';
import { PEER_MEMBERS_PATH, type ClusterInfo } from './bootstrap.js';
import type { KvMemberNode } from './member.js';
import { RAFT_PROPOSE_PATH } from './member.js';
import { RAFT_MESSAGES_PATH } from './peer-transport.js';

/**
 * The peer listener: Raft messages between members, proposals a follower hands to the leader,
 * and the member list a joining member reads. A request from another cluster (different
 * X-Etcd-Cluster-Id) is refused with 412, as etcd refuses it.
 */
export function registerPeerRoutes(app: FastifyInstance, member: KvMemberNode): void {
  const fromOtherCluster = (header: string | string[] | undefined) => header !== undefined && header !== member.identity.clusterId;

  app.post(RAFT_MESSAGES_PATH, { bodyLimit: 512 * 1024 * 1024, schema: { body: Type.Array(Type.Object({ type: Type.String(), from: Type.String(), to: Type.String(), term: Type.Number() })) } }, async (request, reply) => {
    if (fromOtherCluster(request.headers['x-etcd-cluster-id'])) return reply.code(412).send({ message: 'cluster ID mismatch' });
    member.receive(request.body as Message[]);
    return reply.code(204).send();
  });

  app.post(
    RAFT_PROPOSE_PATH,
    { schema: { body: Type.Union([Type.Object({ data: Type.String() }), Type.Object({ confChange: Type.Object({ type: Type.Union([Type.Literal('addNode'), Type.Literal('removeNode')]), nodeId: Type.String(), context: Type.Optional(Type.String()) }) })]) } },
    async (request, reply) => {
      if (fromOtherCluster(request.headers['x-etcd-cluster-id'])) return reply.code(412).send({ message: 'cluster ID mismatch' });
      const body = request.body as { data: string } | { confChange: ConfChange };
      const accepted = 'data' in body ? member.acceptForwarded(body.data) : member.acceptForwardedConfChange(body.confChange);
      return reply.code(accepted ? 202 : 503).send(accepted ? { accepted } : { message: 'not the leader', leader: member.leader });
    },
  );

  app.get(PEER_MEMBERS_PATH, async (): Promise<ClusterInfo> => ({ clusterId: member.identity.clusterId, members: member.members() }));
}
