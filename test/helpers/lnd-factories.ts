// Factories that give the LND compliance suite (test/lnd/compliance.ts) two LNet nodes joined by
// one LND. Add one per LND (socklnd, o2iblnd) next to the memory LND's.
import { LNet } from '../../src/lnet.js';
import type { NiTunables } from '../../src/core/ni.js';
import { MemoryFabric, type MemoryFabricOptions } from '../../lnd/memlnd/index.js';
import { SockLnd } from '../../lnd/socklnd/index.js';
import type { LndFactory, LndPair } from '../lnd/compliance.js';

export type { LndFactory, LndPair };

/** The NI tunables a factory should give both nodes for `pair(opts)`. */
export function pairTunables(opts: { peerCredits?: number; credits?: number } = {}): Partial<NiTunables> {
  const t: Partial<NiTunables> = {};
  if (opts.peerCredits !== undefined) t.peer_credits = opts.peerCredits;
  if (opts.credits !== undefined) t.credits = opts.credits;
  return t;
}

/**
 * Memory-LND pairs: each pair gets its own fabric, so pairs never see each other. The fabric
 * has no connections, hence no `breakLinks`; `restartB` shuts b down and starts a new instance
 * with the same NID on the same fabric; `deadTarget` is a NID nobody registered.
 */
export function makeMemLndFactory(fabricOptions: MemoryFabricOptions = {}, name = 'memlnd'): LndFactory {
  return {
    name,
    async pair(opts = {}) {
      const fabric = new MemoryFabric(fabricOptions);
      const tunables = pairTunables(opts);
      const aNid = '10.0.0.1@tcp';
      const bNid = '10.0.0.2@tcp';
      const start = (nid: string): Promise<LNet> =>
        LNet.start({ nets: [{ net: 'tcp', lnd: fabric.lnd(), nis: [{ nid }], tunables }] });
      const a = await start(aNid);
      let b: LNet;
      try {
        b = await start(bNid);
      } catch (e) {
        await a.shutdown();
        throw e;
      }
      const pair: LndPair = {
        a,
        b,
        aTarget: `12345-${aNid}`,
        bTarget: `12345-${bNid}`,
        // Not on this fabric: the memory LND fails sends to it with EHOSTUNREACH.
        deadTarget: '12345-10.0.0.99@tcp',
        close: async () => {
          await Promise.all([pair.a.shutdown(), pair.b.shutdown()]);
        },
        restartB: async () => {
          await pair.b.shutdown();
          pair.b = await start(bNid);
          return pair.b;
        },
      };
      return pair;
    },
  };
}

/** The memory LND with immediate (next event-loop turn) delivery. */
export const memLndFactory: LndFactory = makeMemLndFactory();

/**
 * socklnd pairs on loopback: a = 127.0.0.2, b = 127.0.0.3, a fresh accept port per pair,
 * `deadTarget` an address with no listener. `breakLinks` resets a's sockets (RST).
 */
let sockPort = 21000 + (process.pid % 1500) * 6;
export const sockLndFactory: LndFactory = {
  name: 'socklnd',
  async pair(opts = {}) {
    const acceptPort = sockPort++;
    const tunables = pairTunables(opts);
    const lnds = new Map<unknown, SockLnd>();
    const start = async (nid: string) => {
      const lnd = new SockLnd({ acceptPort, accept: 'all' });
      const n = await LNet.start({ nets: [{ net: 'tcp', lnd, nis: [{ nid }], tunables }] });
      lnds.set(n, lnd);
      return n;
    };
    const p: LndPair = {
      a: await start('127.0.0.2@tcp'),
      b: await start('127.0.0.3@tcp'),
      aTarget: '12345-127.0.0.2@tcp',
      bTarget: '12345-127.0.0.3@tcp',
      deadTarget: '12345-127.0.0.99@tcp',
      close: async () => void (await Promise.all([p.a.shutdown(), p.b.shutdown()])),
      restartB: async () => {
        await p.b.shutdown();
        p.b = await start('127.0.0.3@tcp');
        return p.b;
      },
      breakLinks: () => lnds.get(p.a)!.dropConnections(true),
    };
    return p;
  },
};
