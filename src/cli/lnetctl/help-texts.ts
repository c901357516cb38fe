/**
 * The help texts of lnetctl's command tables (lnetctl.c cmd_list, net_cmds, …), printed as
 * `<group> <command>: <help>` by `lnetctl <group>` alone, `--help` and bad options.
 */
export type HelpTable = readonly (readonly [name: string, help: string])[];

export const TOP_HELP: HelpTable = [
  ["lnet", "lnet {configure | unconfigure} [--all|--large]"],
  ["route", "route {add | del | show | help}"],
  ["net", "net {add | del | show | set | help}"],
  ["routing", "routing {show | help}"],
  ["set", "set {tiny_buffers | small_buffers | large_buffers | routing | numa_range | max_interfaces | discovery | drop_asym_route | retry_count | transaction_timeout | health_sensitivity | recovery_interval | router_sensitivity | response_tracking | recovery_limit}"],
  ["import", "import FILE.yaml"],
  ["export", "export FILE.yaml"],
  ["stats", "stats {show | help}"],
  ["debug", "debug {recovery {local | peer} | peer}"],
  ["global", "global {show | help}"],
  ["peer", "peer {add | del | show | list | set | help}"],
  ["ping", "ping nid,[nid,...]"],
  ["discover", "discover nid[,nid,...]"],
  ["service-id", "Calculate IB Lustre service ID\n"],
  ["udsp", "udsp {add | del | help}"],
  ["fault", "{drop | delay | help}"],
  ["setup-mrrouting", "setup linux routing tables\n"],
  ["setup-sysctl", "setup linux sysctl parameter for large systems\n"],
  ["cpt-of-nid", "Calculate the CPTs associated with NIDs\n usage:\n\tlnetctl cpt-of-nid nid[ nid ...]\n"],
];

export const LNET_HELP: HelpTable = [
  ["configure", "configure lnet\n\t--all: load NI configuration from module parameters\n\t--large: start LNet with large NIDs\n"],
  ["unconfigure", "unconfigure lnet\n"],
];

export const ROUTE_HELP: HelpTable = [
  ["add", "add a route\n\t--net: net name (e.g. tcp0)\n\t--gateway: gateway nid (e.g. 10.1.1.2@tcp)\n\t--hop|hop-count: number to final destination (1 <= hops <= 255)\n\t--priority: priority of route (0 - highest prio\n\t--health_sensitivity: gateway health sensitivity (>= 1)\n"],
  ["del", "delete a route\n\t--net: net name (e.g. tcp0)\n\t--gateway: gateway nid (e.g. 10.1.1.2@tcp)\n"],
  ["show", "show routes\n\t--net: net name (e.g. tcp0) to filter on\n\t--gateway: gateway nid (e.g. 10.1.1.2@tcp) to filter on\n\t--hop|hop-count: number to final destination (1 <= hops <= 255) to filter on\n\t--priority: priority of route (0 - highest prio to filter on\n\t--verbose: display detailed output per route\n"],
];

export const NET_HELP: HelpTable = [
  ["add", "add a network\n\t--net: net name (e.g. tcp0)\n\t--if: physical interface (e.g. eth0)\n\t--nid: bring up NI based on the address of the specified LNet NID\n\t--ip2net: specify networks based on IP address patterns\n\t--peer-timeout: time to wait before declaring a peer dead\n\t--peer-credits: define the max number of inflight messages\n\t--peer-buffer-credits: the number of buffer credits per peer\n\t--credits: Network Interface credits\n\t--cpt: CPU Partitions configured net uses (e.g. [0,1]\n\t--conns-per-peer: number of connections per peer\n\t--skip-mr-route-setup: do not add linux route for the ni\n\t--auth-key: Network authorization key (kfilnd only)\n\t--traffic-class: Traffic class (kfilnd only)\n\t--tos: IP's Type of Service\n"],
  ["del", "delete a network\n\t--net: net name (e.g. tcp0)\n\t--nid: shutdown NI based on the address of the specified LNet NID\n\t--if: physical interface (e.g. eth0)\n"],
  ["show", "show networks\n\t--net: net name (e.g. tcp0) to filter on\n\t--verbose: display detailed output per network. Optional argument of '2' outputs more stats\n"],
  ["set", "set local NI specific parameter\n\t--nid: NI NID to set the value on\n\t--net: network to set the value on (e.g. tcp, o2ib, kfi)\n\t--lnd-timeout: set LND timeout (seconds) for LND used by --net argument\n\t--health: specify health value to set\n\t--conns-per-peer: number of connections per peer\n\t--all: set all NIs value to the one specified\n"],
];

