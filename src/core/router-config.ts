/**
 * Routing enable state and router buffer pools as lnetctl sees them (lnet/lnet/router.c
 * lnet_rtrpools_alloc/enable/disable/adjust, lnet_get_rtr_pool_cfg). ulnet does not forward
 * yet, so the pools hold no memory: they are the numbers `routing show`, `export` and
 * `set *_buffers` deal in, with the kernel's state machine around them.
 */
import { LNetError } from '../errors.js';
import { LNET_MTU } from '../wire/lnet-hdr.js';

/** ln_routing values; `routing show` prints them raw as `enable:`. */
export enum RoutingState {
  DISABLED = 0,
  ENABLED = 1,
  STOPPING = 2,
  STARTING = 3,
}

const PAGE_SIZE = 4096;
export const LNET_NRB_TINY_MIN = 512;
export const LNET_NRB_TINY = LNET_NRB_TINY_MIN * 4;
export const LNET_NRB_SMALL_MIN = 4096;
export const LNET_NRB_SMALL = LNET_NRB_SMALL_MIN * 4;
export const LNET_NRB_SMALL_PAGES = 1;
export const LNET_NRB_LARGE_MIN = 256;
export const LNET_NRB_LARGE = LNET_NRB_LARGE_MIN * 4;
export const LNET_NRB_LARGE_PAGES = Math.ceil(LNET_MTU / PAGE_SIZE);

/** One router buffer pool of one CPT (`struct lnet_rtrbufpool`, as lnet_ioctl_pool_cfg shows it). */
export interface RtrBufPool {
  npages: number;
  nbuffers: number;
  credits: number;
  mincredits: number;
}

export interface RouterBufferParams {
  tiny_router_buffers: number;
  small_router_buffers: number;
  large_router_buffers: number;
  /** '' (router only if a local gateway appears in routes=), 'enabled' or 'disabled'. */
  forwarding: string;
  /** alive_router_check_interval + router_ping_timeout: seconds before STARTING becomes ENABLED. */
  settleSeconds: number;
}

export const DEFAULT_ROUTER_BUFFER_PARAMS: RouterBufferParams = {
  tiny_router_buffers: 0,
  small_router_buffers: 0,
  large_router_buffers: 0,
  forwarding: '',
  settleSeconds: 60 + 50,
};

type PoolKind = 'tiny' | 'small' | 'large';
const KINDS: readonly PoolKind[] = ['tiny', 'small', 'large'];

/** The routing state of one LNet instance and its (never allocated) buffer pools. */
export class RouterConfig {
  state = RoutingState.DISABLED;
  /** Per CPT: [tiny, small, large]; undefined until routing is first enabled (ln_rtrpools NULL). */
  pools: RtrBufPool[][] | undefined;
  private readonly params: RouterBufferParams;
  private timer: NodeJS.Timeout | undefined;
  /** Told when the state changes (the ping buffer's RTE_DISABLED feature follows it). */
  onStateChange: ((s: RoutingState) => void) | undefined;

  constructor(
    private readonly ncpt: number,
    params: Partial<RouterBufferParams> = {},
  ) {
    this.params = { ...DEFAULT_ROUTER_BUFFER_PARAMS, ...params };
  }

  /** lnet_nrb_*_calculate: buffers per CPT for a pool (at least 1). */
  private perCpt(kind: PoolKind): number {
    const p = this.params;
    const [configured, dflt] =
      kind === 'tiny'
        ? [p.tiny_router_buffers, LNET_NRB_TINY]
        : kind === 'small'
          ? [p.small_router_buffers, LNET_NRB_SMALL]
          : [p.large_router_buffers, LNET_NRB_LARGE];
    if (configured < 0) throw new LNetError('EINVAL', `${kind}_router_buffers=${configured} invalid when routing enabled`);
    const n = configured > 0 ? configured : dflt;
    return Math.max(Math.floor(n / this.ncpt), 1);
  }

