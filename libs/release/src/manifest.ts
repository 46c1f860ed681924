import { ManifestInvalid, UnsafePath } from './errors.js';

export const MANIFEST_FORMAT = 'minicore-release/1';
/** Entry names inside the bundle: the manifest and its signature come first, then the files. */
export const MANIFEST_ENTRY = 'manifest.json';
export const SIGNATURE_ENTRY = 'manifest.sig';
export const FILES_PREFIX = 'files/';

export interface ManifestFile {
  /** Relative, forward-slash path inside the release, e.g. `apps/kv/dist/kvd/main.js`. */
  path: string;
  size: number;
  /** Lowercase hex. */
  sha256: string;
  /** Permission bits (0o644, 0o755). */
  mode: number;
}

export interface ReleaseManifest {
  format: typeof MANIFEST_FORMAT;
  version: string;
  /** ISO 8601. */
  buildTime: string;
  files: ManifestFile[];
}

/** What the signature entry holds: an ed25519 signature over the exact bytes of manifest.json. */
export interface SignatureDocument {
  algorithm: 'ed25519';
  /** Which key signed it (see keyId), so a machine can say which key it would need. */
  keyId: string;
  /** base64. */
  signature: string;
}

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

export function isReleaseVersion(version: string): boolean {
  return SEMVER.test(version);
}

/** A path that cannot leave the directory it is unpacked into. */
export function assertSafePath(path: string): void {
  const parts = path.split('/');
  if (path === '' || path.startsWith('/') || path.includes('\\') || path.includes('\0') || parts.some((part) => part === '' || part === '.' || part === '..')) {
    throw UnsafePath(path);
  }
}

/** Manifest bytes as signed: sorted files, stable key order, so the same tree gives the same bytes. */
export function serializeManifest(manifest: ReleaseManifest): Buffer {
  const files = [...manifest.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const ordered: ReleaseManifest = {
    format: manifest.format,
    version: manifest.version,
    buildTime: manifest.buildTime,
    files: files.map((file) => ({ path: file.path, size: file.size, sha256: file.sha256, mode: file.mode })),
  };
  return Buffer.from(`${JSON.stringify(ordered, null, 1)}\n`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a manifest read from a bundle field by field; anything off is MC_ERR_BUNDLE_MANIFEST. */
export function parseManifest(bytes: Buffer): ReleaseManifest {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw ManifestInvalid(`not JSON (${(error as Error).message})`);
  }
  if (!isRecord(value)) throw ManifestInvalid('not a JSON object');
  if (value['format'] !== MANIFEST_FORMAT) throw ManifestInvalid(`format is ${JSON.stringify(value['format'])}, expected ${MANIFEST_FORMAT}`);
  const version = value['version'];
  if (typeof version !== 'string' || !isReleaseVersion(version)) throw ManifestInvalid(`version ${JSON.stringify(version)} is not X.Y.Z`);
  const buildTime = value['buildTime'];
  if (typeof buildTime !== 'string' || Number.isNaN(Date.parse(buildTime))) throw ManifestInvalid('buildTime is not a date');
  const files = value['files'];
  if (!Array.isArray(files)) throw ManifestInvalid('files is not a list');
  const seen = new Set<string>();
  const checked: ManifestFile[] = files.map((file: unknown, index) => {
    if (!isRecord(file)) throw ManifestInvalid(`files[${index}] is not an object`);
    const { path, size, sha256, mode } = file;
    if (typeof path !== 'string') throw ManifestInvalid(`files[${index}].path is not a string`);
    assertSafePath(path);
    if (seen.has(path)) throw ManifestInvalid(`${path} is listed twice`);
    seen.add(path);
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw ManifestInvalid(`${path}: size is not a byte count`);
    if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) throw ManifestInvalid(`${path}: sha256 is not 64 hex digits`);
    if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw ManifestInvalid(`${path}: mode is not a permission`);
    return { path, size, sha256, mode };
  });
  return { format: MANIFEST_FORMAT, version, buildTime, files: checked };
}

export function parseSignatureDocument(bytes: Buffer): SignatureDocument | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    if (!isRecord(value)) return undefined;
    const { algorithm, keyId, signature } = value;
    if (algorithm !== 'ed25519' || typeof keyId !== 'string' || typeof signature !== 'string') return undefined;
    return { algorithm, keyId, signature };
  } catch {
    return undefined;
  }
}
