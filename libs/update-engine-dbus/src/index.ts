export { UPDATE_ENGINE_BUS_NAME, UPDATE_ENGINE_OBJECT_PATH, UPDATE_ENGINE_INTERFACE, STATUS_SIGNATURE, UpdateEngineMember, UpdateEngineErrorName } from './names.js';
export { UpdateStatus, idleStatus, isUpdateStatusName, statusToWire, statusFromWire, formatStatusLines, type UpdateStatusName, type UpdateEngineStatus, type StatusWire } from './status.js';
export { connectBus, describeAddress, BusConnectError, type ConnectOptions, type MessageBus } from './bus.js';
export { exportUpdateEngine, UpdateEngineError, BusNameTakenError, type UpdateEngineHandlers, type ExportedUpdateEngine } from './service.js';
export { UpdateEngineClient, UpdateEngineCallError, type UpdateEngineClientOptions, type StatusListener } from './client.js';
