/** `mtgrad info`: which backends load here and what they run on (CPU features, GPU adapter), or why not. */
import { loadBackend } from '../../tensor/init.js';
import { mtgradVersion } from '../../infer/version.js';
import { Flags, parseCommand, type CommandSpec } from '../args.js';
import { println, type CommandIO } from '../io.js';
import { cpus } from 'node:os';

export const infoSpec: CommandSpec = {
  name: 'info',
  summary: "Show mtgrad's version, the backends that load on this machine, and their devices.",
  usage: 'mtgrad info [--json]',
  options: { json: { type: 'boolean', help: 'print as JSON' } },
};

export async function infoCommand(argv: string[], io: CommandIO): Promise<number> {
  const parsed = parseCommand(infoSpec, argv, (t) => io.stdout.write(t));
  if (!parsed) return 0;
  const f = new Flags('info', parsed.values);
  const backends: Record<string, { available: boolean; info?: Record<string, unknown>; reason?: string }> = {};
  for (const name of ['js', 'native', 'webgpu'] as const) {
    try {
      const b = await loadBackend(name);
      backends[name] = { available: true, info: { ...b.info() } };
    } catch (error) {
      backends[name] = { available: false, reason: (error as Error).message.split('\n')[0] };
    }
  }
  const host = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
  };
  if (f.boolean('json')) {
    println(io.stdout, JSON.stringify({ version: mtgradVersion(), host, backends }, null, 1));
    return 0;
  }
  println(
    io.stdout,
    `mtgrad ${mtgradVersion()} on Node ${host.node}, ${host.platform}, ${host.cpu} (${host.cores} cores)`,
  );
  for (const [name, b] of Object.entries(backends)) {
    if (!b.available) {
      println(io.stdout, `  ${name.padEnd(7)} unavailable: ${b.reason}`);
      continue;
    }
    const { description, dtypes, name: _n, syncReadback: _s, ...rest } = b.info as Record<string, unknown>;
    const extra = Object.entries(rest)
      .filter(([, v]) => v !== undefined && typeof v !== 'object')
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(', ');
    println(
      io.stdout,
      `  ${name.padEnd(7)} ${String(description)}; dtypes ${(dtypes as string[]).join('/')}${extra ? `; ${extra}` : ''}`,
    );
  }
  return 0;
}