export const ROUTING_HELP: HelpTable = [
  ["show", "show routing information\n"],
];

export const STATS_HELP: HelpTable = [
  ["show", "show LNET statistics\n"],
  ["reset", "reset LNET statistics\n"],
];

export const DEBUG_HELP: HelpTable = [
  ["recovery", "list recovery queues\n\t--local : list local recovery queue\n\t--peer : list peer recovery queue\n"],
  ["peer", "show peer debug info\n\t--nid: peer's NID\n"],
  ["nidlist", "debug nidlist parsing\n"],
];

export const GLOBAL_HELP: HelpTable = [
  ["show", "show global variables\n"],
];

export const SET_HELP: HelpTable = [
  ["tiny_buffers", "set tiny routing buffers\n\tVALUE must be greater than 0\n"],
  ["small_buffers", "set small routing buffers\n\tVALUE must be greater than 0\n"],
  ["large_buffers", "set large routing buffers\n\tVALUE must be greater than 0\n"],
  ["routing", "enable/disable routing\n\t0 - disable routing\n\t1 - enable routing\n"],
  ["numa_range", "set NUMA range for NI selection\n\tVALUE must be at least 0\n"],
  ["max_interfaces", "set the default value for max interfaces\n\tValue must be greater than 16\n"],
  ["discovery", "enable/disable peer discovery\n\t0 - disable peer discovery\n\t1 - enable peer discovery (default)\n"],
  ["drop_asym_route", "drop/accept asymmetrical route messages\n\t0 - accept asymmetrical route messages (default)\n\t1 - drop asymmetrical route messages\n"],
  ["retry_count", "number of retries\n\t0 - turn of retries\n\t>0 - number of retries\n"],
  ["transaction_timeout", "Message/Response timeout\n\t>0 - timeout in seconds\n"],
  ["health_sensitivity", "sensitivity to failure\n\t0 - turn off health evaluation\n\t>0 - sensitivity value not more than 1000\n"],
  ["recovery_interval", "interval to ping in seconds (at least 1)\n\t>0 - time in seconds between pings\n"],
  ["router_sensitivity", "router sensitivity %\n\t100 - router interfaces need to be fully healthy to be used\n\t<100 - router interfaces can be used even if not healthy\n"],
  ["response_tracking", "Set the behavior of response tracking\n\t0 - Only LNet pings and discovery pushes utilize response tracking\n\t1 - GETs are eligible for response tracking\n\t2 - PUTs are eligible for response tracking\n\t3 - Both PUTs and GETs are eligible for response tracking (default)\n\tNote: Regardless of the value of the response_tracking parameter LNet\n\t      pings and discovery pushes always utilize response tracking\n"],
  ["recovery_limit", "Set how long LNet will attempt to recover unhealthy interfaces.\n\t0 - Recover indefinitely (default)\n\t>0 - Recover for the specified number of seconds.\n"],
  ["max_recovery_ping_interval", "maximum recovery ping interval\n\t>0 - maximum recovery ping interval in seconds\n"],
];

