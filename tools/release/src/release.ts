import path from 'node:path';
import { ConfigError, defineConfig, string } from '@minicore/config';
import { createBundle, isReleaseVersion, loadPrivateKey, ReleaseError } from '@minicore/release';
import { bundleBootSelector, BOOT_SELECTOR_PATH } from './boot-selector.js';
import { collectReleaseFiles } from './collect.js';
import { BREAKABLE_DAEMONS, brokenLauncher, isBreakableDaemon } from './broken-daemon.js';
import { makeStagingTree, ownFolder, replaceInStaging } from './staging-tree.js';

export const releaseConfig = defineConfig({
  program: 'npm run release --',
  summary: 'Builds a signed Minicore release bundle (a gzipped tar with a manifest and an ed25519 signature) from the built working tree: every app with the libs and production npm packages it loads, so that a slot runs on its own, and the boot selector bundled into boot/updaterd-boot.mjs. Make a key with `updatectl keygen --out KEYFILE`.',
  envPrefix: 'MINICORE_RELEASE',
  fields: {
    version: string({ description: 'Release version, X.Y.Z', pattern: /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/, expected: 'a version such as 1.2.3' }),
    key: string({ description: 'ed25519 private key file (PEM)' }),
    out: string({ description: 'Bundle file to write' }),
    root: string({ description: 'Working tree to release', default: '.' }),
    testBrokenDaemon: string({
      description: `FOR TESTS ONLY: a release in which this daemon cannot start (its launcher exits 1), so a machine never becomes healthy on it and rolls back; one of ${Object.keys(BREAKABLE_DAEMONS).join(', ')}. Never publish such a release to machines that matter`,
      default: '',
    }),
  },
});

export interface ReleaseIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Runs the release command; returns the exit code (0 ok, 1 failed, 2 bad arguments). */
export async function runRelease(argv: readonly string[], env: NodeJS.ProcessEnv, io: ReleaseIo): Promise<number> {
  let config;
  try {
    const outcome = releaseConfig.parse(argv, env);
    if (outcome.kind === 'help') {
      io.stdout(outcome.text);
      return 0;
    }
    config = outcome.config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(`release: ${error.message}\n`);
    return 2;
  }
  if (!isReleaseVersion(config.version)) {
    io.stderr(`release: invalid --version ${config.version}\n`);
    return 2;
  }
  const broken = config.testBrokenDaemon;
  if (broken !== '' && !isBreakableDaemon(broken)) {
    io.stderr(`release: invalid --test-broken-daemon ${broken}: expected one of ${Object.keys(BREAKABLE_DAEMONS).join(', ')}\n`);
    return 2;
  }
  try {
    const root = path.resolve(config.root);
    const collected = await collectReleaseFiles(root);
    if (collected.builtProjects.length === 0) {
      io.stderr(`release: nothing is built under ${root} (no apps/*/dist): run \`npm run build\` first\n`);
      return 1;
    }
    const privateKey = await loadPrivateKey(config.key);
    const staging = await makeStagingTree(root, collected.files);
    let info;
    let boot: string | null = null;
    try {
      if (await bundleBootSelector(root, await ownFolder(staging.dir, BOOT_SELECTOR_PATH))) boot = BOOT_SELECTOR_PATH;
      if (broken !== '') {
        const launcher = BREAKABLE_DAEMONS[broken];
        if (!collected.files.includes(launcher)) throw new ReleaseError('MC_ERR_BUNDLE_FILE_MISSING', `--test-broken-daemon ${broken}: ${launcher} is not in the release`);
        await replaceInStaging(staging.dir, launcher, brokenLauncher(broken, config.version));
        io.stderr(`release: WARNING: ${broken} in release ${config.version} is broken on purpose (--test-broken-daemon, for tests only)\n`);
      }
      const files = boot ? [...collected.files, boot] : collected.files;
      info = await createBundle({ root: staging.dir, files, version: config.version, privateKey, out: path.resolve(config.out) });
    } finally {
      await staging.cleanup();
    }
    io.stdout(
      `${JSON.stringify({ version: info.manifest.version, out: path.resolve(config.out), files: info.manifest.files.length, size: info.size, sha256: info.sha256, projects: collected.builtProjects, unbuilt: collected.unbuiltProjects, packages: collected.packages.length, boot, testBrokenDaemon: broken || null })}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof ReleaseError || (error as NodeJS.ErrnoException).code !== undefined) {
      io.stderr(`release: ${(error as Error).message}\n`);
      return 1;
    }
    throw error;
  }
}
