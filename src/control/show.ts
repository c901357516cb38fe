/**
 * lnetd's side of the documents: the instance's route table, router pools and settings handed
 * to the document builders of src/control/docs in the shapes they take (inputs.ts).
 */
import type { LNetCounters } from '../core/counters.js';
import type { CoreParams } from '../core/params.js';
import type { RouterConfig } from '../core/router-config.js';
import type { Route } from '../core/routes.js';
import type { LNet } from '../lnet.js';
import type { ProcessId } from '../nid/process-id.js';
import type { PingResult } from '../ping.js';
import type { PrintableDoc } from '../cli/yaml/output.js';
import { buildExport } from './docs/export-doc.js';
import { buildGlobalShow, buildStatsShow } from './docs/global-show.js';
import type { RoutingInput, UdspInfoSource } from './docs/inputs.js';
import { nidKey } from '../nid/nid.js';
import { formatNid } from '../nid/nid-string.js';
import { udspDocRules } from './ops/udsp-ops.js';
import { buildPingDoc, type PingDoc } from './docs/ping-doc.js';
import { buildRouteShow } from './docs/route-show.js';
import { buildRoutingShow } from './docs/routing-show.js';

/** One ping or discovery target's outcome, as the ping operation collects them. */
export type PingOutcome =
  | { ok: true; target: ProcessId; result: PingResult }
  | { ok: false; target: ProcessId; errno: number; descr?: string };

/** The router pools and state as the routing documents take them. */
export function routingInput(r: RouterConfig): RoutingInput {
  return {
    state: r.state,
    ...(r.pools ? { cpts: r.pools.map(([tiny, small, large]) => ({ tiny: tiny!, small: small!, large: large! })) } : {}),
  };
}

export function routeShowDoc(routes: readonly Route[], verbose: boolean): PrintableDoc | null {
  return buildRouteShow(routes, { verbose });
}

export function routingShowDoc(r: RouterConfig): PrintableDoc | null {
  return buildRoutingShow(routingInput(r));
}

export function globalShowDoc(p: CoreParams): PrintableDoc {
  return buildGlobalShow(p);
}

export function statsShowDoc(c: LNetCounters): PrintableDoc {
  return buildStatsShow(c);
}

export function pingDoc(kind: 'ping' | 'discover', outcomes: readonly PingOutcome[]): PingDoc {
  return buildPingDoc(
    kind,
    outcomes.map((o) =>
      o.ok
        ? { target: o.target.nid, pid: o.target.pid, result: o.result }
        : { target: o.target.nid, pid: o.target.pid, errno: o.errno, ...(o.descr !== undefined ? { descr: o.descr } : {}) },
    ),
  );
}

/** The UDSP engine's `udsp info` of a local NI or a peer NI, as the show documents take it. */
export function udspInfoSource(lnet: LNet): UdspInfoSource {
  return (nid, remote) => {
    const core = lnet.core;
    let info;
    if (remote) {
      const lpni = core.peers.get(nidKey(nid));
      if (!lpni) return undefined;
      info = core.udsp.peerNiInfo(lpni);
    } else {
      const ni = core.findNi(nid);
      if (!ni) return undefined;
      info = core.udsp.niInfo(ni);
    }
    return {
      netPriority: info.netPriority,
      nidPriority: info.nidPriority,
      ...(info.prefRtrNids.length ? { preferredGateways: info.prefRtrNids.map(formatNid) } : {}),
      ...(info.prefNids.length ? { preferredSources: info.prefNids.map(formatNid) } : {}),
    };
  };
}

/** `lnetctl export [--backup]` of a running instance. */
export function exportDocs(lnet: LNet, backup: boolean): PrintableDoc[] {
  return buildExport(lnet, {
    backup,
    routes: lnet.routes.list(),
    routing: routingInput(lnet.router),
    udsp: udspDocRules(lnet.core.udsp.list()),
    udspInfo: udspInfoSource(lnet),
  });
}
