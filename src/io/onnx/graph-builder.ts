/**
 * Builds an ONNX graph node by node: every op returns the name of its (single) output, constants and weights
 * become initializers, and the value names are numbered so they never collide with the graph's inputs and
 * outputs (which are plain identifiers; internal names contain a '/').
 */
import type { AttributeValue, GraphProto, NodeProto, OnnxDType, TensorProto, ValueInfo } from './model.js';

export const attr = {
  int: (value: number): AttributeValue => ({ kind: 'int', value }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  ints: (value: readonly number[]): AttributeValue => ({ kind: 'ints', value }),
};

export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly constants = new Map<string, string>();
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(readonly name: string) {}

  private fresh(hint: string): string {
    let n: string;
    do n = `${hint}/${this.counter++}`;
    while (this.names.has(n));
    this.names.add(n);
    return n;
  }

  private claim(name: string, what: string): void {
    if (this.names.has(name)) throw new Error(`ONNX graph '${this.name}': ${what} name '${name}' is used twice`);
    this.names.add(name);
  }

  input(info: ValueInfo): string {
    this.claim(info.name, 'input');
    this.inputs.push(info);
    return info.name;
  }

  /** Marks `value` as the graph output `info.name` (through an Identity, so any value can be exported under any name). */
  output(value: string, info: ValueInfo): void {
    this.claim(info.name, 'output');
    this.nodes.push({ opType: 'Identity', inputs: [value], outputs: [info.name], name: `output/${info.name}` });
    this.outputs.push(info);
  }

  /** A named weight (its checkpoint name, so the graph reads like the state dict). */
  initializer(name: string, dtype: OnnxDType, dims: readonly number[], data: TensorProto['data']): string {
    this.claim(name, 'initializer');
    this.initializers.push({ name, dtype, dims: [...dims], data });
    return name;
  }

  /** A constant tensor (deduplicated by value). */
  constant(dtype: OnnxDType, dims: readonly number[], values: readonly number[]): string {
    const key = `${dtype}[${dims.join(',')}]:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const data =
      dtype === 'float32'
        ? Float32Array.from(values)
        : dtype === 'int32'
          ? Int32Array.from(values)
          : BigInt64Array.from(values, (v) => BigInt(v));
    const name = this.fresh('const');
    this.initializers.push({ name, dtype, dims: [...dims], data });
    this.constants.set(key, name);
    return name;
  }

  scalar(value: number): string {
    return this.constant('float32', [], [value]);
  }
  int64s(values: readonly number[]): string {
    return this.constant('int64', [values.length], values);
  }
  int32Scalar(value: number): string {
    return this.constant('int32', [], [value]);
  }

  /** One node with one output; returns the output's name. */
  op(opType: string, inputs: readonly string[], attributes?: Record<string, AttributeValue>): string {
    const out = this.fresh(opType);
    this.nodes.push({
      opType,
      inputs: [...inputs],
      outputs: [out],
      name: `node${out.slice(opType.length)}_${opType}`,
      ...(attributes ? { attributes } : {}),
    });
    return out;
  }

  build(): GraphProto {
    return {
      name: this.name,
      nodes: [...this.nodes],
      initializers: [...this.initializers],
      inputs: [...this.inputs],
      outputs: [...this.outputs],
    };
  }
}
