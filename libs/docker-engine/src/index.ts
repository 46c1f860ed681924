export { DockerEngine, type DockerEngineOptions, type EventSubscription, type ExecSession, type WaitCondition } from './engine.js';
export { EngineError, EngineUnreachableError, EngineNotFoundError, EngineConflictError, toEngineError } from './errors.js';
export { OutputDemuxer, encodeFrame, type OutputChunk, type OutputStreamName } from './demux.js';
export { ContainerEventParser, parseContainerEvent, type ContainerEvent, type ContainerAction, type HealthStatus } from './events.js';
export { ProgressError, progressFailure, pushedDigest, type ProgressMessage } from './progress.js';
export type { ContainerCreateOptions, ContainerInfo, ContainerInspectInfo, ImageInfo } from 'dockerode';
