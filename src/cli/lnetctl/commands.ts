/** lnetctl's command tables: the top-level words and each group's subcommands. */
import type { Ctx } from './context.js';
import { discover, ping } from './cmd-ping.js';
import { exportCmd, importCmd } from './cmd-import.js';
import {
  cptOfNidCmd,
  debugNidlist,
  debugPeer,
  debugRecovery,
  faultDelay,
  faultDrop,
  noHostSetup,
  serviceId,
  udspAdd,
  udspDel,
  udspShow,
} from './cmd-misc.js';
import { lnetConfigure, lnetUnconfigure, netAdd, netDel, netSet, netShow } from './cmd-net.js';
import { peerAdd, peerDel, peerList, peerSet, peerShow } from './cmd-peer.js';
import { routeAdd, routeDel, routeShow, routingShow } from './cmd-route.js';
import { globalShow, SET_COMMANDS, statsReset, statsShow } from './cmd-set.js';
import {
  DEBUG_HELP,
  FAULT_HELP,
  GLOBAL_HELP,
  LNET_HELP,
  NET_HELP,
  PEER_HELP,
  ROUTE_HELP,
  ROUTING_HELP,
  SET_HELP,
  STATS_HELP,
  UDSP_HELP,
  type HelpTable,
} from './help-texts.js';

/** A command: its argv starts with its own name; it returns the C rc. */
export type Handler = (ctx: Ctx, argv: string[]) => Promise<number>;

export interface Group {
  help: HelpTable;
  commands: Record<string, Handler>;
}

export const GROUPS: Record<string, Group> = {
  lnet: { help: LNET_HELP, commands: { configure: lnetConfigure, unconfigure: lnetUnconfigure } },
  route: { help: ROUTE_HELP, commands: { add: routeAdd, del: routeDel, show: routeShow } },
  net: { help: NET_HELP, commands: { add: netAdd, del: netDel, show: netShow, set: netSet } },
  routing: { help: ROUTING_HELP, commands: { show: routingShow } },
  set: { help: SET_HELP, commands: SET_COMMANDS },
  stats: { help: STATS_HELP, commands: { show: statsShow, reset: statsReset } },
  debug: { help: DEBUG_HELP, commands: { recovery: debugRecovery, peer: debugPeer, nidlist: debugNidlist } },
  global: { help: GLOBAL_HELP, commands: { show: globalShow } },
  peer: { help: PEER_HELP, commands: { add: peerAdd, del: peerDel, show: peerShow, list: peerList, set: peerSet } },
  udsp: { help: UDSP_HELP, commands: { add: udspAdd, del: udspDel, show: udspShow } },
  fault: { help: FAULT_HELP, commands: { drop: faultDrop, delay: faultDelay } },
};

export const TOP_COMMANDS: Record<string, Handler> = {
  import: (ctx, argv) => importCmd(ctx, argv),
  export: exportCmd,
  ping,
  discover,
  'service-id': (ctx) => serviceId(ctx),
  'setup-mrrouting': () => noHostSetup(),
  'setup-sysctl': () => noHostSetup(),
  'cpt-of-nid': cptOfNidCmd,
};
