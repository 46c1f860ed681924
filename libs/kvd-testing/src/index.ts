export { KVD_MAIN, kvdBuilt } from './kvd-main.js';
export { freePort } from './free-port.js';
export { waitFor } from './wait-for.js';
export { KvdMember, type KvdMemberOptions } from './kvd-member.js';
export { KvdCluster, type KvdClusterOptions } from './kvd-cluster.js';
export { DaemonProcess, run, type Outcome } from './daemon-process.js';
export { EtcdCluster, EtcdMember, ETCD_BINARY, etcdInstalled, type EtcdClusterOptions } from './etcd-cluster.js';
export { startKvCluster, kvServerMissing, type KvServerKind, type KvTestCluster } from './kv-test-cluster.js';
