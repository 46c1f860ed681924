import { Type, type Static } from '@minicore/http';
import { MIN_MEMORY_BYTES } from '../spec/index.js';

/**
 * runnerd's HTTP API (v1), one definition for both sides: runnerd validates requests against these
 * schemas, runctl builds its requests and reads its answers with the types. runctl parses docker's
 * option strings (64m, 8080:80/tcp, on-failure:3); the API carries the structured values.
 */
export const PortBindingSchema = Type.Object({
  hostIp: Type.String(),
  hostPort: Type.Integer({ minimum: 0, maximum: 65535 }),
  containerPort: Type.Integer({ minimum: 1, maximum: 65535 }),
  protocol: Type.Union([Type.Literal('tcp'), Type.Literal('udp'), Type.Literal('sctp')]),
});

export const VolumeBindingSchema = Type.Object({
  source: Type.String({ minLength: 1 }),
  target: Type.String({ pattern: '^/' }),
  readOnly: Type.Boolean(),
});

export const RestartPolicySchema = Type.Object({
  name: Type.Union([Type.Literal('no'), Type.Literal('on-failure'), Type.Literal('always'), Type.Literal('unless-stopped')]),
  maxRetries: Type.Integer({ minimum: 0 }),
});

export const AnnounceSchema = Type.Object({
  service: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
});

export const HealthcheckSchema = Type.Object({
  /** A shell command (CMD-SHELL); exit 0 is healthy. */
  command: Type.String({ minLength: 1 }),
  intervalMs: Type.Integer({ minimum: 1 }),
  timeoutMs: Type.Integer({ minimum: 1 }),
  retries: Type.Integer({ minimum: 1 }),
  startPeriodMs: Type.Integer({ minimum: 0 }),
});

export const RunRequestSchema = Type.Object({
  image: Type.String({ minLength: 1 }),
  /** Docker's own rule for names. */
  name: Type.Optional(Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$' })),
  /** Replaces the image's CMD. */
  command: Type.Optional(Type.Array(Type.String())),
  env: Type.Optional(Type.Record(Type.String(), Type.String())),
  labels: Type.Optional(Type.Record(Type.String(), Type.String())),
  ports: Type.Optional(Type.Array(PortBindingSchema)),
  volumes: Type.Optional(Type.Array(VolumeBindingSchema)),
  memoryBytes: Type.Optional(Type.Integer({ minimum: MIN_MEMORY_BYTES })),
  nanoCpus: Type.Optional(Type.Integer({ minimum: 1 })),
  restart: Type.Optional(RestartPolicySchema),
  /** Remove the container once it has stopped (`--rm`); not with a restart policy. */
  autoRemove: Type.Optional(Type.Boolean()),
  /** Keep `/services/<service>/<machine-id>` in kv while the container runs (and is healthy, if it has a check). */
  announce: Type.Optional(Type.Array(AnnounceSchema)),
  healthcheck: Type.Optional(HealthcheckSchema),
  /** false: create only (runctl run --attach starts it through POST .../attach). Default true. */
  start: Type.Optional(Type.Boolean()),
});
export type RunRequest = Static<typeof RunRequestSchema>;

export interface RunResponse {
  id: string;
  name: string;
}

export const ContainerRefParams = Type.Object({ ref: Type.String({ minLength: 1 }) });
export const ListQuery = Type.Object({ all: Type.Optional(Type.Boolean()) });
export const StopQuery = Type.Object({ timeout: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })) });
export const RemoveQuery = Type.Object({ force: Type.Optional(Type.Boolean()) });
export const LogsQuery = Type.Object({ follow: Type.Optional(Type.Boolean()), tail: Type.Optional(Type.Integer({ minimum: 0 })) });
export const ExecRequestSchema = Type.Object({ command: Type.Array(Type.String(), { minItems: 1 }), env: Type.Optional(Type.Record(Type.String(), Type.String())) });
export type ExecRequest = Static<typeof ExecRequestSchema>;
/** `[REGISTRY/]NAME[:TAG]` or an image id, checked by runnerd (parseImageRef) or the engine. */
export const RemoveImageQuery = Type.Object({ image: Type.String({ minLength: 1, maxLength: 512 }), force: Type.Optional(Type.Boolean()) });
export const TagRequestSchema = Type.Object({ source: Type.String({ minLength: 1, maxLength: 512 }), target: Type.String({ minLength: 1, maxLength: 512 }) });
export const TransferRequestSchema = Type.Object({
  image: Type.String({ minLength: 1, maxLength: 512 }),
  /** `HOST:PORT`: push IMAGE as REGISTRY/IMAGE (pull REGISTRY/IMAGE and name it IMAGE), without keeping the registry-qualified tag. */
  registry: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9.-]+(:[0-9]{1,5})?$' })),
});
export type TransferRequest = Static<typeof TransferRequestSchema>;

export const ImportQuery = Type.Object({ repo: Type.String({ pattern: '^[a-z0-9][a-z0-9._/-]*$' }), tag: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$' })) });

/** The state of a container as runnerd sees it: the engine's view plus supervision. */
export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  command: string[];
  /** The engine's state: created, running, restarting, exited, paused, dead. */
  state: string;
  /** For people: `running`, `exited (1)`, `exited (137, OOM-killed)`, `restarting in 2s (attempt 3)`, `stopped`. */
  status: string;
  exitCode: number | null;
  oomKilled: boolean;
  restartPolicy: string;
  /** Restarts runnerd made since the container was created (or last started with runctl start). */
  restarts: number;
  /** When runnerd will start it again (ISO time), if it will. */
  nextRestartAt: string | null;
  /** Stopped through runctl: runnerd leaves it stopped. */
  stoppedByUser: boolean;
  ports: string[];
  /** `--announce` specs, `web:8080`. */
  announce: string[];
  /** The engine's health state when the container has a check: starting, healthy, unhealthy. */
  health: string | null;
  labels: Record<string, string>;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface ContainerDetails extends ContainerSummary {
  env: string[];
  memoryBytes: number;
  nanoCpus: number;
  volumes: string[];
  /** The engine's own inspect document, unchanged. */
  engine: unknown;
}

export interface ImageSummary {
  id: string;
  tags: string[];
  size: number;
  createdAt: string;
}

export interface TransferResponse {
  /** The reference moved, registry included. */
  reference: string;
  /** The local image it is (pull), or was pushed from (push). */
  id: string;
  /** The manifest digest the registry reported (push only). */
  digest?: string;
  /** The local names the image has afterwards. */
  tags: string[];
}

/** One service key runnerd keeps in kv for one of this machine's containers. */
export interface AnnouncementView {
  key: string;
  service: string;
  container: string;
  /** announced: the key is kept; waiting: not running or not healthy; retrying: kv did not take it. */
  state: 'announced' | 'waiting' | 'retrying';
  value: ServiceEndpoint | null;
  lastError: string | null;
}

/** What `/services/<name>/<machine-id>` holds. */
export interface ServiceEndpoint {
  host: string;
  port: number;
  container: string;
}

export interface PruneResponse {
  removed: { id: string; name: string }[];
}
