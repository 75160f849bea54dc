/**
 * The `mtgrad` command: dispatches to a subcommand, and turns every failure into one clear line on stderr and a
 * non-zero exit code (2 for usage mistakes, 1 for everything else). Run it as `mtgrad ...` (bin/mtgrad.js, on
 * the compiled dist/) or from a checkout as `node --import tsx src/cli/main.ts ...`.
 */
import { pathToFileURL } from 'node:url';
// Installs the Tensor methods (x.mul(...), x.backward()) that model code may use.
import '../ops/index.js';
import '../autograd/index.js';
import { UsageError } from './args.js';
import { processIO, println, type CommandIO } from './io.js';

type Command = (argv: string[], io: CommandIO) => Promise<number>;

/** Loaded on demand, so `mtgrad info` does not pay for the training code and `predict` stays light. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  train: {
    summary: 'train a model, write checkpoint + report',
    load: async () => (await import('./commands/train.js')).trainCommand,
  },
  eval: {
    summary: 'evaluate a checkpoint on a dataset split',
    load: async () => (await import('./commands/eval.js')).evalCommand,
  },
  predict: {
    summary: 'score JSONL rows with a checkpoint (JSONL out)',
    load: async () => (await import('./commands/predict.js')).predictCommand,
  },
  export: {
    summary: 'export a checkpoint to ONNX (+ a JSON of its inputs/outputs)',
    load: async () => (await import('./commands/export.js')).exportCommand,
  },
  info: {
    summary: 'backends available, CPU features, GPU adapter',
    load: async () => (await import('./commands/info.js')).infoCommand,
  },
  bench: {
    summary: 'kernel and end-to-end training throughput per backend',
    load: async () => (await import('./commands/bench.js')).benchCommand,
  },
  compare: {
    summary: 'put training runs side by side (settings, test metrics, curves)',
    load: async () => (await import('./commands/compare.js')).compareCommand,
  },
};

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length)) + 2;
  return [
    'Usage: mtgrad <command> [options]',
    '',
    'Multi-task recommender models on a from-scratch tensor engine (js, native C++ and WebGPU backends).',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`),
    '',
    'Run `mtgrad <command> --help` for its options. Quick start: mtgrad train (MMoE on Census-Income, group 1).',
    '',
  ].join('\n');
}

export async function run(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    const { mtgradVersion } = await import('../infer/version.js');
    println(io.stdout, mtgradVersion());
    return 0;
  }
  const command = COMMANDS[name];
  try {
    if (!command)
      throw new UsageError(
        `unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')}; see mtgrad --help)`,
      );
    return await (await command.load())(rest, io);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // One line: the first line of the message, which every error here is written to make sufficient.
    println(io.stderr, `mtgrad${command ? ` ${name}` : ''}: ${message.split('\n')[0]}`);
    if (process.env.MTGRAD_DEBUG && error instanceof Error && error.stack) println(io.stderr, error.stack);
    return error instanceof UsageError ? 2 : 1;
  }
}

/** Sets the exit code instead of exiting, so pending output (pipes) is flushed first. */
export async function runAndExit(argv: string[] = process.argv.slice(2)): Promise<void> {
  process.exitCode = await run(argv);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runAndExit();
