import { EngineConflictError, EngineError, EngineNotFoundError, EngineUnreachableError } from '@minicore/docker-engine';
import { HttpError } from '@minicore/http';
import { ContainerNotRunning, ContainerRunning, EngineFailed, EngineUnreachable, NameInUse, NoSuchContainer, NoSuchImage } from '../api/index.js';

/** What the failing engine call was about, so the error can name it. */
export type EngineContext =
  | { kind: 'create'; image: string; name: string | undefined }
  | { kind: 'container'; ref: string; action: string }
  | { kind: 'image'; ref: string; action: string }
  | { kind: 'other'; action: string };

/** Maps an engine failure to runnerd's catalogue, naming the container or image and the cause. */
export function toHttpError(error: unknown, context: EngineContext): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof EngineUnreachableError) return EngineUnreachable(error.message);
  if (!(error instanceof EngineError)) throw error;
  const message = error.message;
  switch (context.kind) {
    case 'create':
      if (error instanceof EngineNotFoundError && /image/i.test(message)) return NoSuchImage(context.image);
      if (error instanceof EngineConflictError && context.name && /already in use/i.test(message)) return NameInUse(context.name);
      return EngineFailed(`cannot create a container from ${context.image}`, message);
    case 'container':
      if (error instanceof EngineNotFoundError) return NoSuchContainer(context.ref);
      if (error instanceof EngineConflictError && /is not running/i.test(message)) return ContainerNotRunning(context.ref);
      if (error instanceof EngineConflictError && /running container/i.test(message)) return ContainerRunning(context.ref);
      return EngineFailed(`cannot ${context.action} container ${context.ref}`, message);
    case 'image':
      if (error instanceof EngineNotFoundError) return NoSuchImage(context.ref);
      return EngineFailed(`cannot ${context.action} image ${context.ref}`, message);
    case 'other':
      return EngineFailed(`cannot ${context.action}`, message);
  }
}

/** Runs an engine call, mapping its failure. */
export async function engineCall<T>(context: EngineContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toHttpError(error, context);
  }
}
