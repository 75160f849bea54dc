/** Starting the backend a command asked for, with one line on stderr saying which one runs and why others did not. */
import { init, type BackendName } from '../tensor/init.js';
import { UsageError } from './args.js';
import { println, type CommandIO } from './io.js';

export const BACKEND_CHOICES = ['auto', 'js', 'native', 'webgpu'] as const;

export async function startBackend(name: string | undefined, io: CommandIO): Promise<string> {
  const want = (name ?? 'auto') as BackendName;
  if (!(BACKEND_CHOICES as readonly string[]).includes(want))
    throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got '${want}'`);
  let result;
  try {
    result = await init({ backend: want });
  } catch (error) {
    throw new Error(`backend '${want}' is not available: ${(error as Error).message.split('\n')[0]}`);
  }
  const skipped = Object.entries(result.tried)
    .map(([b, why]) => `${b}: ${why.split('\n')[0]}`)
    .join('; ');
  println(
    io.stderr,
    `backend: ${result.backend} (${result.info.description})${skipped ? ` — skipped ${skipped}` : ''}`,
  );
  return result.backend;
}
