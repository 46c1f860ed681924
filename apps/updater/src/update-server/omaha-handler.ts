import semver from 'semver';
import { AppStatus, COREOS_APP_ID, ErrorCode, EventResult, EventType, InstanceStatus, MINICORE_APP_ID, UpdateCheckStatus, decodeErrorCode, type OmahaRequest, type OmahaResponse, type RequestApp, type RequestEvent, type ResponseApp, type ResponseUpdateCheck } from '@minicore/omaha';
import type { ActivityEntry, GroupRecord, InstanceRecord, PackageRecord } from '../api/types.js';
import { VALIDITY_INTERVAL_MS, computeStats, decidePolicy } from './policy.js';
import { newInstance, type ServerStore } from './store.js';

export const SERVER_NAME = 'update-server';

export interface OmahaContext {
  store: ServerStore;
  now: () => Date;
  /** Nebraska's "disable updates on failed rollout" option: the first attempt failing stops the group. */
  disableUpdatesOnFailedRollout: boolean;
  /** Where a package is downloaded from: `<base>/packages/<app>/` (the codebase). */
  codebase: (appId: string) => string;
  /** group@version pairs already reported as PackageNotFound (one activity entry each, not one per check). */
  missingPackages: Set<string>;
}

/**
 * Applications whose instances follow the OS rules of Nebraska's Flatcar special case: the
 * every-check `3/2 previousversion=""` resets an in-progress instance, and only the post-reboot
 * `3/2` with the old version (never `3/1`) completes an update.
 */
const OS_APPS = new Set([MINICORE_APP_ID, COREOS_APP_ID]);
const IN_PROGRESS: readonly number[] = [InstanceStatus.Downloading, InstanceStatus.Downloaded, InstanceStatus.Installed];

/**
 * The instance's last update, to `version`, ended with Flatcar's RollbackError (44): the release was
 * installed and booted, and the machine fell back from it. Nebraska and CoreRoller would offer it
 * again (only a group switched off by the first failure stops that); a rollback is not a transient
 * download error, so the same version is not offered to that machine again. A newer version is.
 */
export function rolledBackFrom(instance: InstanceRecord, version: string): boolean {
  return !instance.updateInProgress && instance.lastUpdateVersion === version && instance.lastErrorCode !== null && decodeErrorCode(instance.lastErrorCode).code === ErrorCode.RollbackError;
}

/** The app key used in package paths: the app id without braces. */
export function appKey(appId: string): string {
  return appId.replace(/^\{|\}$/g, '');
}

interface Step {
  app: ResponseApp;
}

/**
 * Handles one Omaha request like Nebraska: per app, register the instance, then events, then the
 * ping, then the update check. All decisions and state changes happen synchronously here; the
 * caller flushes the store before answering.
 */
export function handleOmahaRequest(request: OmahaRequest, ip: string, context: OmahaContext): OmahaResponse {
  const apps = request.apps.map((app) => handleApp(app, ip, context).app);
  return { server: SERVER_NAME, daystartElapsedSeconds: 0, apps };
}

function handleApp(requestApp: RequestApp, ip: string, context: OmahaContext): Step {
  const { store } = context;
  const now = context.now();
  const at = now.toISOString();
  const base: ResponseApp = { appid: requestApp.appid, status: AppStatus.Ok };
  if (requestApp.ping) base.ping = true;
  if (requestApp.events.length > 0) base.events = requestApp.events.length;
  const fail = (status: string): Step => ({ app: { ...base, status, ...(requestApp.updatecheck ? { updatecheck: { status: UpdateCheckStatus.Internal } } : {}) } });

  const application = store.apps.get(requestApp.appid);
  if (!application) return fail(AppStatus.UnknownApplication);
  if (requestApp.machineid === '') return fail(AppStatus.InstanceRegistrationFailed);

  const instance = store.getInstance(requestApp.appid, requestApp.machineid) ?? newInstance(requestApp.appid, requestApp.machineid);
  const group = store.groupByTrack(requestApp.appid, requestApp.track);
  Object.assign(instance, {
    ip,
    version: requestApp.version,
    track: requestApp.track,
    group: group?.name ?? null,
    lastCheck: at,
    bootId: requestApp.bootid,
    oem: requestApp.oem,
    alephVersion: requestApp.alephversion,
  });
  const session = new InstanceSession(instance, group, context, at);

  for (const event of requestApp.events) session.event(event, OS_APPS.has(requestApp.appid));

  let step: Step = { app: base };
  if (requestApp.updatecheck) {
    const outcome = session.updateCheck();
    step = outcome.kind === 'error' ? fail(outcome.status) : { app: { ...base, updatecheck: outcome.updatecheck } };
  }
  session.save();
  return step;
}

type CheckOutcome = { kind: 'error'; status: string } | { kind: 'check'; updatecheck: ResponseUpdateCheck };

