/**
 * Link state of IP NIs (socklnd.c ksocknal_handle_link_state_change, o2iblnd likewise): an NI
 * whose interface goes down, or loses its address, is in fatal error (DOWN in `net show` and in
 * our ping buffer, last choice for selection) until it comes back. The kernel learns this from
 * netdev notifications; here the monitor looks once a second at the addresses of interfaces
 * that are up and running (os.networkInterfaces, which omits the others). Only an address this
 * host had is judged: NIDs never seen on a local interface (loopback aliases, test fabrics)
 * are left alone.
 */
import { networkInterfaces } from 'node:os';
import { LndType } from '../nid/lnd-type.js';
import type { LNetCore } from './lnet-core.js';
import type { NetworkInterface } from './ni.js';

function ipv4Of(ni: NetworkInterface): string | undefined {
  const n = ni.nid;
  if (n.size !== 0 || (n.type !== LndType.SOCKLND && n.type !== LndType.O2IBLND)) return undefined;
  const a = n.addr0 >>> 0;
  if (a === 0) return undefined;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

export class LinkWatch {
  private readonly seen = new WeakSet<NetworkInterface>();

  constructor(private readonly core: LNetCore) {}

  /** One look at the interfaces; NIs whose address came or went change fatal state. */
  tick(): void {
    let addrs: Set<string>;
    try {
      addrs = new Set(
        Object.values(networkInterfaces())
          .flat()
          .filter((a) => a && a.family === 'IPv4')
          .map((a) => a!.address),
      );
    } catch {
      return;
    }
    for (const ni of this.core.nis) {
      if (ni === this.core.loNi || ni.state !== 'up') continue;
      const ip = ipv4Of(ni);
      if (!ip) continue;
      const present = addrs.has(ip);
      if (present) this.seen.add(ni);
      else if (!this.seen.has(ni)) continue;
      this.core.setLinkFatal(ni, !present);
    }
  }
}
