/**
 * `mtgrad predict`: JSON Lines in (one object of raw column values per line), JSON Lines out (one object of task
 * scores per line, in order). Uses the inference entry only. Rows are scored in batches as they stream in.
 */
import { open, unlink } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { loadPredictor } from '../../infer/index.js';
import { Flags, parseCommand, type CommandSpec } from '../args.js';
import { BACKEND_CHOICES } from '../backend.js';
import { println, type CommandIO } from '../io.js';

export const predictSpec: CommandSpec = {
  name: 'predict',
  summary: 'Score JSON Lines rows with a checkpoint: probabilities (binary tasks) or values (regression tasks).',
  usage: 'mtgrad predict --checkpoint FILE [--input rows.jsonl] [--output scores.jsonl]',
  options: {
    checkpoint: { type: 'string', value: 'FILE', help: 'model.safetensors written by mtgrad train' },
    input: { type: 'string', value: 'FILE', help: 'JSON Lines input, - for stdin', default: '-' },
    output: { type: 'string', value: 'FILE', help: 'JSON Lines output, - for stdout', default: '-' },
    id: { type: 'string', value: 'FIELD', help: 'copy this input field into each output line' },
    backend: { type: 'string', value: 'NAME', help: `backend: ${BACKEND_CHOICES.join(', ')}`, default: 'auto' },
    'no-compile': { type: 'boolean', help: 'score eagerly, without mt.compile capture/replay (also MTGRAD_COMPILE=0)' },
    'batch-size': { type: 'string', value: 'N', help: 'rows per forward pass', default: '4096' },
  },
  notes: [
    'Each input line is an object keyed by column name, e.g. {"age": 37, "class_worker": "Private", ...};',
    'unseen categories map to the out-of-vocabulary embedding.',
  ],
};

export async function predictCommand(argv: string[], io: CommandIO): Promise<number> {
  const parsed = parseCommand(predictSpec, argv, (t) => io.stdout.write(t));
  if (!parsed) return 0;
  const f = new Flags('predict', parsed.values);
  const path = f.required('checkpoint');
  const batchSize = f.int('batch-size')!;
  const idField = f.string('id');
  const backend = f.oneOf('backend', BACKEND_CHOICES)!;
  const inputName = f.string('input')!;
  const outputName = f.string('output')!;
  // Both files are opened before the model is loaded: a folder, a missing file or a read-only place fails at once.
  const input = inputName === '-' ? io.stdin : await openFile('input', inputName, 'r');
  const outputHandle = outputName === '-' ? null : await openFile('output', outputName, 'w');
  const output: NodeJS.WritableStream = outputHandle ?? io.stdout;
  // A reader that goes away (`| head -1`) ends the run quietly; any other write error ends it with one line.
  let outputClosed = false;
  let outputError: Error | null = null;
  output.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' && outputName === '-') outputClosed = true;
    else
      outputError = new Error(
        `--output ${outputName === '-' ? 'stdout' : outputName}: cannot write (${e.code ?? e.message})`,
      );
  });
  try {
    return await score();
  } catch (error) {
    // Nothing half-written: a failed run removes the output file it created.
    if (outputHandle) {
      outputHandle.destroy();
      await unlink(outputName).catch(() => undefined);
    }
    throw error;
  }

  async function score(): Promise<number> {
    const predictor = await loadPredictor(path, {
      backend,
      batchSize,
      compile: f.boolean('no-compile') ? false : undefined,
    });
    println(
      io.stderr,
      `predict: ${predictor.checkpoint.model.name} (${predictor.tasks.join(', ')}) on ${predictor.backend}`,
    );
    let pending: Record<string, unknown>[] = [];
    let pendingLines: number[] = [];
    let lineNumber = 0;
    let rows = 0;
    const source = inputName === '-' ? 'stdin' : inputName;
    const flush = async () => {
      if (pending.length === 0) return;
      let scores: Record<string, number>[];
      try {
        scores = await predictor.predict(pending);
      } catch (error) {
        // Encoding errors name the row within the batch; translate that to the input line.
        const message = (error as Error).message;
        const row = /^row (\d+): /.exec(message);
        throw new Error(
          row ? `${source} line ${pendingLines[Number(row[1])]}: ${message.slice(row[0].length)}` : message,
        );
      }
      scores.forEach((s, i) => {
        for (const [task, v] of Object.entries(s)) {
          if (!Number.isFinite(v))
            throw new Error(
              `${source} line ${pendingLines[i]}: the score of task '${task}' is ${v} (are the checkpoint's weights finite?)`,
            );
        }
      });
      const text = scores
        .map((s, i) => JSON.stringify(idField !== undefined ? { [idField]: pending[i][idField] ?? null, ...s } : s))
        .join('\n');
      if (outputError) throw outputError;
      if (!outputClosed) output.write(`${text}\n`);
      rows += pending.length;
      pending = [];
      pendingLines = [];
    };
    try {
      for await (const line of readJsonLines(input, source)) {
        if (outputClosed) break;
        lineNumber++;
        if (line.trim() === '') continue;
        let row: unknown;
        try {
          row = JSON.parse(line);
        } catch (error) {
          throw new Error(`${source} line ${lineNumber}: not valid JSON (${(error as Error).message})`);
        }
        if (typeof row !== 'object' || row === null || Array.isArray(row))
          throw new Error(`${source} line ${lineNumber}: expected a JSON object of column values`);
        pending.push(row as Record<string, unknown>);
        pendingLines.push(lineNumber);
        if (pending.length >= batchSize) await flush();
      }
      await flush();
    } finally {
      predictor.dispose();
      if (input !== io.stdin) (input as Readable).destroy();
      if (outputHandle) await new Promise<void>((done) => outputHandle.end(done));
    }
    if (outputError) throw outputError;
    println(
      io.stderr,
      outputClosed ? `predict: the reader closed the output after ${rows} rows` : `predict: scored ${rows} rows`,
    );
    return 0;
  }
}

