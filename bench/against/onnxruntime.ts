/**
 * ONNX Runtime twin of a bench model: the live model exported to ONNX in memory (exportSourceOf: the same weights,
 * no checkpoint file), an onnxruntime-node InferenceSession with mtgrad's thread count (intra-op = the native
 * pool's threads, inter-op 1, sequential, all graph optimisations), fed the same encoded batch. onnxruntime-node
 * is a dev dependency; where it cannot be resolved the bench installs it as the issue says
 * (`npm install --no-save --ignore-scripts onnxruntime-node@1.30.0`: its CPU binary is in the package) or says why not.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportOnnx } from '../../src/models/export/onnx.js';
import { exportSourceOf } from '../../src/models/export/from-model.js';
import type { TaskModel } from '../../src/models/task-model.js';
import type { EncodedRows } from '../../src/infer/index.js';

type Ort = typeof import('onnxruntime-node');

const ORT_VERSION = '1.30.0';
let loaded: Promise<Ort | string> | null = null;

async function importOrt(): Promise<Ort> {
  return await import('onnxruntime-node');
}

/** onnxruntime-node, installed on demand; a string says why it is unavailable. */
export function loadOrt(): Promise<Ort | string> {
  loaded ??= (async () => {
    try {
      return await importOrt();
    } catch (first) {
      const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
      const args = [
        'install',
        '--no-save',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        `onnxruntime-node@${ORT_VERSION}`,
      ];
      console.log(
        `onnxruntime-node not found (${(first as Error).message.split('\n')[0]}); running npm ${args.join(' ')}`,
      );
      const r = spawnSync('npm', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      if (r.status !== 0)
        return `npm install onnxruntime-node@${ORT_VERSION} failed (exit ${r.status ?? r.error?.message}): ${(r.stderr || '').trim().split('\n').pop()}`;
      try {
        return await importOrt();
      } catch (e) {
        return `onnxruntime-node installed but cannot be loaded: ${(e as Error).message.split('\n')[0]}`;
      }
    }
  })();
  return loaded;
}

export interface OrtRun {
  version: string;
  /** Runs the session on the batch; resolves with one Float32Array per task (the outputs, read). */
  run(): Promise<Record<string, Float32Array>>;
  release(): Promise<void>;
}

/** An ONNX Runtime session for `model` as it is now, fed `rows` (the same encoded batch mtgrad scores). */
export async function ortSession(
  model: Pick<TaskModel, 'modelName' | 'config' | 'stateDict'>,
  rows: EncodedRows,
  threads: number,
): Promise<OrtRun | string> {
  const ort = await loadOrt();
  if (typeof ort === 'string') return ort;
  const { bytes, description } = exportOnnx(await exportSourceOf(model), { producerVersion: 'bench' });
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
  for (const input of description.inputs) {
    if (input.name === 'cat') feeds.cat = new ort.Tensor('int32', rows.cat, [rows.size, rows.nCat]);
    else if (input.name === 'num' || input.name === 'x')
      feeds[input.name] = new ort.Tensor('float32', rows.num, [rows.size, rows.nNum]);
    else throw new Error(`bench onnxruntime: the exported graph's input '${input.name}' is not one the bench feeds`);
  }
  const tasks = description.outputs.map((o) => o.name);
  return {
    version: ort.env.versions.node ?? ORT_VERSION,
    async run() {
      const out = await session.run(feeds);
      const scores: Record<string, Float32Array> = {};
      for (const t of tasks) {
        const v = out[t];
        if (!v || !(v.data instanceof Float32Array)) throw new Error(`bench onnxruntime: no float32 output '${t}'`);
        scores[t] = v.data;
      }
      return scores;
    },
    release: () => session.release(),
  };
}
