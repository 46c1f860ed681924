export { createHttpServer, listen, type HttpServer, type HttpServerOptions, type FormattedError } from './server.js';
export { HttpError, defineHttpError, normalizeError, toErrorBody, RouteNotFound, InvalidRequest, PayloadTooLarge, ShuttingDown, InternalError, type ErrorBody, type HttpErrorFactory } from './errors.js';
export { runHealthChecks, type HealthCheck, type HealthReport } from './health.js';
export { parseListenAddress, formatListenAddress, InvalidListenAddressError, type ListenAddress } from './listen-address.js';
export { exitOnSignals, type ShutdownOptions } from './shutdown.js';
export { Type, type Static, type TSchema } from 'typebox';
