import { Errno } from '../../src/errno.js';
import type { Lnd, LndCore } from '../../src/core/lnd.js';
import { iovCopy } from '../../src/core/iov.js';
import type { LNetMsg } from '../../src/core/msg.js';
import type { NetworkInterface } from '../../src/core/ni.js';
import { LndType } from '../../src/nid/lnd-type.js';
import { LNET_NID_LO_0 } from '../../src/nid/nid.js';
import { cloneHdr } from '../../src/wire/lnet-hdr-clone.js';

/**
 * The loopback LND (lnet/lnet/lo.c): a send is parsed straight back in; the receive copies
 * from the sending message's payload, then finalizes both, so the sender's completion follows
 * the receiver's as in the kernel.
 */
export class LoLnd implements Lnd {
  readonly type = LndType.LOLND;
  readonly name = 'klolnd';
  private core: LndCore | undefined;

  startup(ni: NetworkInterface, core: LndCore): void {
    this.core = core;
    ni.nid = LNET_NID_LO_0;
  }

  shutdown(): void {}

  send(ni: NetworkInterface, msg: LNetMsg): number {
    const core = this.core;
    if (!core) return -Errno.ENETDOWN;
    // The core owns the header it is handed; the sender keeps its own.
    const rc = core.parse(ni, cloneHdr(msg.hdr), ni.nid, msg);
    if (rc < 0) core.finalize(msg, rc);
    return 0;
  }

  recv(
    _ni: NetworkInterface,
    rxPrivate: unknown,
    msg: LNetMsg | null,
    _delayed: boolean,
    iov: readonly Uint8Array[],
    offset: number,
    mlen: number,
  ): number {
    const sendMsg = rxPrivate as LNetMsg;
    if (msg) {
      if (mlen > 0) iovCopy(iov, offset, sendMsg.iov, sendMsg.offset, mlen);
      this.core!.finalize(msg, 0);
    }
    this.core!.finalize(sendMsg, 0);
    return 0;
  }
}
