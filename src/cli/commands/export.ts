/**
 * `mtgrad export`: a checkpoint as an ONNX model for serving engines (ONNX Runtime, Triton), plus a JSON file
 * beside it that says what the graph takes and returns and how raw rows are encoded (the checkpoint's schema).
 * See src/models/export/onnx.ts for the graph's inputs and outputs.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { readCheckpoint } from '../../infer/checkpoint-format.js';
import { mtgradVersion } from '../../infer/version.js';
import { writeFileAtomic } from '../../io/safetensors.js';
import { init } from '../../tensor/init.js';
import { exportOnnx, ONNX_EXPORT_MODELS } from '../../models/export/onnx.js';
import { Flags, parseCommand, UsageError, type CommandSpec } from '../args.js';
import { println, type CommandIO } from '../io.js';

export const exportSpec: CommandSpec = {
  name: 'export',
  summary:
    'Export a checkpoint to ONNX (opset 17, float32, dynamic batch) with a JSON description of its inputs and outputs.',
  usage: 'mtgrad export --checkpoint FILE --out FILE.onnx [--format onnx] [--schema-out FILE.json]',
  options: {
    checkpoint: {
      type: 'string',
      value: 'FILE',
      help: 'model.safetensors written by mtgrad train (or saveCheckpoint)',
    },
    format: { type: 'string', value: 'NAME', help: 'onnx (the only format)', default: 'onnx' },
    out: { type: 'string', value: 'FILE', help: 'the .onnx file to write' },
    'schema-out': {
      type: 'string',
      value: 'FILE',
      help: 'the inputs/outputs/encoding JSON (default: FILE.schema.json beside --out)',
    },
  },
  notes: [
    `Models: ${ONNX_EXPORT_MODELS.join(', ')}.`,
    'Inputs: cat int32 [batch, nCat] and num float32 [batch, nNum] (the encoded rows), x float32 [batch, inputDim]',
    'for dense models, user/item int32 [batch] for rnr. Outputs: one float32 [batch] per task, named by the task',
    '(probabilities for binary tasks, values for regression), as predict gives them.',
  ],
};

/** model.onnx → model.schema.json (any other name gets .schema.json appended). */
export function schemaPathFor(out: string): string {
  return out.endsWith('.onnx') ? `${out.slice(0, -'.onnx'.length)}.schema.json` : `${out}.schema.json`;
}

function describeInput(i: { name: string; dtype: string; shape: (number | string)[] }): string {
  return `${i.name} ${i.dtype} [${i.shape.join(', ')}]`;
}

export async function exportCommand(argv: string[], io: CommandIO): Promise<number> {
  const parsed = parseCommand(exportSpec, argv, (t) => io.stdout.write(t));
  if (!parsed) return 0;
  const f = new Flags('export', parsed.values);
  const path = f.required('checkpoint');
  f.oneOf('format', ['onnx'] as const);
  const out = f.required('out');
  const schemaOut = f.string('schema-out') ?? schemaPathFor(out);
  if (schemaOut === out) throw new UsageError(`--schema-out must differ from --out (both are '${out}')`);
  const checkpoint = await readCheckpoint(path);
  // The export only builds the model to normalise its config; the js backend is enough and starts instantly.
  await init({ backend: 'js' });
  const { bytes, description } = exportOnnx(checkpoint, { producerVersion: mtgradVersion() });
  await mkdir(dirname(out), { recursive: true });
  await mkdir(dirname(schemaOut), { recursive: true });
  await writeFileAtomic(out, bytes);
  await writeFileAtomic(schemaOut, new TextEncoder().encode(`${JSON.stringify(description, null, 2)}\n`));
  const kinds = description.outputs.map((o) => `${o.name} (${o.kind})`).join(', ');
  println(
    io.stdout,
    `export: ${description.model.name} → ${out} (${(bytes.length / 1024).toFixed(1)} KiB, ONNX opset ${description.opset})`,
  );
  println(io.stdout, `  inputs:  ${description.inputs.map(describeInput).join(', ')}`);
  println(io.stdout, `  outputs: ${kinds}, each float32 [batch]`);
  println(io.stdout, `  schema:  ${schemaOut}`);
  return 0;
}