/** One instance's changes within one request; the history gets one entry per status change. */
class InstanceSession {
  readonly #store: ServerStore;
  #lastSaved: number;
  #changes: { status: number; errorCode?: number }[] = [];

  constructor(
    readonly instance: InstanceRecord,
    readonly group: GroupRecord | undefined,
    readonly context: OmahaContext,
    readonly at: string,
  ) {
    this.#store = context.store;
    this.#lastSaved = instance.status;
  }

  setStatus(status: number, errorCode?: number): void {
    if (status === this.instance.status && errorCode === undefined) return;
    this.instance.status = status;
    this.#changes.push(errorCode === undefined ? { status } : { status, errorCode });
  }

  save(): void {
    // Each transition is written with its own history entry, in order.
    let previous = this.#lastSaved;
    for (const change of this.#changes) {
      this.instance.status = change.status;
      const decoded = change.errorCode === undefined ? undefined : decodeErrorCode(change.errorCode);
      this.#store.putInstance({ ...this.instance }, previous, this.at, change.errorCode, decoded ? [decoded.name, ...decoded.flags.map((f) => `${f}Flag`)].join(' with ') : undefined);
      previous = change.status;
    }
    this.#store.putInstance(this.instance, previous, this.at);
    this.#lastSaved = this.instance.status;
    this.#changes = [];
  }

  activity(entry: Omit<ActivityEntry, 'at' | 'appId'>): void {
    this.#store.addActivity({ at: this.at, appId: this.instance.appId, ...entry });
  }

  event(event: RequestEvent, osApp: boolean): void {
    const instance = this.instance;
    // Events only count while an update is in progress for the instance ("no update in progress").
    if (!instance.updateInProgress) return;
    const { eventtype: type, eventresult: result } = event;
    if (result === EventResult.Error) {
      const code = event.errorcode ?? 1;
      instance.updateInProgress = false;
      instance.lastErrorCode = code;
      this.setStatus(InstanceStatus.Error, code);
      const decoded = decodeErrorCode(code);
      const what = decoded.code === ErrorCode.RollbackError ? `rolled back from ${instance.lastUpdateVersion ?? '?'} (it never became healthy; not offered that version again)` : `failed to update to ${instance.lastUpdateVersion ?? '?'}`;
      this.activity({ class: 'InstanceUpdateFailed', severity: 'error', machineId: instance.machineId, ...(this.group ? { group: this.group.name } : {}), ...(instance.lastUpdateVersion ? { version: instance.lastUpdateVersion } : {}), message: `instance ${instance.machineId} ${what}: ${decoded.name}${decoded.flags.map((f) => ` with ${f}Flag`).join('')}` });
      this.failedRollout();
      return;
    }
    if (type === EventType.UpdateComplete && result === EventResult.SuccessReboot) {
      const previous = event.previousversion ?? '';
      if (osApp && (previous === '' || previous === '0.0.0.0')) {
        // The every-check event, not a completion: the instance starts over from Undefined.
        this.setStatus(InstanceStatus.Undefined);
        return;
      }
      this.complete();
      return;
    }
    if (result !== EventResult.Success) return;
    if (type === EventType.UpdateDownloadStarted) this.setStatus(InstanceStatus.Downloading);
    else if (type === EventType.UpdateDownloadFinished) this.setStatus(InstanceStatus.Downloaded);
    else if (type === EventType.Installed) this.setStatus(InstanceStatus.Installed);
    else if (type === EventType.UpdateComplete && !osApp) this.complete();
  }

  complete(): void {
    this.instance.updateInProgress = false;
    this.instance.lastErrorCode = null;
    this.setStatus(InstanceStatus.Complete);
    this.maybeFinishRollout();
  }

  validInstances(): InstanceRecord[] {
    const since = Date.parse(this.at) - VALIDITY_INTERVAL_MS;
    return this.#store.appInstances(this.instance.appId).map((i) => (i.machineId === this.instance.machineId ? this.instance : i)).filter((i) => i.group === this.group?.name && Date.parse(i.lastCheck) >= since);
  }

  maybeFinishRollout(): void {
    const group = this.group;
    const version = this.instance.lastUpdateVersion;
    if (!group?.rolloutInProgress || !version) return;
    const members = this.validInstances();
    const succeeded = members.filter((i) => i.version === version || (i.status === InstanceStatus.Complete && i.lastUpdateVersion === version)).length;
    if (succeeded < members.length) return;
    group.rolloutInProgress = false;
    this.#store.putGroup(group);
    this.activity({ class: 'RolloutFinished', severity: 'success', group: group.name, version, message: `rollout of ${version} to group ${group.name} finished: ${succeeded} instance(s) updated` });
  }

