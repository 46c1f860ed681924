import { chmod, copyFile, lstat, mkdir, mkdtemp, readdir, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A folder that looks like the release: each top-level folder of the collected files is a link into
 * the working tree (so nothing big is copied), and files made for the release alone (the bundled boot
 * selector) sit beside them. createBundle packs from here.
 */
export async function makeStagingTree(root: string, files: readonly string[]): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'minicore-release-tree-'));
  for (const top of new Set(files.map((file) => file.split('/')[0]!))) {
    // A bundle holds regular files only: top-level files are copied (they are small), folders linked.
    if ((await stat(path.join(root, top))).isDirectory()) await symlink(path.join(root, top), path.join(dir, top));
    else await copyFile(path.join(root, top), path.join(dir, top));
  }
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A folder for a file that only the release has, e.g. `boot/` for boot/updaterd-boot.mjs. */
export async function ownFolder(stagingDir: string, relative: string): Promise<string> {
  const target = path.join(stagingDir, path.dirname(relative));
  await mkdir(target, { recursive: true });
  return path.join(stagingDir, relative);
}

/**
 * Puts `content` at `relative` in the staging tree without touching the working tree: each folder
 * on the way that is a link into the working tree becomes a real folder of links (files copied, since
 * a bundle packs regular files only), and the file itself is written there.
 */
export async function replaceInStaging(stagingDir: string, relative: string, content: string, mode = 0o755): Promise<void> {
  const parts = relative.split('/');
  let dir = stagingDir;
  for (const part of parts.slice(0, -1)) {
    const next = path.join(dir, part);
    if ((await lstat(next)).isSymbolicLink()) {
      const target = await realpath(next);
      await rm(next);
      await mkdir(next);
      for (const entry of await readdir(target, { withFileTypes: true })) {
        if (entry.isDirectory()) await symlink(path.join(target, entry.name), path.join(next, entry.name));
        else if (entry.isFile()) await copyFile(path.join(target, entry.name), path.join(next, entry.name));
      }
    }
    dir = next;
  }
  const file = path.join(dir, parts.at(-1)!);
  await rm(file, { force: true });
  await writeFile(file, content, { mode });
  await chmod(file, mode);
}
