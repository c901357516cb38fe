// Factories that give the LND compliance suite (test/lnd/compliance.ts) two LNet nodes joined by
// one LND. Add one per LND (socklnd, o2iblnd) next to the memory LND's.
import { LNet } from '../../src/lnet.js';
import type { NiTunables } from '../../src/core/ni.js';
import { MemoryFabric, type MemoryFabricOptions } from '../../lnd/memlnd/index.js';

/** Two running nodes joined by the LND under test. */
export interface LndPair {
  a: LNet;
  /** The current node b; `restartB` replaces it (and updates this field). */
  b: LNet;
  /** `12345-<a's NID>` */
  aTarget: string;
  /** `12345-<b's NID>` */
  bTarget: string;
  /** Shut down both nodes (the current b) and free whatever the factory made. Idempotent. */
  close(): Promise<void>;
  /** Restart node b (same NID), returning the new instance; optional. */
  restartB?(): Promise<LNet>;
  /** Abruptly break every connection between a and b (e.g. destroy sockets) while keeping both nodes up; optional. */
  breakLinks?(): Promise<void> | void;
}

export interface LndFactory {
  /** Shown in test names, e.g. `memlnd`. */
  name: string;
  /** Start a pair; `peerCredits`/`credits` are the NI tunables `peer_credits`/`credits` of both nodes. */
  pair(opts?: { peerCredits?: number; credits?: number }): Promise<LndPair>;
}

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
 * with the same NID on the same fabric.
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
