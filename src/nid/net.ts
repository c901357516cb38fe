import { ParseError } from '../errors.js';
import { LND_TABLE, lndInfo, LndType, type LndInfo } from './lnd-type.js';

declare const netBrand: unique symbol;
/** An LNet network id: `(lndType << 16) | netNumber`, a u32 as in `LNET_MKNET`. */
export type Net = number & { readonly [netBrand]: true };

export const LNET_NET_ANY = 0xffffffff as Net;

export function makeNet(type: number, num: number): Net {
  return (((type & 0xffff) << 16) | (num & 0xffff)) >>> 0 as Net;
}

export const netType = (net: Net): number => net >>> 16;
export const netNum = (net: Net): number => net & 0xffff;

/**
 * libcfs_str2net_internal: the first LND whose name is a prefix of `str`, then an optional
 * decimal net number. `lo` takes no number. Returns the table entry so address parsing can
 * follow. Net numbers above 65535 cannot be represented in a net id and are refused.
 */
export function lookupNet(str: string): { net: Net; lnd: LndInfo } | { error: string; position: number } {
  const lnd = LND_TABLE.find((l) => str.startsWith(l.name));
  if (!lnd) return { error: 'unknown network type', position: 0 };
  const rest = str.slice(lnd.name.length);
  if (rest.length === 0) return { net: makeNet(lnd.type, 0), lnd };
  if (lnd.type === LndType.LOLND) return { error: 'lo takes no network number', position: lnd.name.length };
  if (!/^[0-9]+$/.test(rest)) return { error: 'network number must be decimal', position: lnd.name.length };
  const num = Number(rest);
  if (num > 0xffff) return { error: 'network number out of range (0-65535)', position: lnd.name.length };
  return { net: makeNet(lnd.type, num), lnd };
}

/** Parse `tcp`, `tcp0`, `o2ib3`, `lo` … Throws ParseError (EINVAL) on what the kernel refuses. */
export function parseNet(str: string): Net {
  const r = lookupNet(str);
  if ('error' in r) throw new ParseError('net', str, r.position, r.error);
  return r.net;
}

export function tryParseNet(str: string): Net | undefined {
  const r = lookupNet(str);
  return 'error' in r ? undefined : r.net;
}

/** libcfs_net2str: `tcp`, `tcp1`; `<type:num>` for an LND without a name; `<?>` for ANY. */
export function formatNet(net: Net): string {
  if (net === LNET_NET_ANY) return '<?>';
  const lnd = lndInfo(netType(net));
  const num = netNum(net);
  if (!lnd) return `<${netType(net)}:${num}>`;
  return num === 0 ? lnd.name : `${lnd.name}${num}`;
}
