import { existsSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

/** Where the release carries the stand-alone boot selector. */
export const BOOT_SELECTOR_PATH = 'boot/updaterd-boot.mjs';
const ENTRY = 'apps/updater/dist/updaterd/boot-main.js';

/**
 * Bundles `updaterd boot` (the built boot-main.js and the libs it imports, node built-ins only) into
 * one file, so that provisioning can copy the boot selector out of the slots once and an update
 * never replaces it. Returns false when the updater is not built (nothing to bundle).
 */
export async function bundleBootSelector(root: string, outFile: string): Promise<boolean> {
  const entry = path.join(root, ENTRY);
  if (!existsSync(entry)) return false;
  await build({
    entryPoints: [entry],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // The built libs (package.json "default"), never their TypeScript sources.
    conditions: [],
    logLevel: 'silent',
    banner: { js: '#!/usr/bin/env node\n// Minicore boot selector (updaterd boot), bundled by npm run release.' },
  });
  return true;
}
