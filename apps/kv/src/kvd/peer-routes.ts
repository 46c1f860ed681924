import type { IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import type { FastifyInstance } from 'fastify';
import { Type } from '@minicore/http';
import type { ConfChange, Message } from '@minicore/raft';
import { PEER_MEMBERS_PATH, type ClusterInfo } from './bootstrap.js';
import type { KvMemberNode } from './member.js';
import { RAFT_PROPOSE_PATH } from './member.js';
import { RAFT_STREAM_PATH } from './peer-transport.js';

/**
 * The peer listener: Raft messages between members, proposals a follower hands to the leader,
 * and the member list a joining member reads. A request from another cluster (different
 * X-Etcd-Cluster-Id) is refused with 412, as etcd refuses it.
 */
export function registerPeerRoutes(app: FastifyInstance, member: KvMemberNode): void {
  const fromOtherCluster = (header: string | string[] | undefined) => header !== undefined && header !== member.identity.clusterId;

  // The stream of Raft messages from one peer: a line per batch, for as long as the peer keeps it open.
  void app.register(async (scope) => {
    // Streams never end on their own: closing the listener cuts them (peers redial another member).
    const open = new Set<IncomingMessage>();
    scope.addHook('preClose', async () => {
      for (const stream of open) stream.destroy();
    });
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null)); // read below, line by line
    scope.post(RAFT_STREAM_PATH, async (request, reply) => {
      if (fromOtherCluster(request.headers['x-etcd-cluster-id'])) return reply.code(412).send({ message: 'cluster ID mismatch' });
      // A removed member may not know it yet (the leader stops talking to it): tell it, as etcd answers 410.
      const from = String(request.headers['x-server-from']);
      if (member.stateMachine.removed.has(from)) return reply.code(410).send({ message: 'the member has been permanently removed from the cluster' });
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/plain' });
      reply.raw.flushHeaders();
      const lines = createInterface({ input: request.raw, crlfDelay: Infinity });
      lines.on('line', (line) => {
        if (member.stateMachine.removed.has(from)) {
          request.raw.destroy(); // it redials and gets the 410 above
          return;
        }
        try {
          member.receive(JSON.parse(line) as Message[]);
        } catch (error) {
          request.log.warn({ err: (error as Error).message, from: request.headers['x-server-from'] }, 'bad line on a peer stream; closing it');
          request.raw.destroy();
        }
      });
      // A peer that dies mid-stream aborts the request: expected, and handled by its redial.
      request.raw.on('error', () => request.raw.destroy());
      lines.on('error', () => request.raw.destroy());
      open.add(request.raw);
      request.raw.once('close', () => {
        open.delete(request.raw);
        reply.raw.end();
      });
    });
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
