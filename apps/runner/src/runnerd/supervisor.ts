import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerEvent, ContainerInfo, DockerEngine, EventSubscription } from '@minicore/docker-engine';
import { EngineNotFoundError } from '@minicore/docker-engine';
import type { Logger } from '@minicore/log';
import { parseRestartPolicy, type RestartPolicy } from '../spec/index.js';
import { RunnerLabel, ownedBy } from '@minicore/runner-labels';
import { backoffDelay, nextAttempt, shouldRestart, shouldStartOnAdoption, type BackoffOptions } from './restart-decision.js';
import type { StateStore } from './state-store.js';

/** What the supervisor knows about one container beyond the engine's view. */
export interface SupervisionView {
  restartPolicy: RestartPolicy;
  restarts: number;
  nextRestartAt: number | null;
  stoppedByUser: boolean;
  lastExit: { code: number; oomKilled: boolean } | null;
}

interface Tracked {
  id: string;
  name: string;
  policy: RestartPolicy;
  attempt: number;
  startedAt: number | undefined;
  oomSeen: boolean;
  timer: NodeJS.Timeout | undefined;
  nextRestartAt: number | null;
  lastExit: { code: number; oomKilled: boolean } | null;
}

export interface SupervisorOptions {
  engine: DockerEngine;
  machineId: string;
  store: StateStore;
  logger: Logger;
  backoff: BackoffOptions;
}

function policyOf(labels: Record<string, string> | undefined): RestartPolicy {
  try {
    return parseRestartPolicy(labels?.[RunnerLabel.restart] ?? 'no');
  } catch {
    return { name: 'no', maxRetries: 0 };
  }
}

/**
 * Applies restart policies from the engine's event stream (no polling): a `die` of one of this
 * machine's containers schedules a start after an exponential backoff when the policy says so.
 * On start, and again after every reconnection to the engine, it reconciles with the engine's list,
 * which is how containers survive a runnerd restart (adoption).
 */
