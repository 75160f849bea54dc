/// <reference types="@webgpu/types" />
/** Compiles specialised kernels once: pipelines are cached by (file, entry point, template values). */
import { kernelSource, type TemplateValues } from './kernel-files.js';
import type { ErrorChecks } from './error-checks.js';

export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(
    private readonly device: GPUDevice,
    private readonly checks: ErrorChecks,
  ) {}

  get size(): number {
    return this.pipelines.size;
  }

  get(file: string, entry: string, values: TemplateValues): GPUComputePipeline {
    const valuesKey = Object.keys(values)
      .sort()
      .map((k) => `${k}=${values[k]}`)
      .join(',');
    const key = `${file}:${entry}:${valuesKey}`;
    let pipeline = this.pipelines.get(key);
    if (pipeline) return pipeline;
    const moduleKey = `${file}:${valuesKey}`;
    const label = `${file.replace(/\.wgsl$/, '')}.${entry}`;
    this.checks.begin();
    let module = this.modules.get(moduleKey);
    if (!module) {
      module = this.device.createShaderModule({ code: kernelSource(file, values), label: `${file} {${valuesKey}}` });
      this.modules.set(moduleKey, module);
    }
    pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: entry }, label });
    this.checks.end(`compiling ${label} {${valuesKey}}`);
    this.pipelines.set(key, pipeline);
    return pipeline;
  }
}
