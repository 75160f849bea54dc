/** SHA-256 of a file's decompressed content, so a checksum does not depend on how the file was gzip'd. */
import { createHash } from 'node:crypto';
import { openDecompressed } from './line-reader.js';

export async function sha256OfContent(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await openDecompressed(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export class ChecksumError extends Error {
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `${file}: sha256 of the uncompressed content is ${actual}, expected ${expected}; the file is corrupt or not the original (delete it and fetch it again)`,
    );
    this.name = 'ChecksumError';
  }
}
