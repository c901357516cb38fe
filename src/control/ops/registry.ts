/**
 * The operations lnetd serves, by name. Each takes the module and its arguments and returns
 * plain data (or documents), or throws: a ControlError (errno + the kernel's description) or a
 * DocumentError that already says what lnetctl prints and how it exits.
 */
import type { LNetModule } from '../lnet-module.js';
import { ControlError } from '../protocol.js';
import type { Args } from './args.js';

export interface OpContext {
  module: LNetModule;
  /** The socket path lnetd serves (for `lnet.status`). */
  socket: string;
}

export type Op = (ctx: OpContext, args: Args) => Promise<unknown> | unknown;

export interface OpSpec {
  run: Op;
  /** Runs under the module mutex (configuration); false for long waits (ping, discover). */
  serialized: boolean;
}

export class OpRegistry {
  private readonly ops = new Map<string, OpSpec>();

  add(name: string, run: Op, serialized = true): this {
    this.ops.set(name, { run, serialized });
    return this;
  }

  names(): string[] {
    return [...this.ops.keys()].sort();
  }

  async dispatch(ctx: OpContext, op: string, args: Args): Promise<unknown> {
    const spec = this.ops.get(op);
    if (!spec) throw new ControlError('EOPNOTSUPP', `unknown operation '${op}'`);
    return spec.serialized ? ctx.module.serialize(() => spec.run(ctx, args)) : spec.run(ctx, args);
  }
}
