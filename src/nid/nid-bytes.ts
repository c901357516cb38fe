import { makeNid, type Nid } from './nid.js';

/** Size of `struct lnet_nid` on the wire. */
export const LNET_NID_BYTES = 20;

/**
 * Decode the 20-byte `struct lnet_nid`: size, type, num (BE), four BE address words. The
 * form is byte-order independent and never swapped. Returns undefined if the size byte is
 * impossible (address longer than 16 bytes) or bytes past the address are not zero, unless
 * it is the all-ones ANY NID.
 */
export function decodeNidBytes(buf: Uint8Array, off = 0): Nid | undefined {
  if (buf.length - off < LNET_NID_BYTES) return undefined;
  const dv = new DataView(buf.buffer, buf.byteOffset + off, LNET_NID_BYTES);
  const size = dv.getUint8(0);
  const type = dv.getUint8(1);
  const nid = makeNid(
    type,
    dv.getUint16(2, false),
    dv.getUint32(4, false),
    size,
    dv.getUint32(8, false),
    dv.getUint32(12, false),
    dv.getUint32(16, false),
  );
  if (type === 0xff) return nid;
  if (size > 12) return undefined;
  for (let i = 4 + 4 + size; i < LNET_NID_BYTES; i++) if (buf[off + i] !== 0) return undefined;
  return nid;
}

export function encodeNidBytes(nid: Nid, buf: Uint8Array = new Uint8Array(LNET_NID_BYTES), off = 0): Uint8Array {
  const dv = new DataView(buf.buffer, buf.byteOffset + off, LNET_NID_BYTES);
  dv.setUint8(0, nid.size);
  dv.setUint8(1, nid.type);
  dv.setUint16(2, nid.num, false);
  dv.setUint32(4, nid.addr0, false);
  dv.setUint32(8, nid.addr1, false);
  dv.setUint32(12, nid.addr2, false);
  dv.setUint32(16, nid.addr3, false);
  return buf;
}
