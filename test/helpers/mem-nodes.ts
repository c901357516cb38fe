import { LNet, type LNetConfig } from '../../src/lnet.js';
import { MemoryFabric, type MemoryFabricOptions } from '../../lnd/memlnd/index.js';

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
