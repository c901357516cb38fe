/**
 * lnetd in one object: the lnet "module" (its parameters and LNet instance) behind the control
 * socket. `lnetd` (src/cli/lnetd.ts) runs one; tests and `npm start` can run several in one
 * process, each on its own socket.
 */
import type { LoadedModuleParams } from '../config/modprobe.js';
import type { LocalInterface } from '../config/local-interfaces.js';
import { LNetModule } from './lnet-module.js';
import type { Logger } from './log.js';
import { lnetdOperations, type OpRegistry } from './ops/index.js';
import { ControlServer } from './server.js';

export interface DaemonOptions {
  socket: string;
  params: LoadedModuleParams;
  logger: Logger;
  interfaces?: () => LocalInterface[];
  ncpt?: number;
}

export class Daemon {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly module: LNetModule,
    readonly server: ControlServer,
    readonly ops: OpRegistry,
    private readonly logger: Logger,
  ) {}

  /** Load the module and serve the socket (EADDRINUSE when another lnetd serves it). */
  static async start(o: DaemonOptions): Promise<Daemon> {
    const module = new LNetModule({ params: o.params, logger: o.logger, ...(o.interfaces ? { interfaces: o.interfaces } : {}), ...(o.ncpt ? { ncpt: o.ncpt } : {}) });
    const ops = lnetdOperations();
    let daemon: Daemon | undefined;
    const server = new ControlServer({
      path: o.socket,
      logger: o.logger,
      handler: (req) => ops.dispatch({ module, socket: o.socket }, req.op, req.args ?? {}),
    });
    await server.start();
    daemon = new Daemon(module, server, ops, o.logger);
    return daemon;
  }

  /** Call an operation in-process, as a client on the socket would. */
  call(op: string, args: Record<string, unknown> = {}): Promise<unknown> {
    return this.ops.dispatch({ module: this.module, socket: this.server.path }, op, args);
  }

  /** Clean shutdown: stop serving, take LNet down (NIs, connections), remove the socket. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.server.close();
      await this.module.serialize(() => this.module.unconfigure());
      this.logger.info('lnetd stopped');
    })();
    return this.stopping;
  }
}
