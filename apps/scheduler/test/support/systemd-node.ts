import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { BackendUnit, BackendUnitStatus, UnitSystemdState } from '../../src/agent/backend.js';
import { SystemdContainer } from '@minicore/systemd/testing';
import type { UnitOption } from '@minicore/unit-file';

/** The workspace, bind-mounted read-only at the same path in the node so code runs there unchanged. */
export const workspaceRoot = path.resolve(import.meta.dirname, '../../../..');
const driverPath = path.join(import.meta.dirname, 'systemd-backend-driver.ts');

/** A Minicore machine with systemd as PID 1 (the node image), the workspace visible inside. */
export function startSystemdNode(namePrefix: string): Promise<SystemdContainer> {
  return SystemdContainer.start({ namePrefix, mounts: [{ host: workspaceRoot, container: workspaceRoot, readOnly: true }] });
}

export interface ChangeEvent {
  name: string;
  state: UnitSystemdState | undefined;
}

/**
 * schedulerd's systemd backend running inside the node (test/support/systemd-backend-driver.ts via
 * `docker exec -i`), so it reaches systemd, /run and journalctl exactly as on a machine. Each
 * instance is one schedulerd lifetime: `close()` is a graceful stop, `crash()` a sudden one.
 */
export class BackendInNode {
  readonly changes: ChangeEvent[] = [];
  stderr = '';
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; op: string }>();
  readonly #exited: Promise<unknown>;

  private constructor(private readonly child: ChildProcess) {
    this.#exited = once(child, 'exit');
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let message: { id?: number; result?: unknown; error?: string; event?: string; name?: string; state?: UnitSystemdState };
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        this.stderr += `${line}\n`;
        return;
      }
      if (message.event === 'change') this.changes.push({ name: message.name!, state: message.state });
      const waiter = message.id === undefined ? undefined : this.#pending.get(message.id);
      if (!waiter) return;
      this.#pending.delete(message.id!);
      if (message.error !== undefined) waiter.reject(new Error(message.error));
      else waiter.resolve(message.result);
    });
    void this.#exited.then(() => {
      for (const waiter of this.#pending.values()) waiter.reject(new Error(`the backend process exited during ${waiter.op}:\n${this.stderr.slice(-3000)}`));
      this.#pending.clear();
    });
  }

  /** Starts the driver in the node and runs the backend's init() (adoption of what runs already). */
  static async start(node: SystemdContainer): Promise<BackendInNode> {
    const child = node.spawn(['node', '--conditions=development', '--import', 'tsx', driverPath], { workdir: workspaceRoot, env: { MINICORE_LOG_LEVEL: 'info' } });
    const backend = new BackendInNode(child);
    await backend.call('init');
    return backend;
  }

  call<T = unknown>(op: string, ...args: unknown[]): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject, op });
      this.child.stdin!.write(`${JSON.stringify({ id, op, args })}\n`);
    });
  }

  list = () => this.call<BackendUnit[]>('list');
  status = (name: string) => this.call<BackendUnitStatus | null>('status', name);
  load = (name: string, options: UnitOption[], hash: string) => this.call<void>('load', name, options, hash);
  unload = (name: string) => this.call<void>('unload', name);
  start = (name: string) => this.call<void>('start', name);
  stop = (name: string) => this.call<void>('stop', name);
  journal = (name: string, lines: number) => this.call<string[]>('journal', name, lines);

  /** Graceful schedulerd stop: the backend's close() runs, units stay as they are. */
  async close(): Promise<void> {
    this.child.stdin!.end();
    await this.#exited;
  }

  /** schedulerd dies without cleaning up. */
  async crash(): Promise<void> {
    void this.call('crash').catch(() => undefined);
    await this.#exited;
  }
}
