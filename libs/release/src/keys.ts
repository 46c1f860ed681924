import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { KeyInvalid } from './errors.js';
import type { SignatureDocument } from './manifest.js';

export interface KeyPairPem {
  privateKey: string;
  publicKey: string;
  keyId: string;
}

/** Short, stable name of a public key: the first 16 hex digits of the sha256 of its DER (SPKI) form. */
export function keyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export function generateReleaseKeyPair(): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyId(publicKey),
  };
}

/** Writes KEYFILE (private, mode 0600) and KEYFILE.pub (public); refuses to overwrite either. */
export async function writeReleaseKeyPair(file: string): Promise<{ privateFile: string; publicFile: string; keyId: string }> {
  const pair = generateReleaseKeyPair();
  const publicFile = `${file}.pub`;
  try {
    await writeFile(file, pair.privateKey, { mode: 0o600, flag: 'wx' });
    await writeFile(publicFile, pair.publicKey, { mode: 0o644, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw KeyInvalid(`${(error as NodeJS.ErrnoException).path ?? file} already exists; not overwriting a key`, error);
    throw error;
  }
  return { privateFile: file, publicFile, keyId: pair.keyId };
}

function assertEd25519(key: KeyObject, file: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw KeyInvalid(`${file} holds a ${key.asymmetricKeyType ?? 'symmetric'} key, expected ed25519`);
  return key;
}

export async function loadPrivateKey(file: string): Promise<KeyObject> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw KeyInvalid(`cannot read private key ${file}: ${(error as Error).message}`, error);
  }
  try {
    return assertEd25519(createPrivateKey(text), file);
  } catch (error) {
    if (error instanceof Error && error.name === 'ReleaseError') throw error;
    throw KeyInvalid(`${file} is not a PEM private key`, error);
  }
}

/** Reads a public key file; a private key file is accepted too (its public half is used). */
export async function loadPublicKey(file: string): Promise<KeyObject> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw KeyInvalid(`cannot read public key ${file}: ${(error as Error).message}`, error);
  }
  try {
    return assertEd25519(createPublicKey(text), file);
  } catch (error) {
    if (error instanceof Error && error.name === 'ReleaseError') throw error;
    throw KeyInvalid(`${file} is not a PEM public key`, error);
  }
}

export function signBytes(bytes: Buffer, privateKey: KeyObject): SignatureDocument {
  return { algorithm: 'ed25519', keyId: keyId(createPublicKey(privateKey)), signature: sign(null, bytes, privateKey).toString('base64') };
}

export function verifyBytes(bytes: Buffer, signature: SignatureDocument, publicKey: KeyObject): boolean {
  const raw = Buffer.from(signature.signature, 'base64');
  if (raw.length !== 64) return false;
  return verify(null, bytes, publicKey, raw);
}
