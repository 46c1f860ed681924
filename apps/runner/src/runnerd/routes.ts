import { PassThrough } from 'node:stream';
import type { HttpServer } from '@minicore/http';
import type { FastifyReply } from 'fastify';
import {
  ContainerRefParams,
  ExecRequestSchema,
  ImportQuery,
  ListQuery,
  LogsQuery,
  NDJSON,
  RemoveImageQuery,
  RemoveQuery,
  TagRequestSchema,
  TransferRequestSchema,
  RunRequestSchema,
  StopQuery,
  errorFrame,
  exitFrame,
  outputFrame,
} from '../api/index.js';
import type { OutputChunk } from '@minicore/docker-engine';
import { normalizeError } from '@minicore/http';
import type { Announcer } from './announcer.js';
import type { ContainerService, RunningOutput } from './container-service.js';

/**
 * Streams output frames (NDJSON) to the client until the output ends, then the exit frame if there
 * is one. A client that goes away closes the engine streams; the container itself is not touched.
 */
function streamFrames(reply: FastifyReply, output: AsyncIterable<OutputChunk> & { close(): void }, exit?: Promise<{ code: number; oomKilled: boolean }>): FastifyReply {
  const body = new PassThrough();
  // The response's close, not the request's: a request's 'close' fires once its body has been read.
  const close = () => output.close();
  reply.raw.on('close', close);
  void (async () => {
    try {
      for await (const chunk of output) {
        if (!body.write(outputFrame(chunk.stream, chunk.data))) await new Promise((resolve) => body.once('drain', resolve));
      }
      if (exit) body.write(exitFrame(await exit));
    } catch (error) {
      const httpError = normalizeError(error);
      if (!body.destroyed) body.write(errorFrame(httpError.code, error instanceof Error ? error.message : httpError.message));
    } finally {
      reply.raw.off('close', close);
      body.end();
    }
  })();
  return reply.header('content-type', NDJSON).header('cache-control', 'no-cache').send(body);
}

function streamRun(reply: FastifyReply, running: RunningOutput): FastifyReply {
  reply.raw.on('close', () => running.close());
  return streamFrames(reply, running.output, running.exit);
}

/** runnerd's HTTP API, v1. */
export function installRoutes(app: HttpServer, service: ContainerService, announcer: Announcer): void {
  app.get('/v1/containers', { schema: { querystring: ListQuery } }, async (request) => ({ containers: await service.list(request.query.all ?? false) }));

  app.post('/v1/containers', { schema: { body: RunRequestSchema } }, async (request, reply) => reply.code(201).send(await service.run(request.body)));

  app.get('/v1/containers/:ref', { schema: { params: ContainerRefParams } }, async (request) => service.details(request.params.ref));

  app.post('/v1/containers/:ref/start', { schema: { params: ContainerRefParams } }, async (request) => service.start(request.params.ref));

  app.post('/v1/containers/:ref/stop', { schema: { params: ContainerRefParams, querystring: StopQuery } }, async (request) => service.stop(request.params.ref, request.query.timeout ?? 10));

  app.delete('/v1/containers/:ref', { schema: { params: ContainerRefParams, querystring: RemoveQuery } }, async (request) => service.remove(request.params.ref, request.query.force ?? false));

  app.get('/v1/containers/:ref/logs', { schema: { params: ContainerRefParams, querystring: LogsQuery } }, async (request, reply) =>
    streamFrames(reply, await service.logs(request.params.ref, request.query.follow ?? false, request.query.tail)),
  );

  app.post('/v1/containers/:ref/attach', { schema: { params: ContainerRefParams } }, async (request, reply) => streamRun(reply, await service.attach(request.params.ref)));

  app.post('/v1/containers/:ref/exec', { schema: { params: ContainerRefParams, body: ExecRequestSchema } }, async (request, reply) =>
    streamRun(reply, await service.exec(request.params.ref, request.body)),
  );

  app.get('/v1/images', async () => ({ images: await service.images() }));

  // The tarball streams through to the engine: no body limit, no buffering.
  app.addContentTypeParser('application/x-tar', (_request, payload, done) => done(null, payload));
  app.post('/v1/images/import', { schema: { querystring: ImportQuery } }, async (request, reply) =>
    reply.code(201).send(await service.importImage(request.body as NodeJS.ReadableStream, request.query.repo, request.query.tag ?? 'latest')),
  );

  app.post('/v1/images/tag', { schema: { body: TagRequestSchema } }, async (request, reply) => reply.code(201).send(await service.tagImage(request.body.source, request.body.target)));

  app.post('/v1/images/push', { schema: { body: TransferRequestSchema } }, async (request) => service.push(request.body));

  app.post('/v1/images/pull', { schema: { body: TransferRequestSchema } }, async (request) => service.pull(request.body));

  // The reference may hold slashes and a colon: it travels in the query, not the path.
  app.delete('/v1/images', { schema: { querystring: RemoveImageQuery } }, async (request) => service.removeImage(request.query.image, request.query.force ?? false));

  app.get('/v1/announcements', async () => ({ announcements: announcer.list() }));

  app.post('/v1/prune', async () => service.prune());
}
