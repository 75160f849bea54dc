/** Environment variables where the host has them (Node, Deno, Bun); undefined in a browser. No `node:` import. */
export function readEnv(name: string): string | undefined {
  const host = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return host?.env?.[name];
}
