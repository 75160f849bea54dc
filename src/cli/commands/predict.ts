/**
 * `mtgrad predict`: JSON Lines in (one object of raw column values per line), JSON Lines out (one object of task
 * scores per line, in order). Uses the inference entry only. Rows are scored in batches as they stream in.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
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
    'batch-size': { type: 'string', value: 'N', help: 'rows per forward pass', default: '4096' },
  },
  notes: ['Each input line is an object keyed by column name, e.g. {"age": 37, "class_worker": "Private", ...};', 'unseen categories map to the out-of-vocabulary embedding.'],
};

export async function predictCommand(argv: string[], io: CommandIO): Promise<number> {
  const parsed = parseCommand(predictSpec, argv, (t) => io.stdout.write(t));
  if (!parsed) return 0;
  const f = new Flags('predict', parsed.values);
  const path = f.required('checkpoint');
  const batchSize = f.int('batch-size')!;
  const idField = f.string('id');
  const backend = f.oneOf('backend', BACKEND_CHOICES)!;
  const predictor = await loadPredictor(path, { backend, batchSize });
  println(io.stderr, `predict: ${predictor.checkpoint.model.name} (${predictor.tasks.join(', ')}) on ${predictor.backend}`);
  const inputName = f.string('input')!;
  const outputName = f.string('output')!;
  const input = inputName === '-' ? io.stdin : createReadStream(inputName);
  const output = outputName === '-' ? io.stdout : createWriteStream(outputName);
  const lines = createInterface({ input, crlfDelay: Infinity });
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
      throw new Error(row ? `${source} line ${pendingLines[Number(row[1])]}: ${message.slice(row[0].length)}` : message);
    }
    const text = scores.map((s, i) => JSON.stringify(idField !== undefined ? { [idField]: pending[i][idField] ?? null, ...s } : s)).join('\n');
    output.write(`${text}\n`);
    rows += pending.length;
    pending = [];
    pendingLines = [];
  };
  try {
    for await (const line of lines) {
      lineNumber++;
      if (line.trim() === '') continue;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch (error) {
        throw new Error(`${source} line ${lineNumber}: not valid JSON (${(error as Error).message})`);
      }
      if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new Error(`${source} line ${lineNumber}: expected a JSON object of column values`);
      pending.push(row as Record<string, unknown>);
      pendingLines.push(lineNumber);
      if (pending.length >= batchSize) await flush();
    }
    await flush();
  } finally {
    predictor.dispose();
    if (output !== io.stdout) await new Promise<void>((done) => (output as NodeJS.WritableStream).end(done));
  }
  println(io.stderr, `predict: scored ${rows} rows`);
  return 0;
}
