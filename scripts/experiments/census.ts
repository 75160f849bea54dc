/**
 * Census-Income (KDD) test AUC per task for the CLI's models, task groups 1 and 2, over several seeds: the
 * README's results table. Every run is the plain `mtgrad train` command with its defaults (only --model, --group,
 * --backend, --seed and --out given), spawned one at a time, so each row is reproduced by the command printed
 * beside it.
 *
 *   MTGRAD_NUM_THREADS=1 node --import tsx scripts/experiments/census.ts [--seeds 0,1,2] [--groups 1,2]
 *     [--models singleTask,sharedBottom,omoe,mmoe,cgc,ple,mran] [--backend native] [--runs DIR] [--resume]
 *
 * Each run writes its checkpoint, metrics.json and report under --runs (default: $TMPDIR/mtgrad-experiments/census);
 * with --resume a run whose metrics.json is already there is read back instead of trained again. The table goes to
 * stdout and docs/results/census.md.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as mt from '../../src/index.js';
import { environmentLine, flags, intList, markdownTable, mean, meanStd, REPO_ROOT, writeResults } from './common.js';

const ALL_MODELS = ['singleTask', 'sharedBottom', 'omoe', 'mmoe', 'cgc', 'ple', 'mran'];
const TASKS: Record<number, [string, string]> = { 1: ['income', 'never_married'], 2: ['education', 'never_married'] };

const f = flags({
  seeds: { type: 'string', default: '0,1,2' },
  groups: { type: 'string', default: '1,2' },
  models: { type: 'string', default: ALL_MODELS.join(',') },
  backend: { type: 'string', default: 'native' },
  runs: { type: 'string', default: join(tmpdir(), 'mtgrad-experiments', 'census') },
  resume: { type: 'boolean', default: false },
  /** Fewer seeds for slow models: MODEL=S,S entries separated by ';', e.g. `mran=0,1` or `mran=0,1;ple=0`. */
  'model-seeds': { type: 'string', default: '' },
});
const seeds = intList(f.seeds as string);
const groups = intList(f.groups as string);
const models = (f.models as string).split(',');
const backend = f.backend as string;
const runsDir = f.runs as string;
const modelSeeds = new Map<string, number[]>(
  (f['model-seeds'] as string)
    .split(';')
    .filter((x) => x.trim() !== '')
    .map((entry) => {
      const [model, list] = entry.split('=');
      if (!models.includes(model) || list === undefined)
        throw new Error(`--model-seeds: expected MODEL=S,S;... for models in --models, got '${entry}'`);
      return [model, intList(list)];
    }),
);
const seedsOf = (model: string) => modelSeeds.get(model) ?? seeds;

interface RunResult {
  auc: Record<string, number>;
  epochsRun: number;
  bestEpoch: number | null;
  trainSeconds: number;
  wallSeconds: number;
  parameters: number;
}

// Described in-process (cheap), so that a fully resumed run still names the backend and its kernels.
const described = await mt.init({ backend: backend as mt.BackendName });
let backendLine = `${described.backend} (${described.info.description})`;
let resumed = 0;

function cliArgs(model: string, group: number, seed: number, out: string): string[] {
  // --epochs 4 pinned: the published table was made with the 4-epoch default of the time (the default is now 12).
  return [
    'train',
    '--model',
    model,
    '--group',
    String(group),
    '--epochs',
    '4',
    '--backend',
    backend,
    '--seed',
    String(seed),
    '--out',
    out,
  ];
}

function commandText(model: string, group: number, seedList: string): string {
  return `for s in ${seedList}; do MTGRAD_NUM_THREADS=1 node --import tsx src/cli/main.ts ${cliArgs(model, group, 0, `runs/census/${model}-g${group}-s$s`).join(' ').replace('--seed 0', '--seed $s')}; done`;
}

async function runOnce(model: string, group: number, seed: number): Promise<RunResult> {
  const out = join(runsDir, `${model}-g${group}-s${seed}`);
  const metricsPath = join(out, 'metrics.json');
  if (f.resume && existsSync(metricsPath)) resumed++;
  else {
    const args = ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'main.ts'), ...cliArgs(model, group, seed, out)];
    const stderr: string[] = [];
    const code = await new Promise<number>((resolveCode, reject) => {
      const child = spawn(process.execPath, args, {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: process.env,
      });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => stderr.push(chunk));
      child.on('error', reject);
      child.on('close', (c) => resolveCode(c ?? 1));
    });
    const text = stderr.join('');
    const backendMatch = /^backend: (.*)$/m.exec(text);
    if (backendMatch) backendLine = backendMatch[1].replace(/ — skipped.*$/, '');
    if (code !== 0)
      throw new Error(
        `${model} group ${group} seed ${seed} failed (exit ${code}):\n${text
          .split('\n')
          .filter((l) => !l.includes('\r'))
          .slice(-5)
          .join('\n')}`,
      );
  }
  const m = JSON.parse(readFileSync(metricsPath, 'utf8')) as {
    test: Record<string, { auc: number }>;
    bestEpoch: number | null;
    settings: {
      'epochs run': number;
      'training seconds': number;
      'wall seconds': number;
      parameters: number;
      backend: string;
    };
  };
  return {
    auc: Object.fromEntries(Object.entries(m.test).map(([t, v]) => [t, v.auc])),
    epochsRun: m.settings['epochs run'],
    bestEpoch: m.bestEpoch,
    trainSeconds: m.settings['training seconds'],
    wallSeconds: m.settings['wall seconds'],
    parameters: m.settings.parameters,
  };
}

