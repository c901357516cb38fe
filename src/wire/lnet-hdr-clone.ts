import { LNetHdr } from './lnet-hdr.js';
import { WireHandle } from './wire-handle.js';

/** A deep copy, for in-process LNDs: the receiving core takes ownership of the header it parses. */
export function cloneHdr(h: LNetHdr): LNetHdr {
  const c = Object.assign(new LNetHdr(), h);
  c.wmd = new WireHandle(h.wmd.ifLo, h.wmd.ifHi, h.wmd.objLo, h.wmd.objHi);
  return c;
}
