/**
 * Output folders, checked before any work: `--out` must be (or become) a writable folder. Node's recursive mkdir
 * loops forever under /proc (ENOENT from a folder that exists), so folders are created one level at a time.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

async function isDirectory(path: string): Promise<boolean | null> {
  try {
    return (await stat(path)).isDirectory();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Creates `dir` (and missing parents) if needed and proves it writable; throws one clear line naming the flag. */
export async function prepareOutDir(flag: string, dir: string): Promise<string> {
  const path = resolve(dir);
  const missing: string[] = [];
  let cur = path;
  for (;;) {
    const isDir = await isDirectory(cur);
    if (isDir === true) break;
    if (isDir === false) throw new Error(`--${flag} ${dir}: ${cur === path ? 'is' : `${cur} is`} a file, not a folder`);
    missing.unshift(cur);
    const parent = dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  try {
    await access(cur, constants.W_OK);
    for (const m of missing) await mkdir(m);
    const probe = join(path, `.mtgrad-write-test-${randomBytes(4).toString('hex')}`);
    await writeFile(probe, '');
    await rm(probe);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(`--${flag} ${dir}: cannot write there (${err.code ?? err.message})`);
  }
  return path;
}
