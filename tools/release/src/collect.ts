import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** What a release carries: the built code and the package files that wire it together, nothing else. */
const PROJECT_GROUPS = ['apps', 'libs'];
const PROJECT_PARTS = ['dist', 'bin'];
const TOP_FILES = ['package.json', 'package-lock.json'];

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function walk(root: string, relative: string, into: string[]): Promise<void> {
  for (const entry of await readdir(path.join(root, relative), { withFileTypes: true })) {
    const child = `${relative}/${entry.name}`;
    if (entry.isDirectory()) await walk(root, child, into);
    // Build caches are not part of what runs.
    else if (entry.isFile() && !entry.name.endsWith('.tsbuildinfo')) into.push(child);
  }
}

export interface CollectedFiles {
  files: string[];
  /** Projects that have a dist folder, e.g. `apps/kv`. */
  builtProjects: string[];
  /** Projects without one (not built, or nothing to build). */
  unbuiltProjects: string[];
}

/**
 * The files of a release from a working tree: `apps/*` and `libs/*` (their dist and bin folders and
 * package.json) plus the root package.json and package-lock.json. Paths are relative, sorted.
 */
export async function collectReleaseFiles(root: string): Promise<CollectedFiles> {
  const files: string[] = [];
  const builtProjects: string[] = [];
  const unbuiltProjects: string[] = [];
  for (const top of TOP_FILES) if (await exists(path.join(root, top))) files.push(top);
  for (const group of PROJECT_GROUPS) {
    if (!(await exists(path.join(root, group)))) continue;
    for (const entry of (await readdir(path.join(root, group), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!entry.isDirectory()) continue;
      const project = `${group}/${entry.name}`;
      if (!(await exists(path.join(root, project, 'package.json')))) continue;
      files.push(`${project}/package.json`);
      if (await exists(path.join(root, project, 'dist'))) builtProjects.push(project);
      else unbuiltProjects.push(project);
      for (const part of PROJECT_PARTS) if (await exists(path.join(root, project, part))) await walk(root, `${project}/${part}`, files);
    }
  }
  return { files: files.sort(), builtProjects, unbuiltProjects };
}
