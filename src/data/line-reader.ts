/**
 * Streams the lines of a text file, gunzipping on the fly when the file starts with the gzip magic bytes
 * (so `foo.csv.gz` and a gzip'd file without the suffix both work). Memory use is bounded by the stream buffers,
 * not the file size. An optional byte tap sees the decompressed bytes (used to checksum the content while parsing).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pipeline, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export interface LineReaderOptions {
  encoding?: 'utf8' | 'latin1';
  /** Called with every chunk of decompressed bytes, in order. */
  onBytes?: (chunk: Buffer) => void;
}

export interface NumberedLine {
  text: string;
  /** 1-based line number in the (decompressed) file. */
  lineNumber: number;
}

export async function isGzipFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** The decompressed byte stream of a file (gzip'd or not). Errors of any stage surface on the returned stream. */
export async function openDecompressed(path: string, onBytes?: (chunk: Buffer) => void): Promise<Readable> {
  const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream> = [createReadStream(path)];
  if (await isGzipFile(path)) stages.push(createGunzip());
  if (onBytes) {
    stages.push(
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          onBytes(chunk);
          done(null, chunk);
        },
      }),
    );
  }
  if (stages.length === 1) return stages[0] as Readable;
  // pipeline destroys every stage on failure and forwards the error to the last one, which readline listens to.
  return pipeline(stages as unknown as [Readable, Transform], () => undefined) as unknown as Readable;
}

export async function* readLines(path: string, options: LineReaderOptions = {}): AsyncGenerator<NumberedLine> {
  const source = await openDecompressed(path, options.onBytes);
  source.setEncoding(options.encoding ?? 'utf8');
  const lines = createInterface({ input: source, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const text of lines) {
      lineNumber++;
      yield { text, lineNumber };
    }
  } catch (error) {
    // zlib and fs errors do not say which file: name it (and the line reached).
    const message = (error as Error).message;
    if (message.includes(path)) throw error;
    throw new Error(`${path}: ${message} (after line ${lineNumber})`, { cause: error });
  } finally {
    lines.close();
    source.destroy();
  }
}
