import { LNetError } from './errors.js';
import type { LNet, Target } from './lnet.js';
import { nidIsLo0, nidKey, type Nid } from './nid/nid.js';
import { LNET_PID_LUSTRE, type ProcessId } from './nid/process-id.js';
import { decodePingInfo, LNET_PING_BUFFER_MAX, PingFeature, type PingInfo } from './wire/ping-buffer.js';
import { WireError } from './wire/wire-error.js';

export interface PingOptions {
  /** How long to wait for the reply, ms (lnetctl's default: 1 s). */
  timeoutMs?: number;
  /** Force the local NI the ping leaves from. */
  source?: string | Nid;
  /** How many ids to ask for (the sink holds 16 + 24 × ids bytes, at most 3960). Default lnet_interfaces_max. */
  ids?: number;
}

/** What `lnetctl ping` prints for one target. */
export interface PingResult {
  /** The peer's primary NID as our peer table knows it (the pinged NID for a new peer). */
  primaryNid: Nid;
  /** From our peer table, as the kernel prints it (false until discovery says otherwise). */
  multiRail: boolean;
  /** The peer's NIs from its ping buffer, 0@lo left out, with its pid. */
  peerNis: ProcessId[];
  /** Feature bits the peer advertised. */
  features: number;
  /** The peer's ping buffer sequence number. */
  seqno: number;
}

/** A ping buffer's NIDs in order, nid4 entries then the large-NID area, without 0@lo. */
export function pingPeerNids(info: PingInfo): Nid[] {
  return [...info.nis.map((e) => e.nid), ...info.largeNis.map((e) => e.nid)].filter((n) => !nidIsLo0(n));
}

/**
 * lnet_ping: a GET of the peer's ping buffer (portal 0, the ping match bits, pid 12345 unless
 * given), decoded. Errors: ETIMEDOUT when no reply comes within the timeout, the send's errno
 * (EHOSTUNREACH, …) when it cannot go, EPROTO for a reply that is not a valid ping buffer.
 */
export async function ping(lnet: LNet, target: Target, opts: PingOptions = {}): Promise<PingResult> {
  const id = typeof target === 'string' ? lnet.parseTarget(target) : target;
  const ids = Math.min(opts.ids ?? lnet.core.params.lnet_interfaces_max, lnet.core.params.lnet_interfaces_max);
  const sink = Math.min(16 + 24 * Math.max(1, ids), LNET_PING_BUFFER_MAX);
  const timeoutMs = opts.timeoutMs ?? 1000;
  const reply = await lnet.getAsync({
    target: id,
    portal: 0,
    matchBits: 0x8000000000000000n,
    sink,
    ...(opts.source !== undefined ? { source: opts.source } : {}),
    timeoutMs,
  });
  const info = decodePingInfo(reply.data);
  if (info instanceof WireError) throw new LNetError('EPROTO', `bad ping reply from ${typeof target === 'string' ? target : ''}: ${info.message}`);
  if (!(info.features & PingFeature.NI_STATUS)) throw new LNetError('EPROTO', 'ping reply without NI status');
  const pid = info.pid || LNET_PID_LUSTRE;
  const nids = pingPeerNids(info);
  const seen = new Set<string>();
  const peerNis = nids.filter((n) => {
    const k = nidKey(n);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  }).map((nid) => ({ nid, pid }));
  const known = lnet.core.peerTable.get(nidKey(id.nid));
  return {
    primaryNid: known?.primaryNid ?? id.nid,
    multiRail: known?.multiRail ?? false,
    peerNis,
    features: info.features,
    seqno: info.nis[0]?.status ?? 0,
  };
}
