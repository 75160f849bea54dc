/** `mtgrad eval`: metrics of a checkpoint on a dataset split, over the whole split, as a table (or JSON). */
import { readCheckpoint } from '../../infer/checkpointFormat.js';
import { modelFromCheckpoint } from '../../infer/index.js';
import { scoreRows } from '../../infer/score.js';
import { computeTaskMetrics } from '../../train/taskMetrics.js';
import { Flags, parseCommand, UsageError, type CommandSpec } from '../args.js';
import { BACKEND_CHOICES, startBackend } from '../backend.js';
import { DATASET_NAMES, datasetSpecFromJSON, loadDataset } from '../datasets.js';
import { metricsTable } from '../format.js';
import { println, type CommandIO } from '../io.js';

export const evalSpec: CommandSpec = {
  name: 'eval',
  summary: 'Evaluate a checkpoint on a split of the dataset it was trained on (metrics over the whole split).',
  usage: 'mtgrad eval --checkpoint FILE [--split test] [--data NAME] [--group N]',
  options: {
    checkpoint: { type: 'string', value: 'FILE', help: 'model.safetensors written by mtgrad train' },
    data: { type: 'string', value: 'NAME', help: `dataset: ${DATASET_NAMES.join(', ')} (default: the one it was trained on)` },
    group: { type: 'string', value: 'N', help: 'census task group (default: the one it was trained on)' },
    'data-dir': { type: 'string', value: 'DIR', help: 'census files folder' },
    correlation: { type: 'string', value: 'P', help: 'synthetic data: task correlation' },
    seed: { type: 'string', value: 'N', help: 'synthetic data: seed (default: the training seed)' },
    split: { type: 'string', value: 'NAME', help: 'train, validation or test', default: 'test' },
    backend: { type: 'string', value: 'NAME', help: `backend: ${BACKEND_CHOICES.join(', ')}`, default: 'auto' },
    'batch-size': { type: 'string', value: 'N', help: 'rows per forward pass', default: '8192' },
    json: { type: 'boolean', help: 'print the metrics as JSON' },
    limit: { type: 'string' },
  },
};

export async function evalCommand(argv: string[], io: CommandIO): Promise<number> {
  const parsed = parseCommand(evalSpec, argv, (t) => io.stdout.write(t));
  if (!parsed) return 0;
  const f = new Flags('eval', parsed.values);
  const path = f.required('checkpoint');
  const split = f.oneOf('split', ['train', 'validation', 'test'] as const)!;
  const checkpoint = await readCheckpoint(path);
  await startBackend(f.string('backend'), io);
  // Unless told otherwise, reload the data the checkpoint was trained on (mtgrad train records it).
  const recorded = (checkpoint.metrics as { dataset?: unknown } | null)?.dataset;
  const dataName = f.string('data') ?? (recorded as { name?: string } | undefined)?.name;
  if (!dataName) throw new UsageError(`--data is required: ${path} does not record the dataset it was trained on`);
  const trained = datasetSpecFromJSON({ ...(recorded ?? {}), name: dataName }, `${path}: metrics.dataset`);
  const data = await loadDataset({
    ...trained, group: f.int('group') ?? trained.group, dir: f.string('data-dir') ?? trained.dir, limit: f.int('limit'),
    correlation: f.number('correlation') ?? trained.correlation, seed: f.int('seed', { min: 0 }) ?? trained.seed,
  });
  // The data must be encoded exactly as in training: same vocabularies, same standardisation.
  if (checkpoint.schema && JSON.stringify(checkpoint.schema) !== JSON.stringify(data.schema.toJSON())) {
    throw new UsageError(`${path} was trained on data encoded differently from ${data.name} (its schema differs); pass the --data/--group it was trained with`);
  }
  const missing = checkpoint.tasks.filter((t) => !data.tasks.includes(t));
  if (missing.length) throw new UsageError(`${data.name} has no labels for task(s) ${missing.join(', ')} of ${path}`);
  const model = modelFromCheckpoint(checkpoint);
  const table = data[split];
  const scores = await scoreRows(model, table, { batchSize: f.int('batch-size') });
  const metrics = computeTaskMetrics(model.taskKinds(), table.labels, table.masks, scores.outputs);
  if (f.boolean('json')) println(io.stdout, JSON.stringify(metrics));
  else {
    println(io.stdout, `${checkpoint.model.name} on ${data.name}, ${split} split (${table.size} rows):`);
    println(io.stdout, metricsTable(metrics));
  }
  return 0;
}