  failedRollout(): void {
    const group = this.group;
    const version = this.instance.lastUpdateVersion;
    // Nebraska's "disable updates on failed rollout" server option (CoreRoller always did this), and
    // safe mode as Nebraska's UI describes it: "Only update 1 instance at a time, and stop if an update fails".
    if (!group || !version || !(this.context.disableUpdatesOnFailedRollout || group.policy.safeMode)) return;
    const stats = computeStats(this.validInstances(), group.name, version, group.policy, Date.parse(this.at));
    if (stats.attempted !== 1) return;
    group.policy.updatesEnabled = false;
    group.rolloutInProgress = false;
    this.#store.putGroup(group);
    this.activity({ class: 'RolloutFailed', severity: 'error', group: group.name, version, message: `rollout of ${version} to group ${group.name} failed on its first instance; updates disabled` });
  }

  /** Nebraska's GetUpdatePackage (research notes §4.2). */
  updateCheck(): CheckOutcome {
    const instance = this.instance;
    const store = this.#store;
    if (IN_PROGRESS.includes(instance.status)) return { kind: 'error', status: AppStatus.UpdateInProgressOnInstance };
    const group = this.group;
    if (!group) return { kind: 'error', status: AppStatus.UnknownApplicationOrGroup };
    const channel = store.getChannel(instance.appId, group.channel);
    const pkg = channel?.version ? store.getPackage(instance.appId, channel.version) : undefined;
    if (!pkg) {
      this.packageNotFound(group, channel?.version ?? null);
      return { kind: 'error', status: AppStatus.NoPackageFound };
    }
    if (instance.updateInProgress && instance.lastUpdateVersion) {
      if (instance.version === instance.lastUpdateVersion) {
        this.complete();
        return { kind: 'check', updatecheck: { status: UpdateCheckStatus.NoUpdate } };
      }
      if (instance.lastUpdateVersion === pkg.version) {
        this.setStatus(InstanceStatus.UpdateGranted);
        return { kind: 'check', updatecheck: this.offer(pkg) };
      }
    }
    const running = semver.valid(instance.version);
    if (!running) return { kind: 'error', status: AppStatus.InvalidVersion };
    // No downgrades: a machine at or past the channel's version has nothing to do.
    if (semver.gte(running, pkg.version)) return { kind: 'check', updatecheck: { status: UpdateCheckStatus.NoUpdate } };
    // A machine that rolled back from this version is not offered it again: it would install it, reboot
    // into it and fall back again, once per check, holding the reboot lock each time.
    if (rolledBackFrom(instance, pkg.version)) return { kind: 'check', updatecheck: { status: UpdateCheckStatus.NoUpdate } };

    const now = Date.parse(this.at);
    // The counters follow stored instances; this one has changed since (it is saved at the end).
    store.counters.track(instance);
    const verdict = decidePolicy(group.policy, () => store.counters.stats(instance.appId, group.name, pkg.version, group.policy.periodMs, group.policy.updateTimeoutMs, now), new Date(now));
    if (!verdict.grant) {
      if (verdict.onHold) this.setStatus(InstanceStatus.OnHold);
      if (verdict.disableUpdates) {
        group.policy.updatesEnabled = false;
        store.putGroup(group);
        this.activity({ class: 'RolloutFailed', severity: 'error', group: group.name, version: pkg.version, message: `safe mode: updates to ${pkg.version} timed out in group ${group.name}; updates disabled` });
      }
      return { kind: 'error', status: verdict.status };
    }
    instance.updateInProgress = true;
    instance.lastUpdateVersion = pkg.version;
    instance.lastUpdateGrantedAt = this.at;
    instance.lastErrorCode = null;
    this.setStatus(InstanceStatus.UpdateGranted);
    if (!group.rolloutInProgress) {
      group.rolloutInProgress = true;
      store.putGroup(group);
      this.activity({ class: 'RolloutStarted', severity: 'info', group: group.name, version: pkg.version, message: `rollout of ${pkg.version} to group ${group.name} started` });
    }
    return { kind: 'check', updatecheck: this.offer(pkg) };
  }

  packageNotFound(group: GroupRecord, version: string | null): void {
    const mark = `${group.appId}/${group.name}@${version ?? ''}`;
    if (this.context.missingPackages.has(mark)) return;
    this.context.missingPackages.add(mark);
    this.activity({ class: 'PackageNotFound', severity: 'warning', group: group.name, ...(version ? { version } : {}), message: `group ${group.name}: channel ${group.channel} has ${version ? `version ${version}, which has no package` : 'no version'}` });
  }

  offer(pkg: PackageRecord): ResponseUpdateCheck {
    return {
      status: UpdateCheckStatus.Ok,
      urls: [this.context.codebase(pkg.appId)],
      manifest: {
        version: pkg.version,
        packages: [{ name: pkg.filename, hash: pkg.sha1Base64, hash_sha256: pkg.sha256Base64, size: pkg.size, required: true }],
        actions: [{ event: 'postinstall', sha256: pkg.sha256Base64, extra: { DisablePayloadBackoff: 'true' } }],
      },
    };
  }
}