const results = new Map<string, RunResult[]>();
const started = performance.now();
for (const group of groups) {
  for (const model of models) {
    const list: RunResult[] = [];
    for (const seed of seedsOf(model)) {
      const r = await runOnce(model, group, seed);
      list.push(r);
      const [t1, t2] = TASKS[group];
      console.error(
        `census g${group} ${model} seed ${seed}: ${t1} ${r.auc[t1].toFixed(4)}, ${t2} ${r.auc[t2].toFixed(4)}, ${r.epochsRun} epochs, ${r.wallSeconds.toFixed(1)} s wall (${((performance.now() - started) / 60000).toFixed(1)} min so far)`,
      );
    }
    results.set(`${model}-g${group}`, list);
  }
}

const allRuns = [...results.values()].flat();
const fmtBest = (xs: number[]) => Math.max(...xs).toFixed(4);
const sections: string[] = [];
for (const group of groups) {
  const [t1, t2] = TASKS[group];
  const rows: string[][] = [];
  for (const model of models) {
    const list = results.get(`${model}-g${group}`)!;
    const a1 = list.map((r) => r.auc[t1]);
    const a2 = list.map((r) => r.auc[t2]);
    rows.push([
      model,
      meanStd(a1),
      fmtBest(a1),
      meanStd(a2),
      fmtBest(a2),
      list[0].parameters.toLocaleString('en-US'),
      list.map((r) => `${r.epochsRun} (${r.bestEpoch === null ? '—' : r.bestEpoch + 1})`).join(', '),
      `${mean(list.map((r) => r.wallSeconds)).toFixed(0)} s`,
      `\`${commandText(model, group, seedsOf(model).join(' '))}\``,
    ]);
  }
  if (group === 1)
    rows.push(['MMoE paper (Ma et al. 2018, Table 2)', '0.9359', '0.9410', '0.9927', '—', '—', '—', '—', 'published']);
  sections.push(
    [
      `### Group ${group}: ${t1} + ${t2}`,
      '',
      markdownTable(
        [
          'model',
          `${t1} AUC (mean ± std)`,
          `${t1} best`,
          `${t2} AUC (mean ± std)`,
          `${t2} best`,
          'parameters',
          'epochs run (best), per seed',
          'wall / run',
          'command (one run per seed)',
        ],
        rows,
      ),
    ].join('\n'),
  );
}

const markdown = [
  '# Census-Income (KDD): test AUC per task',
  '',
  `Generated by \`MTGRAD_NUM_THREADS=1 node --import tsx scripts/experiments/census.ts --seeds ${seeds.join(',')} --groups ${groups.join(',')}${modelSeeds.size ? ` --model-seeds '${f['model-seeds'] as string}'` : ''}\`.`,
  environmentLine(backendLine),
  ...(resumed > 0
    ? [
        `${resumed} of the runs were read back with --resume from an earlier invocation's metrics.json (trained on an earlier commit of the same session; the line above describes the invocation that built the table).`,
      ]
    : []),
  '',
  `Protocol: \`mtgrad train --epochs 4\` with its other defaults for every model (Adam lr 0.002, batch 1024, at most 4 epochs, early stopping on the first task's validation AUC with patience 2 and the best epoch's weights restored; loss = plain sum of the task losses), seeds ${seeds.join(', ')}. ` +
    "Only MMoE and OMoE get the CLI's size defaults (8 experts × [16], towers [8], 4-dim embeddings); the other models keep their own config defaults (see each file's header in src/models), so parameter counts differ. " +
    'Test split = the second half of census-income.test (the first half is the validation split), 49,881 rows. ' +
    `Mean ± sample std (n − 1) and best over the ${seeds.length} seeds${[...modelSeeds].map(([m, l]) => ` (${m}: ${l.length} seed${l.length > 1 ? 's' : ''}, ${l.join(', ')}, to save time)`).join('')}; "wall / run" is the in-process wall time of one run (data loading included), mean over seeds.`,
  '',
  ...sections.flatMap((s) => [s, '']),
  `Epochs: ${allRuns.filter((r) => r.epochsRun === 4 && r.bestEpoch === 3).length} of ${allRuns.length} runs ran the full 4 epochs and kept the last one as the best, so the CLI defaults stop before validation AUC stops improving; longer training may add a little for every model.`,
  '',
  'Wall times were measured on a shared 2-core machine while other jobs ran (load average about 3–7), one training process at a time on one thread: treat them as rough.',
  '',
  "The MMoE paper's numbers are its MMoE row for group 1 (income AUC mean / best over its runs, never-married mean); its setup differs (its own hyper-parameter search, more training), so they are a reference, not a like-for-like comparison.",
  '',
].join('\n');

console.log(markdown);
console.error(
  `wrote ${relative(process.cwd(), writeResults('census', markdown))} (${((performance.now() - started) / 60000).toFixed(1)} min)`,
);
