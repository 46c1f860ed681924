export { checkOperations, checkPartition } from './checker.js';
export { etcdModel, type EtcdInput, type EtcdOutput, type EtcdState } from './etcd-model.js';
export { interpretAnswer, interpretTransportError, requestFor, type Answer, type EtcdBody } from './etcd-requests.js';
export { formatIllegalReport, formatOperation } from './report.js';
export type { CheckOptions, CheckReport, CheckResult, IllegalReport, Model, Operation, Partition, PartitionResult, ReportedOperation } from './types.js';
