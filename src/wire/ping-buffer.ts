import { LNetError } from '../errors.js';
import { makeNid, nidEquals, nidIsAny, nidIsNid4, nidKey, LNET_NID_LO_0, type Nid } from '../nid/nid.js';
import { rd32, rd32le, swab32, wr32 } from './bytes.js';
import { readNid4, writeNid4, writeNid16 } from './nid-wire.js';
import { WireError, truncated } from './wire-error.js';

/**
 * The ping/push buffer (lnet-idl.h `struct lnet_ping_info`; api-ni.c): what a node answers
 * to a ping GET and PUTs as a discovery push. In the sender's native order; a receiver that
 * sees the magic swapped swaps every integer (lnet_swap_pinginfo), never the 20-byte NIDs.
 *
 *   header 16 B: magic, features, pid, nnis
 *   nnis × 16 B `lnet_ni_status` {u64 nid, u32 status, u32 msg_size}; entry 0 is 0@lo, its
 *     status is the buffer's sequence number and, with LARGE_ADDR, its msg_size the total
 *     info size
 *   LARGE_ADDR: `lnet_ni_large_status` {u32 status, struct lnet_nid} entries up to that size,
 *     each 4 + 8 + nid_size bytes rounded up to 4 (16 for a 4-byte address, 24 for IPv6)
 *   anything after the info (the METADATA block of EFA/kfi nodes) is kept as opaque bytes.
 */

export const LNET_PROTO_PING_MAGIC = 0x70696e67;
/** Ping GETs and pushes go to portal 0 with match bits 0x8000000000000000. */
export const LNET_RESERVED_PORTAL = 0;
export const LNET_PROTO_PING_MATCHBITS_LO = 0;
export const LNET_PROTO_PING_MATCHBITS_HI = 0x80000000;

/** LNET_PING_FEAT_* */
export enum PingFeature {
  INVAL = 0,
  BASE = 1 << 0,
  NI_STATUS = 1 << 1,
  RTE_DISABLED = 1 << 2,
  MULTI_RAIL = 1 << 3,
  DISCOVERY = 1 << 4,
  LARGE_ADDR = 1 << 5,
  PRIMARY_LARGE = 1 << 6,
  METADATA = 1 << 7,
}
export const LNET_PING_FEAT_BITS = 0xff;

/** LNET_NI_STATUS_* (ns_status of entries other than 0). */
export enum NiStatus {
  INVALID = 0x00000000,
  UP = 0x15aac0de,
  DOWN = 0xdeadface,
}

export const LNET_PING_INFO_HDR_SIZE = 16;
export const LNET_NI_STATUS_SIZE = 16;
export const LNET_NI_LARGE_STATUS_SIZE = 24;
export const LNET_INTERFACES_MIN = 16;
/** lnet_interfaces_max default in 2.17.0 (module parameter). */
export const LNET_INTERFACES_MAX_DEFAULT = 200;
/** Sink size of discovery pings: header + 16 nid4 entries = 272. */
export const LNET_PING_INFO_MIN_SIZE = LNET_PING_INFO_HDR_SIZE + LNET_INTERFACES_MIN * LNET_NI_STATUS_SIZE;
/** Cap on the sink of `lnetctl ping` (api-ni.c). */
export const LNET_PING_BUFFER_MAX = 3960;

/** A 64-bit-NID entry. `msgSize` matters only in entry 0 (total info size with LARGE_ADDR). */
export interface PingNiStatus {
  nid: Nid;
  status: number;
  msgSize: number;
}

/** A large-NID entry (LARGE_ADDR area). */
export interface PingLargeNiStatus {
  nid: Nid;
  status: number;
}

export interface PingInfo {
  features: number;
  pid: number;
  /** pi_ni[0..nnis): entry 0 is 0@lo carrying the sequence number. */
  nis: PingNiStatus[];
  /** Entries of the LARGE_ADDR area, in order. */
  largeNis: PingLargeNiStatus[];
  /** Bytes after the info as received (the METADATA block, if any); usually empty. */
  trailer: Uint8Array;
}

