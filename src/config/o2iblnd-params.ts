/**
 * Every ko2iblnd.ko module parameter of 2.17.0 (lnet/klnds/o2iblnd/o2iblnd_modparams.c), with
 * the defaults /sys/module/ko2iblnd/parameters shows (recorded: interop/kernel-2.17.0/
 * 04-o2ib-rxe-A-o2ib-params.txt; the list is in wire.md (i)).
 */
import { need, setCharp, setInt, setTos, setUint, type TunableSpec } from './tunable-spec.js';
import { kstrtoint } from './kstrtox.js';

export interface O2iblndParams {
  readonly service: number;
  readonly cksum: number;
  readonly timeout: number;
  readonly nscheds: number;
  readonly conns_per_peer: number;
  readonly ntx: number;
  readonly credits: number;
  readonly peer_credits: number;
  readonly peer_credits_hiw: number;
  readonly peer_buffer_credits: number;
  readonly peer_timeout: number;
  readonly ipif_name: string;
  readonly retry_count: number;
  readonly rnr_retry_count: number;
  readonly keepalive: number;
  readonly ib_mtu: number;
  readonly concurrent_sends: number;
  readonly use_fastreg_gaps: number;
  readonly map_on_demand: number;
  readonly fmr_pool_size: number;
  readonly fmr_flush_trigger: number;
  readonly fmr_cache: number;
  readonly dev_failover: number;
  readonly require_privileged_port: number;
  readonly use_privileged_port: number;
  readonly wrq_sge: number;
  readonly tos: number;
}

/** The IB MTUs ib_mtu may name (0: use the port's). */
export const IB_MTUS: readonly number[] = [256, 512, 1024, 2048, 4096];

type Spec = TunableSpec<O2iblndParams>;
type Base = Omit<Spec, 'module' | 'set' | 'limits' | 'checkedAt'> & Partial<Pick<Spec, 'set' | 'limits' | 'checkedAt'>>;

function spec(s: Base): Spec {
  const set =
    s.set ?? (s.type === 'charp' ? setCharp<O2iblndParams>(s.name) : s.type === 'uint' ? setUint<O2iblndParams>(s.name) : setInt<O2iblndParams>(s.name));
  return { module: 'ko2iblnd', limits: '', checkedAt: 'set', ...s, set };
}

export const O2IBLND_TUNABLES: readonly Spec[] = [
  spec({ name: 'service', type: 'int', default: 987, writable: false, description: 'service number (within RDMA_PS_TCP)' }),
  spec({
    name: 'cksum',
    type: 'int',
    default: 0,
    writable: true,
    description: 'set non-zero to enable message (not RDMA) checksums',
  }),
  spec({ name: 'timeout', type: 'int', default: 50, writable: true, description: 'timeout (seconds)' }),
  spec({
    name: 'nscheds',
    type: 'int',
    default: 0,
    writable: false,
    description: 'number of threads in each scheduler pool',
    limits: '0 means estimated from the CPU count',
  }),
  spec({
    name: 'conns_per_peer',
    type: 'uint',
    default: 1,
    writable: false,
    description: 'number of connections per peer',
    limits: '0 means 1',
  }),
  spec({ name: 'ntx', type: 'int', default: 512, writable: false, description: '# of message descriptors allocated for each pool' }),
  spec({ name: 'credits', type: 'int', default: 256, writable: false, description: '# concurrent sends' }),
  spec({
    name: 'peer_credits',
    type: 'int',
    default: 8,
    writable: false,
    description: '# concurrent sends to 1 peer',
    limits: 'raised to 8, lowered to 255 and to credits when a net starts',
  }),
  spec({
    name: 'peer_credits_hiw',
    type: 'int',
    default: 0,
    writable: false,
    description: 'when eagerly to return credits',
    limits: 'brought into [peer_credits / 2, peer_credits - 1] when a net starts',
  }),
  spec({ name: 'peer_buffer_credits', type: 'int', default: 0, writable: false, description: '# per-peer router buffer credits' }),
  spec({
    name: 'peer_timeout',
    type: 'int',
    default: 180,
    writable: false,
    description: 'Seconds without aliveness news to declare peer dead (<=0 to disable)',
  }),
  spec({ name: 'ipif_name', type: 'charp', default: 'ib0', writable: false, description: 'IPoIB interface name' }),
  spec({
    name: 'retry_count',
    type: 'int',
    default: 5,
    writable: true,
    description: 'Number of times to retry connection operations',
  }),
  spec({ name: 'rnr_retry_count', type: 'int', default: 6, writable: true, description: 'RNR retransmissions' }),
  spec({
    name: 'keepalive',
    type: 'int',
    default: 100,
    writable: true,
    description: 'Idle time in seconds before sending a keepalive',
  }),
  spec({
    name: 'ib_mtu',
    type: 'int',
    default: 0,
    writable: false,
    description: 'IB MTU 256/512/1024/2048/4096',
    limits: '0 or one of 256, 512, 1024, 2048, 4096 (any other value fails net startup)',
    checkedAt: 'startup',
    set: (text, _c, fail) => {
      const v = Number(need(kstrtoint(text), 'an int', fail));
      if (v !== 0 && !IB_MTUS.includes(v)) fail(`invalid ib_mtu ${v}, expected 256/512/1024/2048/4096`);
      return { ib_mtu: v };
    },
  }),
  spec({
    name: 'concurrent_sends',
    type: 'int',
    default: 0,
    writable: false,
    description: 'send work-queue sizing',
    limits: '0 means peer_credits; brought into [peer_credits / 2, peer_credits * 2] when a net starts',
  }),
  spec({
    name: 'use_fastreg_gaps',
    type: 'int',
    default: 0,
    writable: false,
    description: 'Enable discontiguous fastreg fragment support. Expect performance drop',
  }),
  spec({
    name: 'map_on_demand',
    type: 'int',
    default: 1,
    writable: false,
    description: 'map on demand (obsolete)',
    limits: 'obsolete: 0 is treated as 1',
  }),
  spec({ name: 'fmr_pool_size', type: 'int', default: 512, writable: false, description: 'size of fmr pool on each CPT (>= ntx / 4)' }),
  spec({ name: 'fmr_flush_trigger', type: 'int', default: 384, writable: false, description: '# dirty FMRs that triggers pool flush' }),
  spec({ name: 'fmr_cache', type: 'int', default: 1, writable: false, description: 'non-zero to enable FMR caching' }),
  spec({
    name: 'dev_failover',
    type: 'int',
    default: 0,
    writable: false,
    description: 'HCA failover for bonding (0 off, 1 on, other values reserved)',
  }),
  spec({
    name: 'require_privileged_port',
    type: 'int',
    default: 0,
    writable: true,
    description: 'require privileged port when accepting connection',
  }),
  spec({
    name: 'use_privileged_port',
    type: 'int',
    default: 1,
    writable: true,
    description: 'use privileged port when initiating connection',
  }),
  spec({ name: 'wrq_sge', type: 'uint', default: 2, writable: false, description: '# scatter/gather element per work request' }),
  spec({
    name: 'tos',
    type: 'int',
    default: -1,
    writable: false,
    description: 'Set the type of service (=-1 to disable)',
    limits: '-1..255 (ERANGE otherwise)',
    set: setTos<O2iblndParams>(),
  }),
];

export const DEFAULT_O2IBLND_PARAMS: O2iblndParams = Object.freeze(
  Object.fromEntries(O2IBLND_TUNABLES.map((s) => [s.name, s.default])) as unknown as O2iblndParams,
);
