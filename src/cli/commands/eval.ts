/** `mtgrad eval`: metrics of a checkpoint on a dataset split, over the whole split, as a table (or JSON). */
import { resolve } from 'node:path';
import { readCheckpoint } from '../../infer/checkpoint-format.js';
import { modelFromCheckpoint } from '../../infer/index.js';
import { scoreRows } from '../../infer/score.js';
import { labelledTasks, tableMetrics } from '../../train/table-metrics.js';
import { describeSource } from '../../infer/label-source.js';
import { Flags, parseCommand, UsageError, type CommandSpec } from '../args.js';
import { BACKEND_CHOICES, startBackend } from '../backend.js';
import { DATASET_NAMES, datasetSpecFromJSON, loadDataset, type DatasetSpec } from '../datasets.js';
import { metricsTable } from '../format.js';
import { println, type CommandIO } from '../io.js';

export const evalSpec: CommandSpec = {
  name: 'eval',
  summary: 'Evaluate a checkpoint on a split of the dataset it was trained on (metrics over the whole split).',
  usage: 'mtgrad eval --checkpoint FILE [--split test] [--data NAME] [--group N]',
  notes: ['The dataset (name, group, folder, row limit, seed) is read from the checkpoint; flags override it.'],
  options: {
    checkpoint: { type: 'string', value: 'FILE', help: 'model.safetensors written by mtgrad train' },
    data: {
      type: 'string',
      value: 'NAME',
      help: `dataset: ${DATASET_NAMES.join(', ')} (default: the one it was trained on)`,
    },
    group: { type: 'string', value: 'N', help: 'census task group (default: the one it was trained on)' },
    'data-dir': { type: 'string', value: 'DIR', help: 'data folder (default: the one it was trained on)' },
    correlation: { type: 'string', value: 'P', help: 'synthetic data: task correlation' },
    seed: { type: 'string', value: 'N', help: 'synthetic data: seed (default: the training seed)' },
    split: { type: 'string', value: 'NAME', help: 'train, validation or test', default: 'test' },
    backend: { type: 'string', value: 'NAME', help: `backend: ${BACKEND_CHOICES.join(', ')}`, default: 'auto' },
    'no-compile': { type: 'boolean', help: 'score eagerly, without mt.compile capture/replay (also MTGRAD_COMPILE=0)' },
    'batch-size': { type: 'string', value: 'N', help: 'rows per forward pass', default: '8192' },
    json: { type: 'boolean', help: 'print the metrics as JSON' },
    limit: { type: 'string', value: 'N', help: 'first N rows of each split (default: as in training)' },
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
  // Unless told otherwise, reload the data the checkpoint was trained on (mtgrad train records it in the
  // checkpoint's metadata; older checkpoints kept it in their metrics only).
  const fromMetadata = checkpoint.dataset !== null && checkpoint.dataset !== undefined;
  const record = fromMetadata ? checkpoint.dataset : recordedInMetrics(checkpoint.metrics);
  const where = `${path}: ${fromMetadata ? 'mtgrad.dataset' : 'metrics.dataset'}`;
  const recorded = record ? datasetSpecFromJSON(record, where) : null;
  const dataName = f.string('data') ?? recorded?.name;
  if (!dataName) throw new UsageError(`--data is required: ${path} does not record the dataset it was trained on`);
  // A --data naming another dataset starts from that name alone; flags then override single keys.
  const base = recorded && recorded.name === dataName ? recorded : datasetSpecFromJSON({ name: dataName }, '--data');
  const spec: DatasetSpec = { ...base };
  const overrides = {
    group: f.int('group'),
    dir: f.string('data-dir'),
    limit: f.int('limit'),
    correlation: f.number('correlation'),
    seed: f.int('seed', { min: 0 }),
  };
  for (const [key, value] of Object.entries(overrides))
    if (value !== undefined) Object.assign(spec, { [key]: key === 'dir' ? resolve(String(value)) : value });
  const data = await loadDataset(spec);
  // The data must be encoded exactly as in training: same vocabularies, same standardisation.
  if (checkpoint.schema && JSON.stringify(checkpoint.schema) !== JSON.stringify(data.schema.toJSON())) {
    throw new UsageError(
      `${path} was trained on data encoded differently from ${data.name} (its schema differs); pass the --data/--group it was trained with`,
    );
  }
  const model = modelFromCheckpoint(checkpoint);
  const labels = checkpoint.labels ?? {};
  const table = data[split];
  if (Object.keys(labelledTasks(model, table, labels)).length === 0) {
    throw new UsageError(
      `${data.name} has no labels for the tasks of ${path} (${model.tasks.map((t) => (labels[t.name] ? `${t.name} ← ${describeSource(labels[t.name])}` : t.name)).join(', ')}; it has ${data.tasks.join(', ')})`,
    );
  }
  const scores = await scoreRows(model, table, {
    batchSize: f.int('batch-size'),
    compile: f.boolean('no-compile') ? false : undefined,
  });
  const metrics = tableMetrics(model, table, scores.outputs, labels);
  model.dispose();
  if (f.boolean('json')) println(io.stdout, JSON.stringify(metrics));
  else {
    println(io.stdout, `${checkpoint.model.name} on ${data.name}, ${split} split (${table.size} rows):`);
    println(io.stdout, metricsTable(metrics));
  }
  return 0;
}

function recordedInMetrics(metrics: unknown): Record<string, unknown> | null {
  if (typeof metrics !== 'object' || metrics === null || !('dataset' in metrics)) return null;
  const dataset = (metrics as { dataset: unknown }).dataset;
  return typeof dataset === 'object' && dataset !== null && !Array.isArray(dataset) ? { ...dataset } : null;
}