export interface DecodedPingInfo extends PingInfo {
  /** The sender is the other endianness. */
  flip: boolean;
  /** lnet_ping_info_size: msg_size & ~3 with LARGE_ADDR, else 16 + 16 × nnis. */
  infoSize: number;
  /** NIDs listed more than once (each reported once). The kernel does not refuse these. */
  duplicates: Nid[];
  /** Large entries the kernel's iterator skips: an address longer than 16 bytes. */
  ignoredLargeEntries: number;
}

export interface PingDecodeOptions {
  /** lnet_interfaces_max: the most nid4 entries accepted (ERANGE above). */
  interfacesMax?: number;
}

const WHAT = 'ping info';

/** lnet_ping_sts_size for the NID whose size and type bytes are given. */
function largeEntrySize(nidSize: number, nidType: number): number {
  if (nidType === 0xff) return LNET_NI_LARGE_STATUS_SIZE;
  if (nidSize === 0) return LNET_NI_STATUS_SIZE;
  return (4 + 8 + nidSize + 3) & ~3;
}

/** The size a large entry for `nid` takes. */
export function pingLargeEntrySize(nid: Nid): number {
  return largeEntrySize(nid.size, nid.type);
}

/** An lnet_nid whose address is `size + 4` bytes; bytes past it belong to the entry's padding. */
function readShortNid(b: Uint8Array, o: number): Nid {
  const size = b[o]!;
  const type = b[o + 1]!;
  const num = (b[o + 2]! << 8) | b[o + 3]!;
  const addrBytes = type === 0xff ? 16 : Math.min(16, size + 4);
  const w = [0, 0, 0, 0];
  for (let i = 0; i < addrBytes; i++) w[i >> 2] = (w[i >> 2]! | (b[o + 4 + i]! << (24 - 8 * (i & 3)))) >>> 0;
  return makeNid(type, num, w[0]!, size, w[1]!, w[2]!, w[3]!);
}

/**
 * Decode a ping or push buffer of exactly the bytes received. Checks, in the kernel's order
 * (lnet_ping_info_validate plus the callers' length checks):
 * `bad-magic` (EPROTO; the swapped magic is accepted and everything swapped),
 * `no-ni-status` (EPROTO), `bad-nnis` (ERANGE: nnis < 1 or > interfacesMax),
 * `truncated` (`needed` = the info size the buffer claims: a discovery ping should retry
 * with that sink size), `no-loopback` (entry 0 not 0@lo, EPROTO), and with LARGE_ADDR
 * `bad-size` (msg_size smaller than the nid4 entries or beyond any sane size, EPROTO).
 */
