/**
 * A run folder updated as a whole: every file of a run (checkpoint, metrics, report) is first written into a staging
 * folder inside it; only when all are complete are the old files removed and the new ones renamed in. A kill leaves
 * either the old set, the new set, or an incomplete new set — never a new model beside old metrics. Staging folders
 * and `.tmp` files left by killed runs are removed at the next write.
 */
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

const STAGING_PREFIX = '.mtgrad-staging-';

export interface RunFile {
  name: string;
  /** Writes the file at `path` (inside the staging folder). */
  write: (path: string) => Promise<void>;
}

/** Removes staging folders and `.tmp` files that killed runs left in `dir`. */
export async function cleanStale(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith(STAGING_PREFIX) || (name.startsWith('.') && name.endsWith('.tmp')))
      await rm(join(dir, name), { recursive: true, force: true });
  }
}

export async function writeRunFiles(dir: string, files: readonly RunFile[]): Promise<string[]> {
  await cleanStale(dir);
  const staging = join(dir, `${STAGING_PREFIX}${process.pid}`);
  await mkdir(staging);
  try {
    for (const f of files) await f.write(join(staging, f.name));
    for (const f of files) await rm(join(dir, f.name), { force: true });
    for (const f of files) await rename(join(staging, f.name), join(dir, f.name));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return files.map((f) => join(dir, f.name));
}
