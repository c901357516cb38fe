/**
 * Every ksocklnd.ko module parameter of 2.17.0 (lnet/klnds/socklnd/socklnd_modparams.c), with
 * the defaults /sys/module/ksocklnd/parameters shows (recorded: interop/kernel-2.17.0/
 * 02-ping-discover-A-module-params.txt).
 */
import { setInt, setTos, setUint, type TunableSpec } from './tunable-spec.js';

export interface SocklndParams {
  readonly sock_timeout: number;
  readonly credits: number;
  readonly peer_credits: number;
  readonly peer_buffer_credits: number;
  readonly peer_timeout: number;
  readonly nscheds: number;
  readonly nconnds: number;
  readonly nconnds_max: number;
  readonly min_reconnectms: number;
  readonly max_reconnectms: number;
  readonly eager_ack: number;
  readonly typed_conns: number;
  readonly min_bulk: number;
  readonly tx_buffer_size: number;
  readonly rx_buffer_size: number;
  readonly nagle: number;
  readonly round_robin: number;
  readonly keepalive: number;
  readonly keepalive_idle: number;
  readonly keepalive_count: number;
  readonly keepalive_intvl: number;
  readonly enable_csum: number;
  readonly inject_csum_error: number;
  readonly enable_irq_affinity: number;
  readonly nonblk_zcack: number;
  readonly zc_min_payload: number;
  readonly zc_recv: number;
  readonly zc_recv_min_nfrags: number;
  readonly conns_per_peer: number;
  readonly skip_mr_route_setup: number;
  readonly tos: number;
}

/** Parameters that exist only in debug or SOCKNAL_BACKOFF builds; a 2.17.0 build ignores them. */
export const SOCKLND_ABSENT_PARAMS: readonly string[] = ['protocol', 'backoff_init', 'backoff_max'];

type Spec = TunableSpec<SocklndParams>;
type Base = Omit<Spec, 'module' | 'set' | 'limits' | 'checkedAt'> & Partial<Pick<Spec, 'set' | 'limits' | 'checkedAt'>>;

function spec(s: Base): Spec {
  const set = s.set ?? (s.type === 'uint' ? setUint<SocklndParams>(s.name) : setInt<SocklndParams>(s.name));
  return { module: 'ksocklnd', limits: '', checkedAt: 'set', ...s, set };
}

export const SOCKLND_TUNABLES: readonly Spec[] = [
  spec({ name: 'sock_timeout', type: 'int', default: 50, writable: true, description: 'dead socket timeout (seconds)' }),
  spec({ name: 'credits', type: 'int', default: 256, writable: false, description: '# concurrent sends' }),
  spec({
    name: 'peer_credits',
    type: 'int',
    default: 8,
    writable: false,
    description: '# concurrent sends to 1 peer',
    limits: 'capped at credits when a net starts',
  }),
  spec({ name: 'peer_buffer_credits', type: 'int', default: 0, writable: false, description: '# per-peer router buffer credits' }),
  spec({
    name: 'peer_timeout',
    type: 'int',
    default: 180,
    writable: false,
    description: 'Seconds without aliveness news to declare peer dead (<=0 to disable)',
  }),
  spec({
    name: 'nscheds',
    type: 'int',
    default: 0,
    writable: false,
    description: '# scheduler daemons in each pool while starting',
    limits: '0 means estimated from the CPU count',
  }),
  spec({ name: 'nconnds', type: 'int', default: 4, writable: false, description: '# connection daemons while starting' }),
  spec({ name: 'nconnds_max', type: 'int', default: 64, writable: false, description: 'max # connection daemons' }),
  spec({ name: 'min_reconnectms', type: 'int', default: 1000, writable: true, description: 'min connection retry interval (mS)' }),
  spec({ name: 'max_reconnectms', type: 'int', default: 60000, writable: true, description: 'max connection retry interval (mS)' }),
  spec({ name: 'eager_ack', type: 'int', default: 0, writable: true, description: 'send tcp ack packets eagerly' }),
  spec({ name: 'typed_conns', type: 'int', default: 1, writable: false, description: 'use different sockets for bulk' }),
  spec({ name: 'min_bulk', type: 'int', default: 1024, writable: true, description: "smallest 'large' message" }),
  spec({
    name: 'tx_buffer_size',
    type: 'int',
    default: 0,
    writable: true,
    description: 'socket tx buffer size (0 for system default)',
  }),
  spec({
    name: 'rx_buffer_size',
    type: 'int',
    default: 0,
    writable: true,
    description: 'socket rx buffer size (0 for system default)',
  }),
  spec({ name: 'nagle', type: 'int', default: 0, writable: true, description: 'enable NAGLE?' }),
  spec({ name: 'round_robin', type: 'int', default: 1, writable: true, description: 'Round robin for multiple interfaces' }),
  spec({ name: 'keepalive', type: 'int', default: 30, writable: true, description: '# seconds before send keepalive' }),
  spec({ name: 'keepalive_idle', type: 'int', default: 30, writable: true, description: '# idle seconds before probe' }),
  spec({ name: 'keepalive_count', type: 'int', default: 5, writable: true, description: '# missed probes == dead' }),
  spec({ name: 'keepalive_intvl', type: 'int', default: 5, writable: true, description: 'seconds between probes' }),
  spec({ name: 'enable_csum', type: 'int', default: 0, writable: true, description: 'enable check sum' }),
  spec({
    name: 'inject_csum_error',
    type: 'int',
    default: 0,
    writable: true,
    description: 'set non-zero to inject a checksum error',
  }),
  spec({
    name: 'enable_irq_affinity',
    type: 'int',
    default: 0,
    writable: true,
    description: 'enable IRQ affinity',
    limits: 'removed feature: non-zero only draws a warning',
  }),
  spec({
    name: 'nonblk_zcack',
    type: 'int',
    default: 1,
    writable: true,
    description: 'always send ZC-ACK on non-blocking connection',
  }),
  spec({
    name: 'zc_min_payload',
    type: 'int',
    default: 16384,
    writable: true,
    description: 'minimum payload size to zero copy',
    limits: 'raised to 2048 when the module starts if lower',
  }),
  spec({ name: 'zc_recv', type: 'int', default: 0, writable: true, description: 'enable ZC recv for Chelsio driver' }),
  spec({
    name: 'zc_recv_min_nfrags',
    type: 'int',
    default: 16,
    writable: true,
    description: 'minimum # of fragments to enable ZC recv',
  }),
  spec({
    name: 'conns_per_peer',
    type: 'uint',
    default: 0,
    writable: true,
    description: 'number of connections per peer',
    limits: '0 means chosen from the link speed; above 255 draws a warning',
  }),
  spec({
    name: 'skip_mr_route_setup',
    type: 'uint',
    default: 0,
    writable: false,
    description: 'skip automatic setup of linux routes for MR',
  }),
  spec({
    name: 'tos',
    type: 'int',
    default: -1,
    writable: false,
    description: 'Set the type of service (=-1 to disable)',
    limits: '-1..255 (ERANGE otherwise)',
    set: setTos<SocklndParams>(),
  }),
];

export const DEFAULT_SOCKLND_PARAMS: SocklndParams = Object.freeze(
  Object.fromEntries(SOCKLND_TUNABLES.map((s) => [s.name, s.default])) as unknown as SocklndParams,
);
