/** The real etcd the kvctl integration tests run against (until kvd takes its place). */
export { startEtcd, type RunningServer } from '@minicore/kv-client/testing';
