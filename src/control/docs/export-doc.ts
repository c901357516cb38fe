import { map, type DocEntry } from '../../cli/yaml/doc.js';
import { printable, type PrintableDoc } from '../../cli/yaml/output.js';
import { globalNode } from './global-show.js';
import type { RouteInput, RoutingInput, UdspInfoSource, UdspRuleInput } from './inputs.js';
import { buildNetShow, type LNetView } from './net-show.js';
import { buildPeerShow, type PeerShowOptions } from './peer-show.js';
import { buildRouteShow } from './route-show.js';
import { routingEntries } from './routing-show.js';
import { udspNode } from './udsp-show.js';

export interface ExportOptions {
  /** `export --backup` (NLM_F_DUMP_FILTERED): only what a reconfiguration needs. */
  backup?: boolean;
  routes?: readonly RouteInput[];
  routing?: RoutingInput;
  udsp?: readonly UdspRuleInput[];
  udspInfo?: UdspInfoSource;
  aliveness?: PeerShowOptions['aliveness'];
}

/**
 * `lnetctl export [--backup]` (jt_export, config.md §5.9): the netlink parts printed as they
 * come (net as `net show -v 3`, routes as `route show -v`, peers as `peer show -v 3`; the
 * filtered forms for --backup), then one cYAML tree with routing and buffers (only when router
 * pools exist), global and udsp (only when there are rules). Parts with nothing to show are
 * left out.
 */
export function buildExport(lnet: LNetView, opts: ExportOptions = {}): PrintableDoc[] {
  const backup = opts.backup ?? false;
  const routes = opts.routes ?? [];
  const parts: PrintableDoc[] = [];
  const net = buildNetShow(lnet, { verbose: backup ? 1 : 2, backup, udspInfo: opts.udspInfo });
  if (net) parts.push(net);
  const route = buildRouteShow(routes, { verbose: !backup, backup });
  if (route) parts.push(route);
  const peer = buildPeerShow(lnet, {
    verbose: backup ? 0 : 3,
    backup,
    routes,
    routingState: opts.routing?.state,
    aliveness: opts.aliveness,
    udspInfo: opts.udspInfo,
  });
  if (peer) parts.push(peer);
  const tail: DocEntry[] = [...routingEntries(opts.routing, backup), ['global', globalNode(lnet.core.params)]];
  const udsp = udspNode(opts.udsp ?? []);
  if (udsp) tail.push(['udsp', udsp]);
  parts.push(printable(map(tail), 'cyaml'));
  return parts;
}
