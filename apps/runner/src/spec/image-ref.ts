import { SpecError } from './spec-error.js';

/** An image reference split the way the engine reads it: `[REGISTRY/]REPOSITORY[:TAG]`. */
export interface ImageRef {
  /** `host[:port]` when the first path component names a registry (has `.` or `:`, or is `localhost`). */
  registry: string | undefined;
  /** Everything before the tag, registry included: what the engine calls the repository. */
  repo: string;
  tag: string;
}

const component = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Parses NAME[:TAG] (no digests: runctl moves images by tag). The tag defaults to `latest`. */
export function parseImageRef(reference: string): ImageRef {
  const text = reference.trim();
  const slash = text.lastIndexOf('/');
  const colon = text.lastIndexOf(':');
  const hasTag = colon > slash;
  const repo = hasTag ? text.slice(0, colon) : text;
  const tag = hasTag ? text.slice(colon + 1) : 'latest';
  const parts = repo.split('/');
  const first = parts[0] ?? '';
  const registry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : undefined;
  const path = registry ? parts.slice(1) : parts;
  const bad = (why: string) => new SpecError(`invalid image reference "${reference}": ${why}; expected [REGISTRY/]NAME[:TAG], e.g. 10.77.0.10:5000/minicore/busybox:latest`);
  if (registry !== undefined && !/^[A-Za-z0-9.-]+(?::\d{1,5})?$/.test(registry)) throw bad(`"${registry}" is not a registry HOST[:PORT]`);
  if (path.length === 0 || path.some((part) => !component.test(part))) throw bad('the name must be lowercase letters, digits and . _ - separated by /');
  if (!tagPattern.test(tag)) throw bad(`"${tag}" is not a tag`);
  return { registry, repo, tag };
}

export function formatImageRef(ref: ImageRef): string {
  return `${ref.repo}:${ref.tag}`;
}

/**
 * The reference under `registry`: `minicore/busybox:1` at `10.77.0.10:5000` is
 * `10.77.0.10:5000/minicore/busybox:1`. A reference that already names a registry is refused: say it once.
 */
export function inRegistry(ref: ImageRef, registry: string): ImageRef {
  if (ref.registry !== undefined) throw new SpecError(`image ${formatImageRef(ref)} already names a registry (${ref.registry}): drop --registry or the registry part`);
  return parseImageRef(`${registry}/${ref.repo}:${ref.tag}`);
}