export const PEER_HELP: HelpTable = [
  ["add", "add a peer NID\n\t--prim_nid: Primary NID of the peer.\n\t--nid: one or more peer NIDs\n\t--non_mr: create this peer as not Multi-Rail capable\n\t--ip2nets: specify a range of nids per peer\n\t--lock_prim: lock primary nid\n"],
  ["del", "delete a peer NID\n\t--prim_nid: Primary NID of the peer.\n\t--nid: list of NIDs to remove. If none provided,\n\t       peer is deleted\n\t--ip2nets: specify a range of nids per peer\n\t--force: force-delete locked primary NID\n"],
  ["show", "show peer information\n\t--nid: NID of peer to filter on.\n\t--verbose: display detailed output per peer. Optional argument of '2' outputs more stats\n"],
  ["list", "list all peers\n"],
  ["set", "set peer ni specific parameter\n\t--nid: Peer NI NID to set the\n\t--health: specify health value to set\n\t--all: set all peer_nis values to the one specified\n\t--state: set peer state (DANGEROUS: for test/debug only)"],
];

export const UDSP_HELP: HelpTable = [
  ["add", "add a udsp\n\t--src nid|net: ip2nets syntax specifying the local NID or network to match.\n\t--dst nid:     ip2nets syntax specifying the remote NID to match.\n\t--rte nid:     ip2nets syntax specifying the router NID to match.\n\t--priority p:  Assign priority value p where p >= 0.\n\t               Note: 0 is the highest priority.\n\t--idx n:       Insert the rule in the n'th position on the list of rules.\n\t               By default, rules are appended to the end of the rule list.\n"],
  ["del", "delete a udsp\n\t--all:   Delete all rules.\n\t--idx n: Delete the rule at index n.\n"],
  ["show", "show udsps\n\t--idx n: Show the rule at at index n.\n\t         By default, all rules are shown.\n"],
];

export const FAULT_HELP: HelpTable = [
  ["drop", "Manage drop rules\nusage: lnetctl fault drop add [<options>] -r <rate>|-i <interval> -s <src> -d <dest>\n   or: lnetctl fault drop del -s <src> -d <dest>\n   or: lnetctl fault drop show\n   or: lnetctl fault drop reset\n"],
  ["delay", "Manage delay rules\nusage: lnetctl fault delay add [<options>] -r <rate>|-i <interval> -s <src> -d <dest>\n   or: lnetctl fault delay del -s <src> -d <dest>\n   or: lnetctl fault delay show\n   or: lnetctl fault delay reset\n"],
];

export const FAULT_DROP_HELP: HelpTable = [
  ["add", "add LNet drop rule\n\t--source nid:  Drop messages originating from <nid>.\n\t--dest nid:    Drop messages destined for <nid>.\n\t--rate r:      Drop messages at specified rate (1/<r>).\n\t--interval i:  Drop messages at specified time interval (seconds).\n\t--portal p:    Drop messages on specified portal.\n\t--message m:   Drop messages of specified type <PUT|ACK|GET|REPLY>.\n\t--health_error: Dropped messages simulate the specified health status\n\t                <local_timeout|remote_dropped|network_timeout|...>.\n"],
  ["del", "delete LNet drop rules\n\t--all:         Delete all drop rules\n\t--source nid:  Delete drop rule with specified source NID\n\t--dest nid:    Delete drop rule with specified destination NID\n"],
  ["reset", "reset counters for all drop rules\n"],
  ["show", "show drop rules\n"],
];

export const FAULT_DELAY_HELP: HelpTable = [
  ["add", "add LNet delay rule\n\t--source nid:  Delay messages originating from <nid>.\n\t--dest nid:    Delay messages destined for <nid>.\n\t--rate r:      Delay messages at specified rate (1/<r>).\n\t--interval i:  Delay messages at specified time interval (seconds).\n\t--portal p:    Delay messages on specified portal.\n\t--message m:   Delay messages of specified type <PUT|ACK|GET|REPLY>.\n\t--latency:     Delay sending a message (delay only).\n"],
  ["del", "delete LNet delay rules\n\t--all:         Delete all delay rules\n\t--source nid:  Delete delay rule with specified source NID\n\t--dest nid:    Delete delay rule with specified destination NID\n"],
  ["reset", "reset counters for all delay rules\n"],
  ["show", "show delay rules\n"],
];
