import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The Minicore node image (tools/node-image): Debian bookworm with systemd as PID 1, dbus and Node 20. */
export const NODE_IMAGE = process.env['MINICORE_NODE_IMAGE'] || 'minicore/node:latest';

export interface Mount {
  host: string;
  container: string;
  readOnly?: boolean;
}

export interface SystemdContainerOptions {
  image?: string;
  /** The container's name starts with this; a random suffix keeps concurrent runs apart. */
  namePrefix?: string;
  /**
   * Bind-mounts a fresh host folder at the container's /run/dbus, so the host can talk to the
   * node's real system bus (and through it to its systemd) at `busAddress`. The test process must
   * be root: the bus authenticates peers by uid, and systemd only lets root manage units.
   */
  exposeBus?: boolean;
  mounts?: Mount[];
  /** Until `systemctl is-system-running` answers running (or degraded). Default 60 s. */
  bootTimeoutMs?: number;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
}

/**
 * A system container booted from the node image with the run options of DESIGN.md (systemd as PID
 * 1, no --privileged). It is the real thing a Minicore machine is: systemd, its D-Bus system bus,
 * journald. `remove()` deletes it and everything it ran.
 */
export class SystemdContainer {
  private constructor(
    readonly name: string,
    /** Set with `exposeBus`: `unix:path=…` of the node's system bus, reachable from the host. */
    readonly busAddress: string | undefined,
    private readonly hostDir: string | undefined,
  ) {}

  static async start(options: SystemdContainerOptions = {}): Promise<SystemdContainer> {
    const image = options.image ?? NODE_IMAGE;
    await requireImage(image);
    const name = `${options.namePrefix ?? 'minicore-systemd-test'}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const hostDir = options.exposeBus ? await mkdtemp(path.join(tmpdir(), 'minicore-systemd-bus-')) : undefined;
    const args = [
      'run', '-d', '--name', name,
      '--cap-add', 'SYS_ADMIN', '--cap-add', 'NET_ADMIN',
      '--security-opt', 'seccomp=unconfined',
      '--cgroupns=host', '-v', '/sys/fs/cgroup:/sys/fs/cgroup:rw',
      '--tmpfs', '/run', '--tmpfs', '/run/lock',
      '-e', 'container=docker',
      '--stop-signal', 'SIGRTMIN+3',
      '--label', 'minicore.test=systemd',
    ];
    if (hostDir) args.push('-v', `${hostDir}:/run/dbus`);
    for (const mount of options.mounts ?? []) args.push('-v', `${mount.host}:${mount.container}${mount.readOnly ? ':ro' : ''}`);
    args.push(image, '/lib/systemd/systemd');
    try {
      await run('docker', args);
    } catch (error) {
      if (hostDir) await rm(hostDir, { recursive: true, force: true });
      throw new Error(`could not start a systemd container from ${image}: ${stderrOf(error)}`, { cause: error });
    }
    const container = new SystemdContainer(name, hostDir ? `unix:path=${path.join(hostDir, 'system_bus_socket')}` : undefined, hostDir);
    try {
      await container.#waitBooted(options.bootTimeoutMs ?? 60_000);
    } catch (error) {
      await container.remove();
      throw error;
    }
    return container;
  }

  async #waitBooted(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let state: string;
      try {
        // --wait returns once boot has finished, whatever the outcome; degraded still has a working systemd.
        const { stdout } = await run('docker', ['exec', this.name, 'systemctl', 'is-system-running', '--wait'], { timeout: Math.max(1000, deadline - Date.now()) });
        state = stdout.trim();
      } catch (error) {
        // Right after `docker run`, systemd's own socket may not exist yet: ask again.
        state = ((error as { stdout?: string }).stdout ?? '').trim() || stderrOf(error);
      }
      if (state === 'running' || state === 'degraded') break;
      if (Date.now() > deadline) throw new Error(`systemd in ${this.name} did not boot within ${timeoutMs} ms: is-system-running said "${state}"`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (this.hostDir && !existsSync(path.join(this.hostDir, 'system_bus_socket'))) throw new Error(`systemd in ${this.name} booted but its system bus socket is missing`);
  }

  /** Runs a command in the container and resolves with its output; rejects (with stderr) if it fails. */
  async exec(command: string[], options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    try {
      const { stdout, stderr } = await run('docker', ['exec', this.name, ...command], { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 << 20 });
      return { stdout, stderr };
    } catch (error) {
      throw new Error(`in ${this.name}: ${command.join(' ')} failed: ${stderrOf(error)}`, { cause: error });
    }
  }

  /** A long-running process in the container with piped stdio (`docker exec -i`): closing its stdin is its cue to end. */
  spawn(command: string[], options: { workdir?: string; env?: Record<string, string> } = {}): ChildProcess {
    const args = ['exec', '-i'];
    if (options.workdir) args.push('-w', options.workdir);
    for (const [key, value] of Object.entries(options.env ?? {})) args.push('-e', `${key}=${value}`);
    return spawn('docker', [...args, this.name, ...command], { stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** The container's address on Docker's default bridge (reachable from the host). */
  async ipAddress(): Promise<string> {
    const { stdout } = await run('docker', ['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', this.name]);
    const address = stdout.trim().split(/\s+/)[0];
    if (!address) throw new Error(`${this.name} has no IP address`);
    return address;
  }

  async remove(): Promise<void> {
    await run('docker', ['rm', '-f', '-v', this.name]).catch(() => undefined);
    if (this.hostDir) await rm(this.hostDir, { recursive: true, force: true });
  }
}

async function requireImage(image: string): Promise<void> {
  try {
    await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image]);
  } catch (error) {
    const reason = stderrOf(error);
    if (/No such image/i.test(reason)) throw new Error(`the systemd node image ${image} is missing: build it with \`npm run node-image\` (tools/node-image)`, { cause: error });
    throw new Error(`cannot inspect the node image ${image} (is a Docker engine running?): ${reason}`, { cause: error });
  }
}

function stderrOf(error: unknown): string {
  const e = error as { stderr?: string; message?: string };
  return (e.stderr || e.message || String(error)).trim();
}
