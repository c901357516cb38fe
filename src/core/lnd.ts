import type { Nid } from '../nid/nid.js';
import type { LndType } from '../nid/lnd-type.js';
import type { LNetHdr } from '../wire/lnet-hdr.js';
import type { Iov } from './iov.js';
import type { LNetMsg } from './msg.js';
import type { NetworkInterface } from './ni.js';

/**
 * The door between the core and a network driver, mirroring the kernel's `struct lnet_lnd`.
 * An LND knows nothing of portals or MDs: it moves headers and payload bytes, and reports
 * back through `LndCore`.
 */
export interface Lnd {
  readonly type: LndType;
  /** The module name (`ksocklnd`, `klolnd`, …). */
  readonly name: string;
  /** Bring an NI up. May set `ni.nid` (e.g. from an interface address). */
  startup(ni: NetworkInterface, core: LndCore): Promise<void> | void;
  /** Take an NI down, closing its connections; pending sends finalize with an error. */
  shutdown(ni: NetworkInterface): Promise<void> | void;
  /**
   * Start sending `msg` (header `msg.hdr` to `msg.txPeerNid`, payload `msg.len` bytes of
   * `msg.iov` from `msg.offset`). Return 0, or a negative errno for immediate failure; on 0,
   * completion is reported later with `core.finalize(msg, status)`.
   */
  send(ni: NetworkInterface, msg: LNetMsg): number;
  /**
   * Receive the payload of the message `rxPrivate` was handed to `core.parse` with: put `mlen`
   * bytes into `iov` at `offset` and discard the rest of `rlen`. `msg` is null when the core
   * drops the message (consume and discard). Completion: `core.finalize(msg, status)` when
   * msg is not null. Return 0 or a negative errno.
   */
  recv(
    ni: NetworkInterface,
    rxPrivate: unknown,
    msg: LNetMsg | null,
    delayed: boolean,
    iov: Iov,
    offset: number,
    mlen: number,
    rlen: number,
  ): number;
  /** The core has to delay this message: let the LND free urgent resources. */
  eagerRecv?(ni: NetworkInterface, rxPrivate: unknown, msg: LNetMsg): { rc: number; rxPrivate: unknown };
  /** Is the peer believed alive? (`lnd_query`). */
  query?(ni: NetworkInterface, peer: Nid): { alive: boolean; lastAlive?: number };
  /** A peer was declared down by the core. */
  notifyPeerDown?(peer: Nid): void;
  /** LND timeout in seconds (`lnd_get_timeout`). */
  getTimeout?(): number;
  /** Defaults for the LND tunables printed under `lnd tunables`. */
  tunableDefaults?(): Record<string, number | string>;
}

/** Upcalls from an LND into the core (the kernel's lnet_parse / lnet_finalize / lnet_notify). */
export interface LndCore {
  /** This instance's LNet pid (12345 on kernel nodes); LNDs put it in their hellos. */
  readonly pid: number;
  /** Count a protocol error (malformed input) in the `errors` statistic. */
  countError(): void;
  /**
   * A header arrived on `ni` from the peer `fromNid`. The core copies `hdr` before it
   * returns, so the LND may decode its next header into the same object; with `keep` the
   * core may keep `hdr` itself and the LND decodes the next header into `rxHdrOut`.
   * Returns 0 (the core will call `lnd.recv` now or later, or has dropped the message and
   * called recv with msg null), or a negative errno: EPROTO means the peer broke the protocol
   * and the LND should close that connection.
   */
  parse(ni: NetworkInterface, hdr: LNetHdr, fromNid: Nid, rxPrivate: unknown, keep?: boolean): number;
  /**
   * After `parse(…, keep = true)`: the header object the LND decodes its next header into
   * (the core may have kept `hdr` for the message, handing back one of its own that still
   * holds an old message's fields: the decode must write every field, as the codecs do).
   */
  readonly rxHdrOut?: LNetHdr | undefined;
  /** Why the last `parse` that returned EPROTO refused its header (the LND logs it once). */
  readonly lastProtocolError?: string;
  /** A send or receive finished; status 0 or a negative errno. */
  finalize(msg: LNetMsg, status: number): void;
  /**
   * The first `n` messages of `msgs` finished together with one status (a written batch):
   * as finalize on each in order, in one completion pass.
   */
  finalizeBatch?(msgs: ReadonlyArray<LNetMsg | undefined>, n: number, status: number): void;
  /** The LND learnt that a peer is alive or dead (`lnet_notify`). */
  notify?(ni: NetworkInterface, peer: Nid, alive: boolean): void;
  /** Structured log line for the daemon's stderr. */
  log(level: 'error' | 'warn' | 'info' | 'debug', msg: string, fields?: Record<string, unknown>): void;
}
