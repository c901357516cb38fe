/**
 * The operations an `lnetctl import` document asks for, in document order, validated as lnetctl
 * and the kernel validate them, ready to be applied (config.md §5.10).
 */
import type { NiTunables } from '../core/ni.js';
import type { Net } from '../nid/net.js';
import type { Nid } from '../nid/nid.js';
import type { IpAddrRange } from '../nid/ip-range.js';

/** `--add` (default), `--del`, `--show`, `--exec`. */
export type ImportMode = 'add' | 'del' | 'show' | 'exec';

/** An interface of a net or ip2nets rule: `eth0` or `eth0[0,1]` (CPTs). */
export interface ImportInterface {
  readonly name: string;
  readonly cpts?: readonly number[];
}

/** An `ip-range` entry of an ip2nets rule. */
export type ImportIpRange =
  | { readonly family: 4; readonly text: string; readonly range: IpAddrRange }
  | { readonly family: 6; readonly text: string; readonly words: readonly number[]; readonly prefixLen: number };

/** One `net:` item or `ip2nets:` rule (handle_net_config_sequence). */
export interface ImportNetRule {
  readonly source: 'net' | 'ip2nets';
  readonly net: Net;
  /** Every interface of the item (all `local NI(s)` entries of a `net:` item together). */
  readonly interfaces: readonly ImportInterface[];
  /** ip2nets only. */
  readonly ipRanges: readonly ImportIpRange[];
  /** Only the keys the document gave. */
  readonly tunables?: Partial<NiTunables>;
  /** socklnd/o2iblnd: conns_per_peer and tos (tos defaults to -1 for those LNDs). */
  readonly lndTunables?: { readonly conns_per_peer?: number; readonly tos?: number };
  /** `CPT:` of the item (string or flow list), the CPTs it names. */
  readonly cpts?: readonly number[];
}

export type GlobalImportKey =
  | 'numa_range'
  | 'max_interfaces'
  | 'discovery'
  | 'drop_asym_route'
  | 'retry_count'
  | 'transaction_timeout'
  | 'health_sensitivity'
  | 'recovery_interval'
  | 'router_sensitivity'
  | 'lnd_timeout'
  | 'response_tracking'
  | 'recovery_limit'
  | 'max_recovery_ping_interval';

export interface ImportPeerNi {
  readonly nid: Nid;
  /** `health stats: {health value: N}` (clamped 0..1000 by the kernel). */
  readonly healthValue?: number;
}

export type ImportOp =
  | { readonly op: 'net'; readonly rule: ImportNetRule }
  | {
      readonly op: 'route';
      readonly net: Net;
      readonly gateway: Nid;
      /** -1 when not given. */
      readonly hops: number;
      readonly priority: number;
      /** `state:` as an export lists it. */
      readonly alive?: boolean;
      readonly notifyTime?: number;
    }
  | {
      readonly op: 'peer';
      readonly primaryNid: Nid;
      /** `Multi-Rail:` (default true). */
      readonly multiRail: boolean;
      /** `peer state:` to set on the peer. */
      readonly peerState?: number;
      /** The `peer ni:` list; undefined when the item had none (the whole peer is meant). */
      readonly nis?: readonly ImportPeerNi[];
    }
  | { readonly op: 'global'; readonly key: GlobalImportKey; readonly value: number }
  | { readonly op: 'routing'; readonly enable: boolean }
  | { readonly op: 'buffers'; readonly tiny: number; readonly small: number; readonly large: number }
  | { readonly op: 'numa'; readonly range: number }
  | {
      readonly op: 'udsp';
      readonly idx: number;
      readonly src?: string;
      readonly dst?: string;
      readonly rte?: string;
      /** -1 when not given. */
      readonly priority: number;
    }
  | {
      readonly op: 'ping';
      /** `[pid-]nid` strings as given. */
      readonly targets: readonly string[];
      /** ms; undefined: lnetctl's default. */
      readonly timeoutMs?: number;
      readonly source?: Nid;
    }
  | { readonly op: 'discover'; readonly targets: readonly string[] };

export interface ImportPlan {
  readonly mode: ImportMode;
  readonly ops: readonly ImportOp[];
  /** What lnetctl prints on stderr and goes on ("Ignoring unrecognized key 'x' for 'tunables'"). */
  readonly warnings: readonly string[];
}
