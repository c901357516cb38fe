import { LNet, type LNetConfig } from '../../src/lnet.js';
import { MemoryFabric, type MemoryFabricOptions } from '../../lnd/memlnd/index.js';
import type { LogFn } from '../../src/core/lnet-core.js';
import type { Lnd } from '../../src/core/lnd.js';
import type { CoreParams } from '../../src/core/params.js';

/** N in-process nodes 10.0.0.1@tcp … on one memory fabric; shut them down with the returned close(). */
export async function memNodes(
  n: number,
  fabricOptions: MemoryFabricOptions = {},
  extra: Partial<LNetConfig> = {},
  tunables: Partial<{ peer_credits: number; credits: number }> = {},
): Promise<{ nodes: LNet[]; fabric: MemoryFabric; close: () => Promise<void> }> {
  const fabric = new MemoryFabric(fabricOptions);
  const nodes: LNet[] = [];
  for (let i = 1; i <= n; i++) {
    nodes.push(
      await LNet.start({
        ...extra,
        nets: [{ net: 'tcp', lnd: fabric.lnd(), nis: [{ nid: `10.0.0.${i}@tcp` }], tunables }],
      }),
    );
  }
  return { nodes, fabric, close: async () => void (await Promise.all(nodes.map((x) => x.shutdown()))) };
}

export const nid = (i: number): string => `12345-10.0.0.${i}@tcp`;

export interface TwoRailOptions {
  /** Module parameters of node a (10.0.0.1@tcp, 10.1.0.1@tcp1) and node b (….2). */
  paramsA?: Partial<CoreParams>;
  paramsB?: Partial<CoreParams>;
  /** Node a's log. */
  logA?: LogFn;
  /** Wraps each LND (a fault injector, for instance). */
  wrapLnd?: (lnd: Lnd) => Lnd;
}

/** Two in-process nodes with one NI on tcp and one on tcp1 each, on one memory fabric. */
export async function twoRailNodes(o: TwoRailOptions = {}): Promise<{ a: LNet; b: LNet; close: () => Promise<void> }> {
  const fabric = new MemoryFabric();
  const lnd = (): Lnd => (o.wrapLnd ? o.wrapLnd(fabric.lnd()) : fabric.lnd());
  const start = (i: number, params: Partial<CoreParams> = {}, log?: LogFn) =>
    LNet.start({
      params,
      ...(log ? { log } : {}),
      nets: [
        { net: 'tcp', lnd: lnd(), nis: [{ nid: `10.0.0.${i}@tcp` }] },
        { net: 'tcp1', lnd: lnd(), nis: [{ nid: `10.1.0.${i}@tcp1` }] },
      ],
    });
  const a = await start(1, o.paramsA, o.logA);
  const b = await start(2, o.paramsB);
  return { a, b, close: async () => void (await Promise.all([a.shutdown(), b.shutdown()])) };
}
