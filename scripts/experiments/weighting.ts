/**
 * Every loss-weighting method of `mtgrad train --weighting` on MMoE and PLE: test AUC per task (mean ± std over
 * seeds), training time per step, and the exact command of every row, written to docs/results/weighting.md.
 * Every run is the plain `mtgrad train` command (spawned, one process per run), so each row is reproduced by the
 * command printed beside it.
 *
 *   MTGRAD_NUM_THREADS=1 node --import tsx scripts/experiments/weighting.ts [--datasets census] [--groups 1,2]
 *     [--models mmoe,ple] [--methods sum,uncertainty,...] [--seeds 0,1,2] [--epochs 4] [--max-steps N]
 *     [--backend native] [--jobs 1] [--runs DIR] [--resume]
 *
 * --datasets takes entries NAME[:DIR[:COUNTRY]]: any dataset name the CLI's --data accepts, with the folder
 * (`--data-dir`) and AliExpress country (`--country`) where the dataset needs them, e.g.
 * `census,aliccp:/tmp/mtgrad-data/ccp-200k,aliexpress:/tmp/mtgrad-data/ae-200k:NL` (census uses --groups; others
 * run once, without a group). A name the CLI does not know is an error before anything runs. --jobs runs that many trainings at a time.
 * With --resume a run whose metrics.json is already under --runs is read back instead of trained again.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DATASET_NAMES } from '../../src/cli/datasets.js';
import { WEIGHTINGS } from '../../src/cli/weighting.js';
import { environmentLine, flags, intList, markdownTable, mean, meanStd, REPO_ROOT, writeResults } from './common.js';

const f = flags({
  datasets: { type: 'string', default: 'census' },
  groups: { type: 'string', default: '1,2' },
  models: { type: 'string', default: 'mmoe,ple' },
  methods: { type: 'string', default: WEIGHTINGS.join(',') },
  seeds: { type: 'string', default: '0,1,2' },
  epochs: { type: 'string', default: '4' },
  'max-steps': { type: 'string' },
  backend: { type: 'string', default: 'native' },
  jobs: { type: 'string', default: '1' },
  runs: { type: 'string', default: join(tmpdir(), 'mtgrad-experiments', 'weighting') },
  resume: { type: 'boolean', default: false },
});
interface DatasetEntry {
  name: string;
  dir?: string;
  country?: string;
}
const entries: DatasetEntry[] = (f.datasets as string).split(',').map((e) => {
  const [name, dir, country] = e.split(':');
  return { name, dir, country };
});
/** The label a dataset entry has in run folders and section titles: the name, plus the country where one is given. */
const labelOf = (e: DatasetEntry): string => (e.country ? `${e.name}-${e.country}` : e.name);
const datasets = entries.map(labelOf);
const entryOf = new Map(entries.map((e) => [labelOf(e), e]));
const unknown = entries.map((e) => e.name).filter((d) => !(DATASET_NAMES as readonly string[]).includes(d));
if (unknown.length)
  throw new Error(
    `--datasets: ${unknown.join(', ')} not known to this checkout's CLI (--data takes ${DATASET_NAMES.join(', ')})`,
  );
const methods = (f.methods as string).split(',');
const badMethods = methods.filter((m) => !(WEIGHTINGS as readonly string[]).includes(m));
if (badMethods.length)
  throw new Error(
    `--methods: ${badMethods.join(', ')} unknown (mtgrad train --weighting takes ${WEIGHTINGS.join(', ')})`,
  );
const groups = intList(f.groups as string);
const models = (f.models as string).split(',');
const seeds = intList(f.seeds as string);
const epochs = f.epochs as string;
const maxSteps = f['max-steps'] as string | undefined;
const backend = f.backend as string;
const jobs = intList(f.jobs as string)[0];
const runsDir = f.runs as string;

interface Setting {
  data: string;
  group: number | null;
  model: string;
  method: string;
}
interface RunResult {
  auc: Record<string, number>;
  msPerStep: number;
  steps: number;
  backend: string;
  idle: string;
  warnings: number;
}