async function openFile(flag: string, name: string, mode: 'r'): Promise<Readable>;
async function openFile(flag: string, name: string, mode: 'w'): Promise<Writable>;
async function openFile(flag: string, name: string, mode: 'r' | 'w'): Promise<Readable | Writable> {
  try {
    const handle = await open(name, mode);
    if ((await handle.stat()).isDirectory()) {
      await handle.close();
      throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
    }
    return mode === 'r' ? handle.createReadStream() : handle.createWriteStream();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      `--${flag} ${name}: ${code === 'EISDIR' ? 'is a folder, not a file' : code === 'ENOENT' ? 'no such file' : `cannot ${mode === 'r' ? 'read' : 'write'} (${code ?? (e as Error).message})`}`,
    );
  }
}

/** JSON Lines are short: a "line" this long is not one (e.g. --input /dev/zero), and reading on would exhaust memory. */
const MAX_LINE_CHARS = 16 * 1024 * 1024;

/** The lines of a text stream, each at most MAX_LINE_CHARS long (a longer one is an error naming the line). */
async function* readJsonLines(input: NodeJS.ReadableStream, source: string): AsyncGenerator<string> {
  // The unfinished line is kept as pieces (only each new chunk is searched), so a long line costs linear time.
  let pieces: string[] = [];
  let pending = 0;
  let lineNumber = 1;
  input.setEncoding('utf8');
  for await (const chunk of input) {
    let text = chunk as string;
    let nl: number;
    while ((nl = text.indexOf('\n')) >= 0) {
      const line = pieces.join('') + text.slice(0, nl);
      pieces = [];
      pending = 0;
      text = text.slice(nl + 1);
      lineNumber++;
      yield line.endsWith('\r') ? line.slice(0, -1) : line;
    }
    if (text !== '') {
      pieces.push(text);
      pending += text.length;
    }
    if (pending > MAX_LINE_CHARS)
      throw new Error(
        `${source} line ${lineNumber}: longer than ${MAX_LINE_CHARS / 1024 / 1024} MiB without a line break (not JSON Lines)`,
      );
  }
  if (pending > 0) yield pieces.join('');
}
