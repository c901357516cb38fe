import type { ErrnoName } from '../errno.js';
import { LNetError } from '../errors.js';

/*
 * Convention for every decoder in src/wire: it returns `T | WireError` and never throws.
 * Callers branch with `instanceof WireError`; no result wrapper is allocated on success.
 * Encoders write into a caller's buffer and throw LNetError (EINVAL, ENOBUFS) only for
 * programming errors: a value the wire cannot carry, or too small a buffer.
 */

/** Why a decoder refused its input. Each names one kernel rejection (or "need more bytes"). */
export type WireErrorReason =
  /** Fewer bytes than the structure needs; `needed` is the total from the decode offset. */
  | 'truncated'
  /** Magic is none the receiver knows. */
  | 'bad-magic'
  /** Magic is known, version is not. */
  | 'bad-version'
  /** An acceptor saw a socklnd hello (LNET_PROTO_MAGIC) where a connreq belongs. */
  | 'lnet-magic'
  /** Message type unknown (ksock type, LNet type, or a V1 hello that is not HELLO). */
  | 'bad-type'
  /** A 20-byte NID whose size byte is impossible or whose padding is not zero. */
  | 'bad-nid'
  /** A hello from LNET_NID_ANY. */
  | 'nid-any'
  /** Hello IP list longer than LNET_INTERFACES_NUM. */
  | 'too-many-ips'
  /** Hello IP list holding 0.0.0.0. */
  | 'zero-ip'
  /** payload_length not allowed for the message type. */
  | 'bad-length'
  /** Ping info without LNET_PING_FEAT_NI_STATUS. */
  | 'no-ni-status'
  /** Ping info nnis out of 1..lnet_interfaces_max (ERANGE, as the kernel). */
  | 'bad-nnis'
  /** Ping info whose first entry is not 0@lo. */
  | 'no-loopback'
  /** Ping info total size (entry 0 ns_msg_size) inconsistent or too large. */
  | 'bad-size'
  /** ksock checksum present and wrong. */
  | 'bad-csum';

/**
 * A decoder's refusal: always an LNetError (EPROTO unless the kernel uses another errno),
 * so callers can treat wire failures like any other kernel return code.
 */
export class WireError extends LNetError {
  readonly reason: WireErrorReason;
  /** The structure being decoded, e.g. `ksock hello`. */
  readonly what: string;
  /** Byte offset, relative to where decoding started, of the offending field. */
  readonly offset: number;
  /** For `truncated`: total bytes needed from the decode offset. Otherwise 0. */
  readonly needed: number;
  /** The offending value (magic, version, type, count…) when there is one, else 0. */
  readonly found: number;
  /** The sender's byte order as far as it was learned from the magic (true = swapped). */
  readonly flip: boolean;

  constructor(
    what: string,
    reason: WireErrorReason,
    detail: { offset?: number; needed?: number; found?: number; flip?: boolean; code?: ErrnoName; message?: string } = {},
  ) {
    const found = detail.found ?? 0;
    const msg =
      detail.message ??
      (reason === 'truncated'
        ? `${detail.needed ?? 0} bytes needed`
        : `${reason}${found !== 0 ? ` 0x${(found >>> 0).toString(16)}` : ''}`);
    super(detail.code ?? 'EPROTO', `${what}: ${msg} (offset ${detail.offset ?? 0})`);
    this.name = 'WireError';
    this.reason = reason;
    this.what = what;
    this.offset = detail.offset ?? 0;
    this.needed = detail.needed ?? 0;
    this.found = found;
    this.flip = detail.flip ?? false;
  }
}

export function isWireError(v: unknown): v is WireError {
  return v instanceof WireError;
}

/** Shorthand for the common "need `needed` bytes, have fewer" refusal. */
export function truncated(what: string, needed: number, have: number, flip = false): WireError {
  return new WireError(what, 'truncated', { offset: have, needed, flip });
}
