/**
 * The WGSL sources of the package's `kernels/` folder, specialised. The text is bundled at build time
 * (scripts/generate-wgsl.mjs writes wgsl.generated.ts from kernels/*.wgsl), so nothing is read from disk and the
 * backend runs in a browser too. Sources are plain WGSL plus a
 * small preprocessor: `{{NAME}}` is replaced by a template value, and `#if NAME` / `#if !NAME` / `#else` /
 * `#endif` lines keep or drop blocks (WGSL type-checks dead functions too, so a vec4 and a scalar variant of the
 * same binding cannot both be written out).
 */
import { WGSL_SOURCES } from './wgsl.generated.js';

export type TemplateValues = Record<string, string | number | boolean>;

function readKernel(file: string): string {
  const text = WGSL_SOURCES[file];
  if (text === undefined)
    throw new Error(
      `webgpu: no WGSL source '${file}' in kernels/ (bundled sources: ${Object.keys(WGSL_SOURCES).join(', ')})`,
    );
  return text;
}

function truthy(v: string | number | boolean | undefined): boolean {
  return v !== undefined && v !== false && v !== 0 && v !== 'false' && v !== '';
}

export function preprocess(text: string, values: TemplateValues, file: string): string {
  const out: string[] = [];
  const stack: { parentActive: boolean; cond: boolean; inElse: boolean }[] = [];
  let active = true;
  for (const line of text.split('\n')) {
    const directive = /^\s*#(if|else|endif)\b\s*(!?)(\w*)/.exec(line);
    if (directive) {
      const [, kind, negate, name] = directive;
      if (kind === 'if') {
        const cond = truthy(values[name!]) !== (negate === '!');
        stack.push({ parentActive: active, cond, inElse: false });
        active = active && cond;
      } else {
        const top = stack[stack.length - 1];
        if (!top) throw new Error(`webgpu: unbalanced #${kind} in ${file}`);
        if (kind === 'else') {
          top.inElse = true;
          active = top.parentActive && !top.cond;
        } else {
          stack.pop();
          active = top.parentActive;
        }
      }
      continue;
    }
    if (active) out.push(line);
  }
  if (stack.length) throw new Error(`webgpu: unterminated #if in ${file}`);
  return out.join('\n').replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`webgpu: template value ${name} missing for ${file}`);
    return typeof v === 'boolean' ? String(v) : String(v);
  });
}

/** common.wgsl (params binding, helpers), math.wgsl (float functions), then the kernel file, specialised. */
export function kernelSource(file: string, values: TemplateValues): string {
  const parts = ['common.wgsl', 'math.wgsl', file].map((f) => preprocess(readKernel(f), values, f));
  return parts.join('\n');
}