export function decodePingInfo(b: Uint8Array, off = 0, opts: PingDecodeOptions = {}): DecodedPingInfo | WireError {
  const max = opts.interfacesMax ?? LNET_INTERFACES_MAX_DEFAULT;
  const have = Math.max(0, b.length - off);
  if (have < LNET_PING_INFO_HDR_SIZE) return truncated(WHAT, LNET_PING_INFO_HDR_SIZE, have);
  const magic = rd32le(b, off);
  let flip: boolean;
  if (magic === LNET_PROTO_PING_MAGIC) flip = false;
  else if (magic === swab32(LNET_PROTO_PING_MAGIC)) flip = true;
  else return new WireError(WHAT, 'bad-magic', { offset: 0, found: magic });
  const features = rd32(b, off + 4, flip);
  const pid = rd32(b, off + 8, flip);
  const nnis = rd32(b, off + 12, flip);
  if ((features & PingFeature.NI_STATUS) === 0)
    return new WireError(WHAT, 'no-ni-status', { offset: 4, found: features, flip, message: `ping without NI status: features 0x${features.toString(16)}` });
  if (nnis < 1 || nnis > max) return new WireError(WHAT, 'bad-nnis', { offset: 12, found: nnis, flip, code: 'ERANGE' });
  const nid4End = LNET_PING_INFO_HDR_SIZE + nnis * LNET_NI_STATUS_SIZE;
  if (have < nid4End) return truncated(WHAT, nid4End, have, flip);

  // lnet_swap_pinginfo swaps ns_msg_size of entry 0 only (it is unused elsewhere); swapping
  // them all reads the same meaningful values and keeps re-encoding symmetric.
  const nis: PingNiStatus[] = new Array<PingNiStatus>(nnis);
  for (let i = 0; i < nnis; i++) {
    const o = off + LNET_PING_INFO_HDR_SIZE + i * LNET_NI_STATUS_SIZE;
    nis[i] = { nid: readNid4(b, o, flip), status: rd32(b, o + 8, flip), msgSize: rd32(b, o + 12, flip) };
  }
  if (!nidEquals(nis[0]!.nid, LNET_NID_LO_0))
    return new WireError(WHAT, 'no-loopback', { offset: LNET_PING_INFO_HDR_SIZE, flip, message: 'first entry is not 0@lo' });

  let infoSize = nid4End;
  const largeNis: PingLargeNiStatus[] = [];
  let ignoredLargeEntries = 0;
  if (features & PingFeature.LARGE_ADDR) {
    infoSize = nis[0]!.msgSize & ~3;
    // Every large entry is at most 24 bytes and there are at most interfacesMax of them.
    const limit = nid4End + max * LNET_NI_LARGE_STATUS_SIZE;
    if (infoSize < nid4End || infoSize > limit)
      return new WireError(WHAT, 'bad-size', {
        offset: LNET_PING_INFO_HDR_SIZE + 12,
        found: nis[0]!.msgSize,
        flip,
        message: `info size ${infoSize} outside ${nid4End}..${limit}`,
      });
    if (have < infoSize) return truncated(WHAT, infoSize, have, flip);
    // ping_iter_next: stop when fewer than 8 bytes remain or the next entry would overrun.
    const end = off + infoSize;
    let pos = off + nid4End;
    while (pos + 8 <= end) {
      const size = largeEntrySize(b[pos + 4]!, b[pos + 5]!);
      if (pos + size > end) break;
      if (b[pos + 4]! + 8 > 20) ignoredLargeEntries++;
      else largeNis.push({ status: rd32(b, pos, flip), nid: readShortNid(b, pos + 4) });
      pos += size;
    }
  }

  const duplicates: Nid[] = [];
  const seen = new Map<string, number>();
  for (const e of [...nis, ...largeNis]) {
    const k = nidKey(e.nid);
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    if (n === 2) duplicates.push(e.nid);
  }

  return {
    features,
    pid,
    nis,
    largeNis,
    trailer: b.slice(off + infoSize, b.length),
    flip,
    infoSize,
    duplicates,
    ignoredLargeEntries,
  };
}

/** Bytes of the info part (without trailer) as encodePingInfo lays it out. */
export function pingInfoSize(info: PingInfo): number {
  let size = LNET_PING_INFO_HDR_SIZE + info.nis.length * LNET_NI_STATUS_SIZE;
  for (const e of info.largeNis) size += pingLargeEntrySize(e.nid);
  if (info.features & PingFeature.LARGE_ADDR && info.nis.length > 0)
    size = Math.max(size, info.nis[0]!.msgSize & ~3);
  return size;
}

/** Total bytes encodePingInfo writes: the info plus the trailer. */
export function pingBufferSize(info: PingInfo): number {
  return pingInfoSize(info) + info.trailer.length;
}

/**
 * Encode exactly what `info` says (little-endian, or `flip` for a big-endian sender), so a
 * decoded buffer re-encodes to the same bytes; nnis is nis.length and entry 0's msg_size is
 * written as given (use buildPingInfo to compute it). With LARGE_ADDR, space up to
 * msg_size & ~3 beyond the entries is zero-filled. Returns the bytes written.
 */
