/**
 * The error catalogue of Minicore's HTTP servers, in the manner of fastify's: each failure has a
 * stable `code` that callers and tests match on, an HTTP status and a message a person can act on.
 * Apps add their own codes with `defineHttpError`; apps with a wire format of their own (etcd,
 * fleet) map these errors to it in their `formatError`.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
    readonly details?: unknown,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export type HttpErrorFactory<Args extends unknown[]> = {
  (...args: Args): HttpError;
  readonly code: string;
  readonly statusCode: number;
};

/** Declares one entry of a catalogue: `const NoSuchKey = defineHttpError('KV_NO_KEY', 404, (k: string) => ...)`. */
export function defineHttpError<Args extends unknown[]>(
  code: string,
  statusCode: number,
  message: (...args: Args) => string,
): HttpErrorFactory<Args> {
  const factory = (...args: Args) => new HttpError(code, statusCode, message(...args));
  return Object.assign(factory, { code, statusCode });
}

export const RouteNotFound = defineHttpError('MC_ERR_ROUTE_NOT_FOUND', 404, (method: string, url: string) => `no route for ${method} ${url}`);
export const InvalidRequest = defineHttpError('MC_ERR_INVALID_REQUEST', 400, (what: string) => `invalid request: ${what}`);
export const PayloadTooLarge = defineHttpError('MC_ERR_PAYLOAD_TOO_LARGE', 413, (limit: number) => `request body is larger than ${limit} bytes`);
export const ShuttingDown = defineHttpError('MC_ERR_SHUTTING_DOWN', 503, () => 'the server is shutting down; retry on another member');
export const InternalError = defineHttpError('MC_ERR_INTERNAL', 500, () => 'internal server error; see the daemon log');

/** The JSON body every Minicore API uses for errors unless the app speaks another wire format. */
export interface ErrorBody {
  error: { code: string; message: string; statusCode: number; details?: unknown };
}

export function toErrorBody(error: HttpError): ErrorBody {
  const body: ErrorBody = { error: { code: error.code, message: error.message, statusCode: error.statusCode } };
  if (error.details !== undefined) body.error.details = error.details;
  return body;
}

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message: string;
  validation?: unknown;
}

/**
 * Turns anything a handler or fastify itself threw into an HttpError. Fastify's own client errors
 * (bad JSON, validation, body limit, unsupported media type) keep their status; anything without a
 * status is a bug of ours and becomes a 500 whose details stay in the log, not in the response.
 */
export function normalizeError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const e = error as FastifyLikeError;
  if (e.validation !== undefined) return new HttpError(InvalidRequest.code, 400, `invalid request: ${e.message}`, e.validation);
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new HttpError(PayloadTooLarge.code, 413, e.message);
  const status = e.statusCode ?? 500;
  if (status >= 400 && status < 500) return new HttpError(e.code ?? InvalidRequest.code, status, e.message);
  if (status === 503) return ShuttingDown();
  return InternalError();
}
