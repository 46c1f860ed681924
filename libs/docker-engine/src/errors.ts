/**
 * What can go wrong when talking to the Docker engine, as typed errors with stable codes. The engine
 * answers with an HTTP status and a message ("No such image: x"); callers match on the class or the
 * code and add what they know (which container, which image) to the message they show.
 */
export class EngineError extends Error {
  override name = 'EngineError';
  readonly code: string = 'DOCKER_ENGINE_ERROR';
  constructor(
    message: string,
    /** The engine's HTTP status, when it answered. */
    readonly statusCode?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The socket is missing, refuses connections or is not ours to use. */
export class EngineUnreachableError extends EngineError {
  override name = 'EngineUnreachableError';
  override readonly code = 'DOCKER_ENGINE_UNREACHABLE';
  constructor(
    readonly socketPath: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`Docker engine unreachable at ${socketPath}: ${reason}`, undefined, options);
  }
}

/** 404: no such container, image or exec; `engineMessage` says which. */
export class EngineNotFoundError extends EngineError {
  override name = 'EngineNotFoundError';
  override readonly code = 'DOCKER_ENGINE_NOT_FOUND';
}

/** 409: a name in use, a container that is running when it must not be, and so on. */
export class EngineConflictError extends EngineError {
  override name = 'EngineConflictError';
  override readonly code = 'DOCKER_ENGINE_CONFLICT';
}

interface ModemError {
  code?: string;
  statusCode?: number;
  reason?: string;
  json?: { message?: string } | string | null;
  message?: string;
}

const unreachableCodes = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ECONNRESET', 'EPIPE', 'ENOTSOCK']);

function engineMessage(error: ModemError): string {
  const json = error.json;
  if (json && typeof json === 'object' && typeof json.message === 'string') return json.message;
  if (typeof json === 'string' && json.trim() !== '') return json.trim();
  return error.reason ?? error.message ?? 'unknown engine error';
}

/** Turns what dockerode (docker-modem) rejected with into one of the typed errors above. */
export function toEngineError(error: unknown, socketPath: string): EngineError {
  if (error instanceof EngineError) return error;
  const e = (error ?? {}) as ModemError;
  if (e.code && unreachableCodes.has(e.code)) {
    const reason = e.code === 'ENOENT' ? 'no such socket (is dockerd running?)' : e.code === 'EACCES' ? 'permission denied on the socket' : `${e.code}`;
    return new EngineUnreachableError(socketPath, reason, { cause: error });
  }
  const status = e.statusCode;
  const message = engineMessage(e);
  if (status === 404) return new EngineNotFoundError(message, status, { cause: error });
  if (status === 409) return new EngineConflictError(message, status, { cause: error });
  return new EngineError(status ? `engine answered ${status}: ${message}` : message, status, { cause: error });
}
