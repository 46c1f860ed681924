import { UsageError } from '@minicore/cli';
import type { RunRequest } from '../api/index.js';
import { SpecError, collect, parseAnnounceSpec, parseCpus, parseEnv, parseHealthFlags, parseLabel, parseMemory, parsePortSpec, parseRestartPolicy, parseVolumeSpec, type HealthFlags } from '../spec/index.js';

/** `runctl run`'s options as commander collects them. */
export interface RunFlags extends HealthFlags {
  name?: string;
  env: string[];
  publish: string[];
  volume: string[];
  label: string[];
  memory?: string;
  cpus?: string;
  restart: string;
  rm?: boolean;
  announce?: string[];
}

/** Turns docker-style option strings into the API's run request; a bad value is a usage error (exit 2). */
export function toRunRequest(image: string, command: readonly string[], flags: RunFlags, environment: NodeJS.ProcessEnv): RunRequest {
  try {
    const restart = parseRestartPolicy(flags.restart);
    if (flags.rm && restart.name !== 'no') throw new SpecError(`--rm cannot be combined with --restart ${flags.restart}: a removed container cannot be restarted`);
    if (flags.name !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(flags.name)) throw new SpecError(`invalid container name "${flags.name}": use letters, digits, _ . - (starting with a letter or digit)`);
    const announce = (flags.announce ?? []).map(parseAnnounceSpec);
    const healthcheck = parseHealthFlags(flags);
    return {
      image,
      ...(flags.name ? { name: flags.name } : {}),
      ...(command.length > 0 ? { command: [...command] } : {}),
      env: collect(flags.env, (spec) => parseEnv(spec, environment)),
      labels: collect(flags.label, parseLabel),
      ports: flags.publish.map(parsePortSpec),
      volumes: flags.volume.map(parseVolumeSpec),
      ...(flags.memory ? { memoryBytes: parseMemory(flags.memory) } : {}),
      ...(flags.cpus ? { nanoCpus: parseCpus(flags.cpus) } : {}),
      restart,
      autoRemove: flags.rm ?? false,
      ...(announce.length > 0 ? { announce } : {}),
      ...(healthcheck ? { healthcheck } : {}),
    };
  } catch (error) {
    if (error instanceof SpecError) throw new UsageError(error.message);
    throw error;
  }
}