const settings: Setting[] = datasets.flatMap((data) =>
  (data === 'census' ? groups : [null]).flatMap((group) =>
    models.flatMap((model) => methods.map((method) => ({ data, group, model, method }))),
  ),
);
const tag = (s: Setting, seed: number | string): string =>
  `${s.data}${s.group ? `-g${s.group}` : ''}-${s.model}-${s.method}-s${seed}`;

function cliArgs(s: Setting, seed: number | string, out: string): string[] {
  const entry = entryOf.get(s.data)!;
  return [
    'train',
    '--data',
    entry.name,
    ...(entry.dir ? ['--data-dir', entry.dir] : []),
    ...(entry.country ? ['--country', entry.country] : []),
    ...(s.group ? ['--group', String(s.group)] : []),
    '--model',
    s.model,
    '--weighting',
    s.method,
    '--epochs',
    epochs,
    ...(maxSteps ? ['--max-steps', maxSteps] : []),
    '--backend',
    backend,
    '--seed',
    String(seed),
    '--out',
    out,
  ];
}

function commandText(s: Setting): string {
  return `for s in ${seeds.join(' ')}; do MTGRAD_NUM_THREADS=1 node --import tsx src/cli/main.ts ${cliArgs(s, '$s', `runs/weighting/${tag(s, '$s')}`).join(' ')}; done`;
}

let resumed = 0;
let backendLine = backend;
async function runOnce(s: Setting, seed: number): Promise<RunResult> {
  const out = join(runsDir, tag(s, seed));
  const metricsPath = join(out, 'metrics.json');
  if (f.resume && existsSync(metricsPath)) resumed++;
  else {
    const stderr: string[] = [];
    const code = await new Promise<number>((done, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'main.ts'), ...cliArgs(s, seed, out)],
        { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: process.env },
      );
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => stderr.push(chunk));
      child.on('error', reject);
      child.on('close', (c) => done(c ?? 1));
    });
    const text = stderr.join('');
    const b = /^backend: (.*)$/m.exec(text);
    if (b) backendLine = b[1];
    if (code !== 0)
      throw new Error(
        `${tag(s, seed)} failed (exit ${code}):\n${text
          .split('\n')
          .filter((l) => !l.includes('\r'))
          .slice(-5)
          .join('\n')}`,
      );
  }
  const m = JSON.parse(readFileSync(metricsPath, 'utf8')) as {
    test: Record<string, { auc?: number; rmse?: number }>;
    settings: { backend: string };
    history: { steps: unknown[]; trainSeconds: number };
    diagnostics?: { warnings: string[]; experts: { idle: number[] | null; gates: { experts: number }[] } | null };
  };
  const experts = m.diagnostics?.experts;
  return {
    auc: Object.fromEntries(Object.entries(m.test).map(([t, v]) => [t, v.auc ?? NaN])),
    msPerStep: (1000 * m.history.trainSeconds) / Math.max(m.history.steps.length, 1),
    steps: m.history.steps.length,
    backend: m.settings.backend,
    // Idle experts (no gate gives them half the uniform share) after the last epoch; — where gates mix different sets.
    idle: experts?.idle ? `${experts.idle.length}/${experts.gates[0].experts}` : '—',
    warnings: m.diagnostics?.warnings.length ?? 0,
  };
}

const started = performance.now();
const loadAtStart = loadavg()[0];
const queue = settings.flatMap((s) => seeds.map((seed) => ({ s, seed })));
const results = new Map<string, RunResult[]>();
let next = 0,
  done = 0;
async function worker(): Promise<void> {
  while (next < queue.length) {
    const { s, seed } = queue[next++];
    const r = await runOnce(s, seed);
    const key = tag(s, 'all');
    results.set(key, [...(results.get(key) ?? []), r]);
    done++;
    console.error(
      `[${done}/${queue.length}] ${tag(s, seed)}: ${Object.entries(r.auc)
        .map(([t, v]) => `${t} ${v.toFixed(4)}`)
        .join(
          ', ',
        )}, ${r.msPerStep.toFixed(1)} ms/step (${((performance.now() - started) / 60000).toFixed(1)} min so far)`,
    );
  }
}
await Promise.all(Array.from({ length: Math.max(1, jobs) }, () => worker()));

