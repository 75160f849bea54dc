/**
 * Downloads Census-Income once into a cache folder, for installations without the bundled copy (the npm package
 * leaves the 9 MiB of data out). A file is written under a temporary name, its uncompressed content is checked
 * against the known sha256, and only then renamed into place, so a file present in the cache is always complete
 * and verified, and later calls do not touch the network.
 *
 * The default base URL is UCI's classic archive folder for this dataset. It could not be reached from the machine
 * this was written on; pass another mirror as `baseUrl` if it moves. The checksum is of the uncompressed content,
 * so a mirror that gzip'd the files differently still verifies.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ChecksumError, sha256OfContent } from '../checksum.js';
import { CENSUS_TEST_FILE, CENSUS_TRAIN_FILE, type CensusFile } from './census-columns.js';

export const UCI_CENSUS_BASE_URL = 'https://archive.ics.uci.edu/ml/machine-learning-databases/census-income-mld/';

export interface FetchCensusOptions {
  /** Abort a file's download after this many milliseconds. Default 300000. */
  timeoutMs?: number;
}

async function downloadVerified(url: string, destination: string, file: CensusFile, timeoutMs: number): Promise<void> {
  const temporary = `${destination}.${process.pid}.${randomBytes(6).toString('hex')}.download`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).catch((error: Error) => {
      // Node's fetch says only "fetch failed"; the reason (DNS, refused, timeout...) is in error.cause.
      const cause = error.cause instanceof Error ? error.cause.message : String(error.cause ?? error.message);
      throw new Error(
        `fetchCensus: could not download ${url} (${cause}); put ${file.name} into ${destination.slice(0, -file.name.length) || '.'} yourself, or use another mirror`,
      );
    });
    if (!response.ok || response.body === null) {
      throw new Error(`fetchCensus: GET ${url} failed with HTTP ${response.status} ${response.statusText}`);
    }
    await pipeline(
      Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>),
      createWriteStream(temporary),
    );
    const actual = await sha256OfContent(temporary).catch((error: Error) => `unreadable (${error.message})`);
    if (actual !== file.contentSha256) throw new ChecksumError(url, file.contentSha256, actual);
    await rename(temporary, destination);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

/** Makes sure both Census-Income files are in `cacheDir` (downloading what is missing) and returns `cacheDir`. */
export async function fetchCensus(
  cacheDir: string,
  baseUrl: string = UCI_CENSUS_BASE_URL,
  options: FetchCensusOptions = {},
): Promise<string> {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  await mkdir(cacheDir, { recursive: true });
  for (const file of [CENSUS_TRAIN_FILE, CENSUS_TEST_FILE]) {
    const destination = join(cacheDir, file.name);
    if (existsSync(destination)) continue;
    await downloadVerified(new URL(file.name, base).href, destination, file, options.timeoutMs ?? 300_000);
  }
  return cacheDir;
}
