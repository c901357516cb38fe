import { LndType } from './lnd-type.js';
import { makeNet, type Net, LNET_NET_ANY } from './net.js';

declare const nidBrand: unique symbol;

/**
 * A NID in the 2.15+ `struct lnet_nid` model. `addr0..addr3` are the four address words as
 * host-order numbers (the kernel keeps them big-endian on the wire): an IPv4 address or a
 * numeric address is `addr0`; an IPv6 address fills all four. `size` is `nid_size`, the
 * address length minus 4: 0 for a 4-byte address (fits in a 64-bit nid4), 12 for IPv6.
 */
export interface Nid {
  readonly size: number;
  readonly type: number;
  readonly num: number;
  readonly addr0: number;
  readonly addr1: number;
  readonly addr2: number;
  readonly addr3: number;
  readonly [nidBrand]: true;
}

export function makeNid(type: number, num: number, addr0: number, size = 0, addr1 = 0, addr2 = 0, addr3 = 0): Nid {
  return {
    size: size & 0xff,
    type: type & 0xff,
    num: num & 0xffff,
    addr0: addr0 >>> 0,
    addr1: addr1 >>> 0,
    addr2: addr2 >>> 0,
    addr3: addr3 >>> 0,
  } as Nid;
}

/** LNET_ANY_NID: every byte 0xff. LNET_NID_IS_ANY tests only the type byte. */
export const LNET_ANY_NID: Nid = makeNid(0xff, 0xffff, 0xffffffff, 0xff, 0xffffffff, 0xffffffff, 0xffffffff);
export const LNET_NID_LO_0: Nid = makeNid(LndType.LOLND, 0, 0);

export const nidIsAny = (nid: Nid): boolean => nid.type === 0xff;
/** nid_is_nid4: a 4-byte address, so the NID converts to the 64-bit form without loss. */
export const nidIsNid4 = (nid: Nid): boolean => nid.size === 0;
export const nidIsLo0 = (nid: Nid): boolean =>
  nid.type === LndType.LOLND && nid.size === 0 && nid.num === 0 && nid.addr0 === 0;
export const nidAddrBytes = (nid: Nid): number => nid.size + 4;

/** LNET_NID_NET */
export function nidNet(nid: Nid): Net {
  return nidIsAny(nid) ? LNET_NET_ANY : makeNet(nid.type, nid.num);
}

/** nid_same: size, type, num and every address word. */
export function nidEquals(a: Nid, b: Nid): boolean {
  return (
    a === b ||
    (a.size === b.size &&
      a.type === b.type &&
      a.num === b.num &&
      a.addr0 === b.addr0 &&
      a.addr1 === b.addr1 &&
      a.addr2 === b.addr2 &&
      a.addr3 === b.addr3)
  );
}

/**
 * A compact string key for Maps: the same for two NIDs exactly when nidEquals holds.
 * (Not the printed form; formatNid is for people.)
 */
export function nidKey(nid: Nid): string {
  return nid.size === 0
    ? `${nid.type}:${nid.num}:${nid.addr0}`
    : `${nid.type}:${nid.num}:${nid.addr0}:${nid.addr1}:${nid.addr2}:${nid.addr3}:${nid.size}`;
}

/** nidhash: net XOR the big-endian address words, as an unsigned long on a LE 64-bit host. */
export function nidHash(nid: Nid): number {
  let h = nidNet(nid) >>> 0;
  h ^= bswap32(nid.addr0);
  h ^= bswap32(nid.addr1);
  h ^= bswap32(nid.addr2);
  h ^= bswap32(nid.addr3);
  return h >>> 0;
}

function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/**
 * The kernel's "lower NID" test for connection races is a memcmp over the 20-byte struct:
 * size, type, num (BE), then the BE address words. Negative when a < b.
 */
export function nidCompare(a: Nid, b: Nid): number {
  return (
    a.size - b.size ||
    a.type - b.type ||
    a.num - b.num ||
    a.addr0 - b.addr0 ||
    a.addr1 - b.addr1 ||
    a.addr2 - b.addr2 ||
    a.addr3 - b.addr3
  );
}
