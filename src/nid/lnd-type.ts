/**
 * LND type numbers (the `enum` in nidstr.h) and the libcfs net-string table
 * (libcfs/libcfs/util/nidstrings.c libcfs_netstrfns[]), in the kernel's order: parsing
 * matches net names by prefix in this order.
 */
export enum LndType {
  QSWLND = 1,
  SOCKLND = 2,
  GMLND = 3,
  PTLLND = 4,
  O2IBLND = 5,
  CIBLND = 6,
  OPENIBLND = 7,
  IIBLND = 8,
  LOLND = 9,
  RALND = 10,
  VIBLND = 11,
  MXLND = 12,
  GNILND = 13,
  GNIIPLND = 14,
  PTL4LND = 15,
  KFILND = 16,
  TOFULND = 17,
  EFALND = 18,
  BXI3LND = 19,
}

/** How an LND's addresses are written. */
export type AddrKind =
  | 'lo' // only 0
  | 'ipv4' // dotted quad (or a hostname in userspace)
  | 'ip' // IPv4 or IPv6: the size-aware parser of 2.15+
  | 'num'; // unsigned number, decimal or 0x hex

export interface LndInfo {
  readonly type: LndType;
  readonly name: string;
  readonly modname: string;
  readonly addrKind: AddrKind;
  /** Has a netmask matcher (CIDR ranges allowed in NID-range expressions). */
  readonly netmask: boolean;
}

export const LND_TABLE: readonly LndInfo[] = [
  { type: LndType.LOLND, name: 'lo', modname: 'klolnd', addrKind: 'lo', netmask: false },
  { type: LndType.SOCKLND, name: 'tcp', modname: 'ksocklnd', addrKind: 'ip', netmask: true },
  { type: LndType.O2IBLND, name: 'o2ib', modname: 'ko2iblnd', addrKind: 'ipv4', netmask: true },
  { type: LndType.GNILND, name: 'gni', modname: 'kgnilnd', addrKind: 'num', netmask: false },
  { type: LndType.GNIIPLND, name: 'gip', modname: 'kgnilnd', addrKind: 'ipv4', netmask: false },
  { type: LndType.PTL4LND, name: 'ptlf', modname: 'kptl4lnd', addrKind: 'num', netmask: false },
  { type: LndType.KFILND, name: 'kfi', modname: 'kkfilnd', addrKind: 'num', netmask: false },
  { type: LndType.EFALND, name: 'efa', modname: 'kefalnd', addrKind: 'ip', netmask: false },
  { type: LndType.BXI3LND, name: 'bxi3f', modname: 'kbxi3lnd', addrKind: 'num', netmask: false },
];

const byType = new Map<number, LndInfo>(LND_TABLE.map((l) => [l.type, l]));

export function lndInfo(type: number): LndInfo | undefined {
  return byType.get(type);
}

/** libcfs_str2lnd: exact name match, -1 when unknown. */
export function lndTypeByName(name: string): LndType | undefined {
  return LND_TABLE.find((l) => l.name === name)?.type;
}

/** libcfs_lnd2str: the LND's name, or `?N?` for one without a string. */
export function formatLnd(type: number): string {
  return byType.get(type)?.name ?? `?${type}?`;
}