  private npages(kind: PoolKind): number {
    return kind === 'tiny' ? 0 : kind === 'small' ? LNET_NRB_SMALL_PAGES : LNET_NRB_LARGE_PAGES;
  }

  private setPool(kind: PoolKind): void {
    const n = this.perCpt(kind);
    const i = KINDS.indexOf(kind);
    for (const cpt of this.pools!) cpt[i] = { npages: this.npages(kind), nbuffers: n, credits: n, mincredits: n };
  }

  /**
   * lnet_rtrpools_alloc at startup: allocate pools (ENABLED at once) when `forwarding=enabled`,
   * or when unset and this node is a gateway in routes= (`imARouter`).
   */
  startup(imARouter: boolean): void {
    const f = this.params.forwarding;
    if (f === 'disabled' || (f === '' && !imARouter)) return;
    if (f !== '' && f !== 'enabled') throw new LNetError('EINVAL', `forwarding='${f}' not set to either 'enabled' or 'disabled'`);
    this.allocate();
    this.setState(RoutingState.ENABLED);
  }

  private allocate(): void {
    this.pools = Array.from({ length: this.ncpt }, () => KINDS.map(() => ({ npages: 0, nbuffers: 0, credits: 0, mincredits: 0 })));
    for (const k of KINDS) this.setPool(k);
  }

  /** `lnetctl set routing 1` (lnet_rtrpools_enable): STARTING, ENABLED after the settle time. */
  enable(): void {
    if (this.state === RoutingState.ENABLED || this.state === RoutingState.STARTING) return;
    if (this.state === RoutingState.STOPPING) throw new LNetError('EBUSY', 'Cannot enable routing while it is being stopped');
    if (!this.pools) this.allocate();
    else for (const k of KINDS) this.setPool(k);
    this.setState(RoutingState.STARTING);
    this.settle(RoutingState.ENABLED);
  }

  /** `lnetctl set routing 0` (lnet_rtrpools_disable): STOPPING, DISABLED once the (idle) buffers are freed. */
  disable(): void {
    if (this.state === RoutingState.DISABLED) return;
    this.params.tiny_router_buffers = 0;
    this.params.small_router_buffers = 0;
    this.params.large_router_buffers = 0;
    this.setState(RoutingState.STOPPING);
    this.settle(RoutingState.DISABLED);
  }

  /** `lnetctl set tiny_buffers|small_buffers|large_buffers N` (lnet_rtrpools_adjust): no effect while disabled. */
  adjust(sizes: Partial<Record<PoolKind, number>>): void {
    if (this.state === RoutingState.DISABLED || !this.pools) return;
    for (const k of KINDS) {
      const v = sizes[k];
      if (v === undefined || v < 0) continue;
      this.params[`${k}_router_buffers`] = v;
      this.setPool(k);
    }
  }

  /** The totals over CPTs (`buffers:` in routing show and export). */
  totals(): { tiny: number; small: number; large: number } {
    const sum = (i: number): number => (this.pools ?? []).reduce((n, cpt) => n + cpt[i]!.nbuffers, 0);
    return { tiny: sum(0), small: sum(1), large: sum(2) };
  }

  get routingEnabled(): boolean {
    return this.state !== RoutingState.DISABLED;
  }

  /** Stop the settle timer (LNet shutdown). */
  shutdown(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.state = RoutingState.DISABLED;
    this.pools = undefined;
  }

  private setState(s: RoutingState): void {
    this.state = s;
    this.onStateChange?.(s);
  }

  /** The router checker moves STARTING/STOPPING on after alive_router_check_interval + router_ping_timeout. */
  private settle(to: RoutingState): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (to === RoutingState.DISABLED && this.pools) for (const cpt of this.pools) for (const p of cpt) p.nbuffers = p.credits = p.mincredits = 0;
      this.setState(to);
    }, this.params.settleSeconds * 1000);
    this.timer.unref();
  }
}
