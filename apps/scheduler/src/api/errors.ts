import { defineHttpError, HttpError } from '@minicore/http';
import { KvTimeoutError, KvUnavailableError } from '@minicore/kv-client';

/** fleet's API errors with its exact messages; the bodies are `{"error":{"code":<status>,"message":...}}`. */
export const UnitNotFound = defineHttpError('FLEET_UNIT_NOT_FOUND', 404, () => 'unit does not exist');
export const UnitStateNotFound = defineHttpError('FLEET_UNIT_STATE_NOT_FOUND', 404, () => 'unit state does not exist');
export const BadRequest = defineHttpError('FLEET_BAD_REQUEST', 400, (message: string) => message);
export const Conflict = defineHttpError('FLEET_CONFLICT', 409, (message: string) => message);
export const PathNotFound = defineHttpError('FLEET_NOT_FOUND', 404, () => '');
export const UnsupportedMediaType = defineHttpError('FLEET_UNSUPPORTED_MEDIA_TYPE', 415, () => 'expected Content-Type application/json');
export const MethodNotAllowed = defineHttpError('FLEET_METHOD_NOT_ALLOWED', 405, () => '');
export const KvUnreachable = defineHttpError('FLEET_KV_UNREACHABLE', 503, () => 'fleet server unable to communicate with etcd');

/** kv trouble becomes fleet's 503; anything else stays as thrown. */
export function asApiError(error: unknown): unknown {
  if (error instanceof HttpError) return error;
  if (error instanceof KvUnavailableError || error instanceof KvTimeoutError) return KvUnreachable();
  return error;
}
