export { connectSystemBus, systemBusAddress, SYSTEM_BUS_SOCKET, type MessageBus } from './bus.js';
export { SystemdError, type JobResult } from './errors.js';
export { SystemdManager, type JobMode, type UnitFileChange, type UnitFollower } from './manager.js';
export { SYSTEMD_BUS_NAME, SYSTEMD_OBJECT_PATH, MANAGER_INTERFACE, UNIT_INTERFACE, SERVICE_INTERFACE } from './names.js';
export { applyProperties, describeMainExit, emptyUnitProperties, sameProperties, type UnitProperties } from './unit-properties.js';