export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #tracked = new Map<string, Tracked>();
  #subscription: EventSubscription | undefined;
  #stopped = false;
  #connected = false;
  #loop: Promise<void> | undefined;
  #lastError = 'not connected yet';
  readonly #listeners = new Set<(event: ContainerEvent) => void>();
  readonly #reconcileListeners = new Set<(containers: readonly ContainerInfo[]) => void>();

  constructor(options: SupervisorOptions) {
    this.#options = options;
  }

  /** True while the event stream is open: /health reports it. */
  get connected(): true | string {
    return this.#connected ? true : `no event stream from the engine: ${this.#lastError}`;
  }

  /** Resolves once the first reconciliation has been tried (successfully or not). */
  async start(): Promise<void> {
    let firstDone: () => void = () => undefined;
    const first = new Promise<void>((resolve) => (firstDone = resolve));
    this.#loop = this.#run(firstDone);
    await first;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#subscription?.close();
    for (const tracked of this.#tracked.values()) clearTimeout(tracked.timer);
    await this.#loop;
  }

  /** Observes every event of this machine's containers (the attach route uses it for OOM reports). */
  onEvent(listener: (event: ContainerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Observes every listing of this machine's containers (on start and after each reconnection), for catching up on missed events. */
  onReconcile(listener: (containers: readonly ContainerInfo[]) => void): () => void {
    this.#reconcileListeners.add(listener);
    return () => this.#reconcileListeners.delete(listener);
  }

  view(id: string): SupervisionView | undefined {
    const tracked = this.#tracked.get(id);
    if (!tracked) return undefined;
    const record = this.#options.store.get(id);
    return { restartPolicy: tracked.policy, restarts: record.restarts, nextRestartAt: tracked.nextRestartAt, stoppedByUser: record.stoppedByUser, lastExit: tracked.lastExit };
  }

  /** Before runctl stop or rm: the coming `die` is wanted, not a failure. */
  async markStoppedByUser(id: string): Promise<void> {
    const tracked = this.#tracked.get(id);
    if (tracked) this.#cancelRestart(tracked);
    await this.#options.store.update(id, { stoppedByUser: true });
  }

  /** Before runctl start: supervision resumes with a fresh count. */
  async markStartedByUser(id: string, labels: Record<string, string>, name: string): Promise<void> {
    const tracked = this.#track(id, name, labels);
    this.#cancelRestart(tracked);
    tracked.attempt = 0;
    await this.#options.store.update(id, { stoppedByUser: false, restarts: 0 });
  }

  /** A container runnerd just created. */
  adopt(id: string, name: string, labels: Record<string, string>): void {
    this.#track(id, name, labels);
  }

  #track(id: string, name: string, labels: Record<string, string> | undefined): Tracked {
    let tracked = this.#tracked.get(id);
    if (!tracked) {
      tracked = { id, name, policy: policyOf(labels), attempt: 0, startedAt: undefined, oomSeen: false, timer: undefined, nextRestartAt: null, lastExit: null };
      this.#tracked.set(id, tracked);
    }
    return tracked;
  }

  #cancelRestart(tracked: Tracked): void {
    clearTimeout(tracked.timer);
    tracked.timer = undefined;
    tracked.nextRestartAt = null;
  }

  async #run(firstDone: () => void): Promise<void> {
    const { engine, machineId, logger } = this.#options;
    let failures = 0;
    let daemonStart = true;
    while (!this.#stopped) {
      try {
        // Subscribe first, then list: an exit between the two is seen twice rather than never.
        const subscription = await engine.containerEvents(ownedBy(machineId));
        this.#subscription = subscription;
        if (this.#stopped) subscription.close();
        await this.#reconcile(daemonStart);
        daemonStart = false;
        this.#connected = true;
        failures = 0;
        firstDone();
        logger.info('supervising from the engine event stream');
        for await (const event of subscription) this.#handle(event);
        if (!this.#stopped) this.#lastError = 'the engine closed the event stream';
      } catch (error) {
        this.#lastError = (error as Error).message;
        if (!this.#stopped) logger.warn({ err: error }, 'engine event stream failed; reconnecting');
      }
      this.#connected = false;
      firstDone();
      if (this.#stopped) break;
      failures += 1;
      await sleep(Math.min(5000, 100 * 2 ** Math.min(failures, 6)));
    }
  }

  /** Brings the tracked set in line with the engine's list and starts what died while nobody watched. */
  async #reconcile(daemonStart: boolean): Promise<void> {
    const { engine, machineId, store, logger } = this.#options;
    const containers = await engine.listContainers(ownedBy(machineId), true);
    const present = new Set(containers.map((container) => container.Id));
    for (const listener of this.#reconcileListeners) listener(containers);
    for (const [id, tracked] of this.#tracked) {
      if (!present.has(id)) {
        this.#cancelRestart(tracked);
        this.#tracked.delete(id);
      }
    }
    for (const id of store.ids()) if (!present.has(id)) await store.delete(id);
    for (const container of containers) {
      const tracked = this.#track(container.Id, (container.Names[0] ?? '').replace(/^\//, ''), container.Labels);
      if (container.State === 'running' || container.State === 'restarting' || tracked.timer) continue;
      if (tracked.policy.name === 'no') continue;
      const info = await engine.inspectContainer(container.Id).catch(() => undefined);
      if (!info || info.State.Running) continue;
      const record = store.get(container.Id);
      const facts = { exitCode: info.State.ExitCode, stoppedByUser: record.stoppedByUser, restarts: record.restarts, everStarted: !info.State.StartedAt.startsWith('0001-') };
      const start = daemonStart ? shouldStartOnAdoption(tracked.policy, facts) : shouldRestart(tracked.policy, facts) && facts.everStarted;
      if (start) {
        logger.info({ container: tracked.name, id: tracked.id, exitCode: facts.exitCode }, 'found stopped; starting it per its restart policy');
        if (daemonStart && record.stoppedByUser) await store.update(container.Id, { stoppedByUser: false });
        this.#scheduleRestart(tracked, undefined);
      }
    }
  }

  #handle(event: ContainerEvent): void {
    for (const listener of this.#listeners) listener(event);
    const tracked = this.#track(event.id, event.name, event.labels);
    switch (event.action) {
      case 'start':
        tracked.startedAt = Date.now();
        tracked.nextRestartAt = null;
        return;
      case 'oom':
        tracked.oomSeen = true;
        return;
      case 'die':
        void this.#onDie(tracked, event.exitCode ?? -1);
        return;
      case 'destroy':
        this.#cancelRestart(tracked);
        this.#tracked.delete(event.id);
        void this.#options.store.delete(event.id);
        return;
      default:
        return;
    }
  }

  async #onDie(tracked: Tracked, exitCode: number): Promise<void> {
    const { store, logger } = this.#options;
    tracked.lastExit = { code: exitCode, oomKilled: tracked.oomSeen };
    tracked.oomSeen = false;
    const ranForMs = tracked.startedAt === undefined ? undefined : Date.now() - tracked.startedAt;
    tracked.startedAt = undefined;
    const record = store.get(tracked.id);
    const restart = shouldRestart(tracked.policy, { exitCode, stoppedByUser: record.stoppedByUser, restarts: record.restarts });
    logger.info({ container: tracked.name, id: tracked.id, exitCode, oomKilled: tracked.lastExit.oomKilled, restart }, 'container exited');
    if (restart) this.#scheduleRestart(tracked, ranForMs);
  }

  #scheduleRestart(tracked: Tracked, ranForMs: number | undefined): void {
    const { engine, store, logger, backoff } = this.#options;
    this.#cancelRestart(tracked);
    tracked.attempt = nextAttempt(tracked.attempt, ranForMs, backoff);
    const delay = backoffDelay(tracked.attempt, backoff);
    tracked.attempt += 1;
    tracked.nextRestartAt = Date.now() + delay;
    tracked.timer = setTimeout(() => {
      tracked.timer = undefined;
      tracked.nextRestartAt = null;
      void (async () => {
        const record = store.get(tracked.id);
        if (record.stoppedByUser || this.#stopped) return;
        // The count is recorded while the engine starts the container, not before: the restart
        // does not wait for a file write (a count one short after a crash right here is harmless).
        void store.update(tracked.id, { restarts: record.restarts + 1 }).catch((error: unknown) => logger.warn({ err: error, container: tracked.name }, 'could not record the restart count'));
        try {
          await engine.startContainer(tracked.id);
          logger.info({ container: tracked.name, id: tracked.id, restarts: record.restarts + 1, delayMs: delay }, 'restarted');
        } catch (error) {
          if (error instanceof EngineNotFoundError) return;
          logger.warn({ err: error, container: tracked.name }, 'restart failed; trying again');
          this.#scheduleRestart(tracked, undefined);
        }
      })();
    }, delay);
  }
}