export function encodePingInfo(info: PingInfo, b: Uint8Array, off = 0, flip = false): number {
  const infoSize = pingInfoSize(info);
  const total = infoSize + info.trailer.length;
  if (!(off >= 0) || off + total > b.length)
    throw new LNetError('ENOBUFS', `${WHAT}: ${total} bytes do not fit at offset ${off} of ${b.length}`);
  b.fill(0, off, off + infoSize);
  wr32(b, off, LNET_PROTO_PING_MAGIC, flip);
  wr32(b, off + 4, info.features, flip);
  wr32(b, off + 8, info.pid, flip);
  wr32(b, off + 12, info.nis.length, flip);
  let pos = off + LNET_PING_INFO_HDR_SIZE;
  for (const e of info.nis) {
    writeNid4(b, pos, e.nid, flip);
    wr32(b, pos + 8, e.status, flip);
    wr32(b, pos + 12, e.msgSize, flip);
    pos += LNET_NI_STATUS_SIZE;
  }
  for (const e of info.largeNis) {
    const size = pingLargeEntrySize(e.nid);
    wr32(b, pos, e.status, flip);
    if (size >= 4 + 20) writeNid16(b, pos + 4, e.nid);
    else writeShortNid(b, pos + 4, e.nid);
    pos += size;
  }
  b.set(info.trailer, off + infoSize);
  return total;
}

/** Write the first nid_size + 8 bytes of an lnet_nid (a large entry shorter than 24 bytes). */
function writeShortNid(b: Uint8Array, o: number, nid: Nid): void {
  const tmp = new Uint8Array(20);
  writeNid16(tmp, 0, nid);
  b.set(tmp.subarray(0, Math.min(20, nid.size + 8)), o);
}

export function pingInfoToBuffer(info: PingInfo, flip = false): Buffer {
  const b = Buffer.alloc(pingBufferSize(info));
  encodePingInfo(info, b, 0, flip);
  return b;
}

export interface PingBuildInput {
  /** Feature bits to advertise (NI_STATUS is required by receivers); layout bits are added. */
  features: number;
  pid: number;
  /** Buffer sequence number, carried in entry 0's status. */
  seqno: number;
  /** The node's NIs (not 0@lo) in configuration order, with their status. */
  nis: readonly { nid: Nid; status: number }[];
}

/**
 * Lay out a ping buffer as lnet_ping_target_install_locked does: 0@lo first, then the
 * NIDs that fit 64 bits in order, then the large ones in the LARGE_ADDR area. Sets
 * LARGE_ADDR (and entry 0's msg_size = total size) when there are large NIDs, and
 * PRIMARY_LARGE when the first NI is large.
 */
export function buildPingInfo(input: PingBuildInput): PingInfo {
  let features = input.features & ~(PingFeature.LARGE_ADDR | PingFeature.PRIMARY_LARGE);
  const nis: PingNiStatus[] = [{ nid: LNET_NID_LO_0, status: input.seqno >>> 0, msgSize: 0 }];
  const largeNis: PingLargeNiStatus[] = [];
  for (const ni of input.nis) {
    if (nidIsNid4(ni.nid) && !nidIsAny(ni.nid)) nis.push({ nid: ni.nid, status: ni.status >>> 0, msgSize: 0 });
    else {
      if (nis.length === 1 && largeNis.length === 0) features |= PingFeature.PRIMARY_LARGE;
      largeNis.push({ nid: ni.nid, status: ni.status >>> 0 });
    }
  }
  if (largeNis.length > 0) {
    features |= PingFeature.LARGE_ADDR;
    let size = LNET_PING_INFO_HDR_SIZE + nis.length * LNET_NI_STATUS_SIZE;
    for (const e of largeNis) size += pingLargeEntrySize(e.nid);
    nis[0]!.msgSize = size;
  }
  return { features: features >>> 0, pid: input.pid >>> 0, nis, largeNis, trailer: new Uint8Array(0) };
}

/** The sequence number (entry 0's status). */
export function pingSeqno(info: PingInfo): number {
  return info.nis[0]?.status ?? 0;
}

/** The primary NID: the first large entry with PRIMARY_LARGE, else the first non-lo entry. */
export function pingPrimaryNid(info: PingInfo): Nid | undefined {
  if (info.features & PingFeature.PRIMARY_LARGE && info.largeNis.length > 0) return info.largeNis[0]!.nid;
  return info.nis[1]?.nid ?? info.largeNis[0]?.nid;
}