const sections: string[] = [];
for (const data of datasets) {
  for (const group of data === 'census' ? groups : [null]) {
    const first = results.get(tag({ data, group, model: models[0], method: methods[0] }, 'all'))!;
    const tasks = Object.keys(first[0].auc);
    const rows: string[][] = [];
    for (const model of models) {
      for (const method of methods) {
        const s = { data, group, model, method };
        const list = results.get(tag(s, 'all'))!;
        rows.push([
          model,
          method,
          ...tasks.map((t) => meanStd(list.map((r) => r.auc[t]))),
          `${mean(list.map((r) => r.msPerStep)).toFixed(1)}`,
          String(list[0].steps),
          list.map((r) => r.idle).join(', '),
          `\`${commandText(s)}\``,
        ]);
      }
    }
    sections.push(
      [
        `### ${data}${group ? ` group ${group}` : ''}`,
        '',
        markdownTable(
          [
            'model',
            'weighting',
            ...tasks.map((t) => `${t} AUC`),
            'ms / step',
            'steps',
            'idle experts, per seed',
            'command (one run per seed)',
          ],
          rows,
        ),
      ].join('\n'),
    );
  }
}

const invocation = `MTGRAD_NUM_THREADS=1 node --import tsx scripts/experiments/weighting.ts --datasets ${entries.map((e) => [e.name, e.dir, e.country].filter(Boolean).join(':')).join(',')} --groups ${groups.join(',')} --models ${models.join(',')} --seeds ${seeds.join(',')} --epochs ${epochs}${maxSteps ? ` --max-steps ${maxSteps}` : ''} --backend ${backend} --jobs ${jobs}`;
const markdown = [
  '# Loss-weighting methods on MMoE and PLE: test AUC per task',
  '',
  `Generated by \`${invocation}\`${methods.length !== WEIGHTINGS.length ? ` --methods ${methods.join(',')}` : ''}.`,
  environmentLine(backendLine),
  ...(resumed > 0 ? [`${resumed} runs were read back with --resume from an earlier invocation's metrics.json.`] : []),
  resumed === queue.length
    ? 'Every run was read back, so no load figure describes them here: ms / step is what each run measured when it ran; compare it only between rows run together on an idle machine.'
    : `Load average (1 min) when this invocation started / ended: ${loadAtStart.toFixed(1)} / ${loadavg()[0].toFixed(1)} on ${cpus().length} cores — with other jobs on the machine, ms / step moves with the load at the time each run happened, so compare it only between rows run together on an idle machine.`,
  '',
  `Protocol: \`mtgrad train\` with its defaults (Adam lr 0.002, batch 1024, the CLI's model sizes, early stopping on the first task's validation AUC with patience 2 and the best epoch's weights restored) except --epochs ${epochs}${maxSteps ? ` and --max-steps ${maxSteps}` : ''}; only --weighting changes between rows of a model. ` +
    `Each method uses its defaults (src/mtl: each file's header states them). Test AUC over the dataset's whole test split, mean ± sample std (n − 1) over seeds ${seeds.join(', ')}${seeds.length === 1 ? ' (one seed: no spread)' : ''}. ` +
    '"ms / step" is the training time per step measured inside each run (evaluation excluded), mean over seeds: the host-solved methods (MGDA, CAGrad, Nash-MTL, IMTL, Aligned-MTL, GradVac) and the gradient methods (GradNorm, PCGrad, DB-MTL, GradDrop) take one extra backward per task to the shared parameters. ' +
    '"idle experts" comes from each run\'s diagnostics (metrics.json): experts that no gate gives at least half the uniform share on the validation split after the last epoch (MMoE; — for PLE, whose gates mix different expert sets).',
  '',
  ...sections.flatMap((s) => [s, '']),
].join('\n');

console.log(markdown);
console.error(
  `wrote ${relative(process.cwd(), writeResults('weighting', markdown))} (${((performance.now() - started) / 60000).toFixed(1)} min)`,
);
