import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * What a release carries: each app's built code and launchers, plus everything it loads at run
 * time (the Minicore libs it depends on and the production npm packages), laid out so that a slot
 * folder runs on its own with plain `node`, without the working tree or its node_modules.
 *
 * - `apps/<app>/{package.json,bin/**,dist/**}` as in the working tree, and the machine's configuration
 *   an app carries for the system (`dbus/**`: bus policy files; `systemd/**`: unit templates), so
 *   that a slot brings the policy and units of its own code;
 * - each lib an app needs at `node_modules/@minicore/<lib>/{package.json,dist/**}` (where npm's
 *   workspace link puts it, so imports resolve the same way; only the built code, no sources);
 * - each npm package an app or lib needs (dependencies and optionalDependencies, transitively) at
 *   the path npm installed it, without its nested node_modules (those are packages of their own)
 *   and without type declarations, source maps and `.bin` links, which nothing loads at run time.
 */
const PROJECT_PARTS = ['dist', 'bin'];
const APP_PARTS = [...PROJECT_PARTS, 'dbus', 'systemd'];
const TOP_FILES = ['package.json', 'package-lock.json'];
/** Files no running process reads. */
const SKIPPED_FILE = /(\.tsbuildinfo|\.d\.ts|\.d\.mts|\.d\.cts|\.map)$/;

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function readPackage(dir: string): Promise<{ name?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }> {
  return JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
}

/** Regular files under `root/relative`, skipping folders named in `skipDirs`. */
async function walk(root: string, relative: string, into: string[], skipDirs: ReadonlySet<string> = new Set()): Promise<void> {
  for (const entry of await readdir(path.join(root, relative), { withFileTypes: true })) {
    const child = `${relative}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!skipDirs.has(entry.name)) await walk(root, child, into, skipDirs);
    } else if (entry.isFile() && !SKIPPED_FILE.test(entry.name)) into.push(child);
  }
}

export interface CollectedFiles {
  /** Relative forward-slash paths under the root, sorted; each is also its path in the release. */
  files: string[];
  /** Apps that have a dist folder, e.g. `apps/kv`. */
  builtProjects: string[];
  /** Apps without one (not built). */
  unbuiltProjects: string[];
  /** npm packages shipped (name@release path), for the build log. */
  packages: string[];
}

interface Located {
  /** Where the package is in the release (and under the root), e.g. `node_modules/pino`. */
  releaseDir: string;
  /** Its real folder (a workspace lib's link resolved). */
  realDir: string;
}

/**
 * Node's lookup of `name` from the package at `from`: `<dir>/node_modules/<name>` for `from.realDir`
 * and each parent up to the root. The release path follows the lookup: a package nested in the
 * requiring package's own node_modules stays nested under that package's release path.
 */
async function locate(root: string, from: Located, name: string): Promise<Located | undefined> {
  for (let dir = from.realDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', ...name.split('/'));
    if (await exists(path.join(candidate, 'package.json'))) {
      const relativeToFrom = path.relative(from.realDir, candidate);
      const releaseDir = relativeToFrom.startsWith('..') ? path.relative(root, candidate) : path.posix.join(from.releaseDir, ...relativeToFrom.split(path.sep));
      if (releaseDir.startsWith('..')) throw new Error(`${name} (needed by ${from.releaseDir}) is installed outside the working tree, at ${candidate}`);
      return { releaseDir: releaseDir.split(path.sep).join('/'), realDir: await realpath(candidate) };
    }
    if (dir === root || path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The files of a release from a working tree: every app under `apps/` with the run-time closure of
 * its dependencies (see the comment at the top), plus the root package.json and package-lock.json.
 */
export async function collectReleaseFiles(rootDir: string): Promise<CollectedFiles> {
  const root = await realpath(rootDir).catch(() => path.resolve(rootDir));
  const files: string[] = [];
  const builtProjects: string[] = [];
  const unbuiltProjects: string[] = [];
  const packages: string[] = [];
  for (const top of TOP_FILES) if (await exists(path.join(root, top))) files.push(top);
  const queue: Located[] = [];
  const appsDir = path.join(root, 'apps');
  if (await exists(appsDir)) {
    for (const entry of (await readdir(appsDir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const project = `apps/${entry.name}`;
      if (!entry.isDirectory() || !(await exists(path.join(root, project, 'package.json')))) continue;
      files.push(`${project}/package.json`);
      if (await exists(path.join(root, project, 'dist'))) builtProjects.push(project);
      else unbuiltProjects.push(project);
      for (const part of APP_PARTS) if (await exists(path.join(root, project, part))) await walk(root, `${project}/${part}`, files);
      queue.push({ releaseDir: project, realDir: path.join(root, project) });
    }
  }
  const shipped = new Set<string>(queue.map((item) => item.releaseDir));
  while (queue.length > 0) {
    const from = queue.shift()!;
    const manifest = await readPackage(from.realDir);
    const optional = manifest.optionalDependencies ?? {};
    for (const name of Object.keys({ ...manifest.dependencies, ...optional }).sort()) {
      // Type packages are only read by the compiler.
      if (name.startsWith('@types/')) continue;
      const found = await locate(root, from, name);
      if (!found) {
        // An optional dependency npm did not install here (another platform's binary, say) is fine.
        if (name in optional) continue;
        throw new Error(`${from.releaseDir} needs ${name}, which is not installed: run npm install`);
      }
      if (shipped.has(found.releaseDir)) continue;
      shipped.add(found.releaseDir);
      queue.push(found);
      const isWorkspaceLib = !path.relative(root, found.realDir).split(path.sep).includes('node_modules');
      files.push(`${found.releaseDir}/package.json`);
      if (isWorkspaceLib) {
        for (const part of PROJECT_PARTS) if (await exists(path.join(found.realDir, part))) await walk(root, `${found.releaseDir}/${part}`, files);
      } else {
        packages.push(`${name}@${found.releaseDir}`);
        const own: string[] = [];
        await walk(root, found.releaseDir, own, new Set(['node_modules', '.bin']));
        files.push(...own.filter((file) => file !== `${found.releaseDir}/package.json`));
      }
    }
  }
  return { files: [...new Set(files)].sort(), builtProjects, unbuiltProjects, packages: packages.sort() };
}
