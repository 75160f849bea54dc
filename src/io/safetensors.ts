/**
 * safetensors files on disk: reading, and atomic writing (temp file + fsync + rename). The format itself — parse,
 * serialize, validation — is safetensors-format.ts (no `node:` import), re-exported here.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  parseSafetensors,
  serializeSafetensors,
  type SafetensorsFile,
  type SafetensorsTensors,
} from './safetensors-format.js';

export * from './safetensors-format.js';

export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  return parseSafetensors(await readFile(path), path);
}

/**
 * Writes atomically: the bytes go to a temporary file in the same directory, are fsync'd, and the temporary file
 * is renamed over the destination, so a crash leaves either the old checkpoint or the new one, never half of one.
 */
export async function writeFileAtomic(path: string, contents: Uint8Array): Promise<void> {
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx');
  try {
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await syncDirectory(directory);
}

/** Makes the rename itself durable. Some platforms (Windows) cannot open a directory; the rename is still atomic there. */
async function syncDirectory(directory: string): Promise<void> {
  let handle;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    return;
  } finally {
    await handle?.close();
  }
}

export async function writeSafetensors(
  path: string,
  tensors: SafetensorsTensors,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}
