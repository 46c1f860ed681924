import { SpecError } from './spec-error.js';

export interface VolumeBinding {
  /** An absolute host path, or a named volume. */
  source: string;
  target: string;
  readOnly: boolean;
}

const expected = 'expected SOURCE:TARGET[:ro|rw] with an absolute TARGET, e.g. /srv/data:/data:ro or cache:/cache';

/** `-v/--volume` as docker reads it (a host path or a named volume; anonymous volumes are not supported). */
export function parseVolumeSpec(spec: string): VolumeBinding {
  const [source = '', target = '', mode, extra] = spec.split(':');
  if (extra !== undefined || source === '' || target === '') throw new SpecError(`invalid volume "${spec}": ${expected}`);
  if (!target.startsWith('/')) throw new SpecError(`invalid volume "${spec}": the target "${target}" must be an absolute path in the container`);
  if (!source.startsWith('/') && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(source)) throw new SpecError(`invalid volume "${spec}": "${source}" is neither an absolute host path nor a volume name`);
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') throw new SpecError(`invalid volume "${spec}": unknown mode "${mode}"; ${expected}`);
  return { source, target, readOnly: mode === 'ro' };
}

export function formatVolumeBinding(binding: VolumeBinding): string {
  return `${binding.source}:${binding.target}${binding.readOnly ? ':ro' : ''}`;
}
