import fs from 'node:fs';
import path from 'node:path';
import { clusterMachines, runCommand, vagrantStateDir, type ClusterMachine } from './cluster.js';

/**
 * The chaos cluster's machines, and the few things the faults do to them: a shell command as root,
 * and the machine container's power (docker stop / kill / start: `vagrant halt` and `up` take a
 * Ruby start-up of several seconds each, too slow for a schedule of faults a few seconds long).
 */
export class Machines {
  readonly list: ClusterMachine[];

  constructor() {
    this.list = clusterMachines();
  }

  get names(): string[] {
    return this.list.map((machine) => machine.name);
  }

  byName(name: string): ClusterMachine {
    const machine = this.list.find((candidate) => candidate.name === name);
    if (!machine) throw new Error(`no machine ${name}`);
    return machine;
  }

  containerId(name: string): string {
    return fs.readFileSync(path.join(vagrantStateDir, 'machines', name, 'docker', 'id'), 'utf8').trim();
  }

  async exec(name: string, command: string, timeoutMs = 20_000): Promise<string> {
    return runCommand('docker', ['exec', this.containerId(name), 'sh', '-c', command], timeoutMs);
  }

  /** A clean halt: the image's stop signal (SIGRTMIN+3) makes systemd shut down; SIGKILL after 10 s. */
  async halt(name: string): Promise<void> {
    await runCommand('docker', ['stop', '-t', '10', this.containerId(name)]);
  }

  /** The plug pulled: every process of the machine killed at once. */
  async crash(name: string): Promise<void> {
    await runCommand('docker', ['kill', '-s', 'KILL', this.containerId(name)]);
  }

  async powerOn(name: string): Promise<void> {
    await runCommand('docker', ['start', this.containerId(name)], 60_000);
  }

  async running(name: string): Promise<boolean> {
    return (await runCommand('docker', ['inspect', '-f', '{{.State.Running}}', this.containerId(name)])).trim() === 'true';
  }

  /** The current Raft leader's machine name, if one of the machines says it is the leader within `timeoutMs`. */
  async leader(timeoutMs = 5_000): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    do {
      const leader = await this.selfLeader();
      if (leader) return leader;
      await new Promise((resolve) => setTimeout(resolve, 250));
    } while (Date.now() < deadline);
    return undefined;
  }

  /** The machine whose kvd says it is the leader (/v2/stats/self), if one does. */
  private async selfLeader(): Promise<string | undefined> {
    const states = await Promise.all(
      this.list.map(async (machine) => {
        try {
          const response = await fetch(`${machine.kvUrl}/v2/stats/self`, { signal: AbortSignal.timeout(1_000) });
          return ((await response.json()) as { state?: string }).state === 'StateLeader' ? machine.name : undefined;
        } catch {
          return undefined;
        }
      }),
    );
    return states.find((name) => name !== undefined);
  }

  /** True when the kvd of every machine answers /health with a healthy cluster. */
  async healthy(): Promise<boolean> {
    const answers = await Promise.all(
      this.list.map(async (machine) => {
        try {
          const response = await fetch(`${machine.kvUrl}/health`, { signal: AbortSignal.timeout(2_000) });
          const health = ((await response.json()) as { health?: string | boolean }).health;
          return response.ok && (health === 'true' || health === true);
        } catch {
          return false;
        }
      }),
    );
    return answers.every(Boolean);
  }
}

/**
 * Writes `text` to `file` on the machine when it differs, then runs `then` (e.g. a daemon-reload);
 * resolves 'changed' or 'same'.
 */
export async function installFile(machines: Machines, name: string, file: string, text: string, then: string): Promise<'changed' | 'same'> {
  const encoded = Buffer.from(text).toString('base64');
  const script = `mkdir -p "$(dirname ${file})" && echo ${encoded} | base64 -d > ${file}.new && if cmp -s ${file}.new ${file}; then rm ${file}.new; echo same; else mv ${file}.new ${file} && ${then} && echo changed; fi`;
  return (await machines.exec(name, script, 60_000)).includes('changed') ? 'changed' : 'same';
}
