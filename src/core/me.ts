import type { ProcessId } from '../nid/process-id.js';
import { Unlink } from './constants.js';
import { meHandle, type MeHandle } from './handle.js';
import type { LibMd } from './md.js';

/** `struct lnet_me`: a match entry on a portal. */
export class Me {
  readonly handle: MeHandle;
  md: LibMd | undefined;
  /** Off the portal's lists. */
  unlinked = false;

  constructor(
    cookie: number,
    readonly portal: number,
    readonly matchId: ProcessId,
    readonly matchBitsLo: number,
    readonly matchBitsHi: number,
    readonly ignoreBitsLo: number,
    readonly ignoreBitsHi: number,
    readonly unlink: Unlink,
  ) {
    this.handle = meHandle(cookie);
  }

  get hasIgnoreBits(): boolean {
    return (this.ignoreBitsLo | this.ignoreBitsHi) !== 0;
  }

  /** `((MB ^ me.match_bits) & ~me.ignore_bits) == 0` on u32 halves. */
  bitsMatch(lo: number, hi: number): boolean {
    return ((lo ^ this.matchBitsLo) & ~this.ignoreBitsLo) === 0 && ((hi ^ this.matchBitsHi) & ~this.ignoreBitsHi) === 0;
  }
}
