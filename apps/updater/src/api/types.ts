/**
 * The admin API of update-server (JSON over HTTP, bearer token): one typed definition used by the
 * server's routes and by updatectl. Times are ISO 8601 strings, durations milliseconds.
 */
import { Type, type Static } from '@minicore/http';

export const RolloutPolicy = Type.Object({
  /** Nebraska's policy_updates_enabled; a new group starts with updates disabled, as in its UI. */
  updatesEnabled: Type.Boolean(),
  /** Only one instance at a time until one has attempted this version; stop when updates time out or the first attempt fails. */
  safeMode: Type.Boolean(),
  /** Grant only Monday to Friday, 09:00-17:00 in `timezone`. */
  officeHours: Type.Boolean(),
  timezone: Type.String(),
  maxUpdatesPerPeriod: Type.Integer({ minimum: 1 }),
  periodMs: Type.Integer({ minimum: 1000 }),
  updateTimeoutMs: Type.Integer({ minimum: 1000 }),
});
export type RolloutPolicy = Static<typeof RolloutPolicy>;

export const defaultPolicy: RolloutPolicy = {
  updatesEnabled: false,
  safeMode: false,
  officeHours: false,
  timezone: 'UTC',
  maxUpdatesPerPeriod: 1,
  periodMs: 60 * 60 * 1000,
  updateTimeoutMs: 24 * 60 * 60 * 1000,
};

export const ApplicationRecord = Type.Object({ id: Type.String(), name: Type.String(), createdAt: Type.String() });
export type ApplicationRecord = Static<typeof ApplicationRecord>;

export const PackageRecord = Type.Object({
  appId: Type.String(),
  version: Type.String(),
  filename: Type.String(),
  size: Type.Integer(),
  /** hex */
  sha256: Type.String(),
  /** base64, what the Omaha postinstall action carries */
  sha256Base64: Type.String(),
  /** base64 SHA-1, Omaha's package@hash */
  sha1Base64: Type.String(),
  buildTime: Type.String(),
  files: Type.Integer(),
  keyId: Type.String(),
  uploadedAt: Type.String(),
});
export type PackageRecord = Static<typeof PackageRecord>;

export const ChannelRecord = Type.Object({ appId: Type.String(), name: Type.String(), version: Type.Union([Type.String(), Type.Null()]), updatedAt: Type.String() });
export type ChannelRecord = Static<typeof ChannelRecord>;

export const GroupRecord = Type.Object({
  appId: Type.String(),
  name: Type.String(),
  track: Type.String(),
  channel: Type.String(),
  policy: RolloutPolicy,
  rolloutInProgress: Type.Boolean(),
  createdAt: Type.String(),
});
export type GroupRecord = Static<typeof GroupRecord>;

export const InstanceRecord = Type.Object({
  appId: Type.String(),
  machineId: Type.String(),
  ip: Type.String(),
  version: Type.String(),
  track: Type.String(),
  group: Type.Union([Type.String(), Type.Null()]),
  /** Nebraska's numeric status (1 Undefined ... 8 OnHold) and its name. */
  status: Type.Integer(),
  statusName: Type.String(),
  lastCheck: Type.String(),
  lastUpdateGrantedAt: Type.Union([Type.String(), Type.Null()]),
  lastUpdateVersion: Type.Union([Type.String(), Type.Null()]),
  updateInProgress: Type.Boolean(),
  bootId: Type.String(),
  oem: Type.String(),
  alephVersion: Type.String(),
  lastErrorCode: Type.Union([Type.Integer(), Type.Null()]),
});
export type InstanceRecord = Static<typeof InstanceRecord>;

export const HistoryEntry = Type.Object({
  at: Type.String(),
  status: Type.Integer(),
  statusName: Type.String(),
  version: Type.String(),
  errorCode: Type.Optional(Type.Integer()),
  errorName: Type.Optional(Type.String()),
});
export type HistoryEntry = Static<typeof HistoryEntry>;

export const ActivityEntry = Type.Object({
  at: Type.String(),
  appId: Type.String(),
  class: Type.Union([
    Type.Literal('PackageNotFound'),
    Type.Literal('RolloutStarted'),
    Type.Literal('RolloutFinished'),
    Type.Literal('RolloutFailed'),
    Type.Literal('InstanceUpdateFailed'),
    Type.Literal('ChannelPackageUpdated'),
  ]),
  severity: Type.Union([Type.Literal('success'), Type.Literal('info'), Type.Literal('warning'), Type.Literal('error')]),
  group: Type.Optional(Type.String()),
  version: Type.Optional(Type.String()),
  machineId: Type.Optional(Type.String()),
  message: Type.String(),
});
export type ActivityEntry = Static<typeof ActivityEntry>;

export const RolloutStatus = Type.Object({
  group: GroupRecord,
  channelVersion: Type.Union([Type.String(), Type.Null()]),
  /** Instances that checked in within the last day (Nebraska's validity interval). */
  instances: Type.Integer(),
  /** Count per status name. */
  statuses: Type.Record(Type.String(), Type.Integer()),
  /** Count per running version. */
  versions: Type.Record(Type.String(), Type.Integer()),
  /** Instances whose update to the channel version ended in Error, with the decoded code (a rollback: RollbackError). */
  failed: Type.Array(Type.Object({ machineId: Type.String(), errorCode: Type.Union([Type.Integer(), Type.Null()]), errorName: Type.String() })),
  /** Policy accounting for the channel version right now. */
  stats: Type.Object({ attempted: Type.Integer(), grantedInLastPeriod: Type.Integer(), inProgress: Type.Integer(), timedOut: Type.Integer(), updated: Type.Integer() }),
});
export type RolloutStatus = Static<typeof RolloutStatus>;

export const CreateChannelBody = Type.Object({ name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._-]+$' }), version: Type.Optional(Type.Union([Type.String(), Type.Null()])) });
export const PromoteChannelBody = Type.Object({ version: Type.String() });
export const CreateGroupBody = Type.Object({
  name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._-]+$' }),
  channel: Type.String(),
  track: Type.String({ minLength: 1 }),
  policy: Type.Optional(Type.Partial(RolloutPolicy)),
});
export const UpdateGroupBody = Type.Object({ channel: Type.Optional(Type.String()), track: Type.Optional(Type.String({ minLength: 1 })), policy: Type.Optional(Type.Partial(RolloutPolicy)) });
export type UpdateGroupBody = Static<typeof UpdateGroupBody>;

export const ADMIN_PREFIX = '/api';
export const OMAHA_PATH = '/v1/update/';
export const PACKAGES_PREFIX = '/packages/';
