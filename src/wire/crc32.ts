import * as zlib from 'node:zlib';

/**
 * Linux `crc32_le(seed, data)`: reflected CRC-32 (polynomial 0xEDB88320) with the caller's
 * seed and no final inversion — the socklnd checksum (seed ~0). zlib's crc32 inverts on entry
 * and exit, so `crc32_le(s, d) = zlib.crc32(d, ~s) ^ 0xffffffff`. zlib.crc32 exists only from
 * Node 20.15 / 22.2; older runtimes use the table below.
 */

type ZlibCrc = (data: Uint8Array, value?: number) => number;
const native: ZlibCrc | undefined =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (zlib as { crc32: ZlibCrc }).crc32 : undefined;

let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** Table-driven crc32_le; exported so tests can check it against zlib. */
export function crc32LeTable(seed: number, data: Uint8Array, start = 0, end = data.length): number {
  const t = crcTable();
  let c = seed >>> 0;
  for (let i = start; i < end; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

/** crc32_le(seed, data[start..end)). */
export function crc32Le(seed: number, data: Uint8Array, start = 0, end = data.length): number {
  // Node 20's zlib.crc32 answers 0 for some empty views instead of echoing the running value.
  if (end <= start) return seed >>> 0;
  if (native) {
    const view = start === 0 && end === data.length ? data : data.subarray(start, end);
    return (native(view, ~seed >>> 0) ^ 0xffffffff) >>> 0;
  }
  return crc32LeTable(seed, data, start, end);
}

export const hasNativeCrc32 = native !== undefined;
