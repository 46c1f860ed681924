export { SpecError } from './spec-error.js';
export { parseMemory, formatMemory, MIN_MEMORY_BYTES } from './memory.js';
export { parseCpus } from './cpus.js';
export { parsePortSpec, formatPortBinding, type PortBinding } from './ports.js';
export { parseRestartPolicy, formatRestartPolicy, type RestartPolicy, type RestartPolicyName } from './restart-policy.js';
export { parseEnv, parseLabel, collect, RESERVED_LABEL_PREFIX } from './key-values.js';
export { parseVolumeSpec, formatVolumeBinding, type VolumeBinding } from './volumes.js';
