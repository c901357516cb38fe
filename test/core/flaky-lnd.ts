// A test LND wrapper: links that can be taken down and brought back. A send from or to a NID
// whose link is down completes, on the next turn, with the error a socket LND would report
// (EHOSTUNREACH, or a set health status), as a failed connection does: asynchronously.
import { Errno } from '../../src/errno.js';
import type { Lnd, LndCore } from '../../src/core/lnd.js';
import type { LNetMsg } from '../../src/core/msg.js';
import type { NetworkInterface } from '../../src/core/ni.js';
import { nidKey, type Nid } from '../../src/nid/nid.js';
import { parseNid } from '../../src/nid/nid-string.js';

export class Links {
  private readonly down = new Map<string, { errno: number; hstatus: number | undefined }>();
  /** Sends that failed because a link was down. */
  failed = 0;

  /** Take the link of `nid` down: sends from or to it fail with `errno` (and `hstatus`, if given). */
  cut(nid: string | Nid, errno = -Errno.EHOSTUNREACH, hstatus?: number): void {
    this.down.set(nidKey(typeof nid === 'string' ? parseNid(nid) : nid), { errno, hstatus });
  }

  restore(nid: string | Nid): void {
    this.down.delete(nidKey(typeof nid === 'string' ? parseNid(nid) : nid));
  }

  wrap(inner: Lnd): Lnd {
    const links = this.down;
    const self = this;
    let core: LndCore | undefined;
    return {
      type: inner.type,
      name: inner.name,
      startup(ni: NetworkInterface, c: LndCore) {
        core = c;
        return inner.startup(ni, c);
      },
      shutdown: (ni) => inner.shutdown(ni),
      send(ni: NetworkInterface, msg: LNetMsg): number {
        const cut = links.get(nidKey(ni.nid)) ?? links.get(nidKey(msg.txPeerNid));
        if (!cut) return inner.send(ni, msg);
        self.failed++;
        setImmediate(() => {
          if (cut.hstatus !== undefined) msg.healthStatus = cut.hstatus;
          core!.finalize(msg, cut.errno);
        });
        return 0;
      },
      recv: (ni, rxPrivate, msg, delayed, iov, offset, mlen, rlen) => inner.recv(ni, rxPrivate, msg, delayed, iov, offset, mlen, rlen),
      tunableDefaults: () => inner.tunableDefaults?.() ?? {},
    };
  }
}
