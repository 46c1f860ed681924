/**
 * Why a release bundle was rejected. Each reason has its own code so that callers can map it to
 * update_engine's error codes (a bad signature is not the same failure as a cut-off download) and
 * tests can tell a tampered bundle from a truncated one.
 */
export type ReleaseErrorCode =
  | 'MC_ERR_BUNDLE_TRUNCATED'
  | 'MC_ERR_BUNDLE_CORRUPT'
  | 'MC_ERR_BUNDLE_MANIFEST'
  | 'MC_ERR_BUNDLE_SIGNATURE_MISSING'
  | 'MC_ERR_BUNDLE_SIGNATURE_INVALID'
  | 'MC_ERR_BUNDLE_FILE_HASH'
  | 'MC_ERR_BUNDLE_FILE_MISSING'
  | 'MC_ERR_BUNDLE_FILE_UNEXPECTED'
  | 'MC_ERR_BUNDLE_UNSAFE_PATH'
  | 'MC_ERR_RELEASE_KEY';

export class ReleaseError extends Error {
  override name = 'ReleaseError';
  constructor(
    readonly code: ReleaseErrorCode,
    message: string,
    readonly path?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export const BundleTruncated = (detail: string, cause?: unknown) =>
  new ReleaseError('MC_ERR_BUNDLE_TRUNCATED', `release bundle is truncated: ${detail}`, undefined, { cause });
export const BundleCorrupt = (detail: string, cause?: unknown) =>
  new ReleaseError('MC_ERR_BUNDLE_CORRUPT', `release bundle is not a valid bundle: ${detail}`, undefined, { cause });
export const ManifestInvalid = (detail: string) => new ReleaseError('MC_ERR_BUNDLE_MANIFEST', `release manifest is invalid: ${detail}`);
export const SignatureMissing = () => new ReleaseError('MC_ERR_BUNDLE_SIGNATURE_MISSING', 'release bundle carries no signature');
export const SignatureInvalid = (detail: string) =>
  new ReleaseError('MC_ERR_BUNDLE_SIGNATURE_INVALID', `release signature does not verify: ${detail}`);
export const FileHashMismatch = (path: string) =>
  new ReleaseError('MC_ERR_BUNDLE_FILE_HASH', `file ${path} does not match the sha256 in the manifest`, path);
export const FileMissing = (path: string) => new ReleaseError('MC_ERR_BUNDLE_FILE_MISSING', `file ${path} is listed in the manifest but missing`, path);
export const FileUnexpected = (path: string) =>
  new ReleaseError('MC_ERR_BUNDLE_FILE_UNEXPECTED', `file ${path} is not listed in the manifest`, path);
export const UnsafePath = (path: string) => new ReleaseError('MC_ERR_BUNDLE_UNSAFE_PATH', `entry ${JSON.stringify(path)} is not a safe relative path`, path);
export const KeyInvalid = (detail: string, cause?: unknown) => new ReleaseError('MC_ERR_RELEASE_KEY', detail, undefined, { cause });
