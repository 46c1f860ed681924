export { ReleaseError, type ReleaseErrorCode } from './errors.js';
export { MANIFEST_FORMAT, MANIFEST_ENTRY, SIGNATURE_ENTRY, FILES_PREFIX, isReleaseVersion, assertSafePath, parseManifest, serializeManifest, type ManifestFile, type ReleaseManifest, type SignatureDocument } from './manifest.js';
export { generateReleaseKeyPair, writeReleaseKeyPair, loadPrivateKey, loadPublicKey, keyId, signBytes, verifyBytes, type KeyPairPem } from './keys.js';
export { readBundle, type ReadBundleOptions, type BundleContents } from './read-bundle.js';
export { verifyTree, listFiles, sha256File } from './tree.js';
export { createBundle, describeFile, type CreateBundleOptions, type BundleInfo } from './pack.js';
