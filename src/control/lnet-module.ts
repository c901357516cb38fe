/**
 * What lnetd holds: the kernel's lnet module, loaded. Starting lnetd is `modprobe lnet` with
 * its module parameters; `configure` is LNetNIInit (lnetctl lnet configure, lctl network up),
 * `unconfigure` is LNetNIFini. The module parameters and the sticky "skip module parameters"
 * flag (ln_nis_from_mod_params, set by a plain `lnetctl lnet configure`) outlive the LNet
 * instance, as they outlive it in the kernel until the module is unloaded.
 */
import { networkInterfaces } from 'node:os';
import { LNetError } from '../errors.js';
import { SockLnd } from '../../lnd/socklnd/index.js';
import { LNet, type LNetConfig } from '../lnet.js';
import type { LoadedModuleParams } from '../config/modprobe.js';
import { localInterfacesFromOs, type LocalInterface } from '../config/local-interfaces.js';
import { parseRouteList, planRoutes } from '../config/routes.js';
import { createCptTable, createCptTableByCount, type CptTable } from '../cpt/cpt-table.js';
import { hostTopology, uniformTopology } from '../cpt/topology.js';
import { DEFAULT_CORE_PARAMS, type CoreParams } from '../core/params.js';
import { coreParamsFromModuleParams, netsFromModuleParams } from '../module-params-config.js';
import { formatNet } from '../nid/net.js';
import { formatNid, parseNid } from '../nid/nid-string.js';
import { setGlobal, type GlobalName } from '../lnet-globals.js';
import type { Logger } from './log.js';
import { ControlError } from './protocol.js';

/** How a configure request treats the module-parameter networks and routes. */
export type ModParamsMode =
  /** `lnetctl lnet configure`: 0@lo only, and set the sticky skip flag (NLM_F_EXCL). */
  | 'skip'
  /** `lnetctl lnet configure --all`: load them (ulnet follows the seed and manual here, whatever the flag). */
  | 'load'
  /** `lctl network up`: load them unless a plain `lnet configure` set the sticky flag. */
  | 'unless-skipped';

export interface LNetModuleOptions {
  params: LoadedModuleParams;
  logger: Logger;
  /** The host's interfaces (default: os.networkInterfaces() at each configure). */
  interfaces?: () => LocalInterface[];
  /** CPT count (default: from cpu_npartitions/cpu_pattern over the host's topology). */
  ncpt?: number;
}

export class LNetModule {
  lnet: LNet | undefined;
  /** ln_nis_from_mod_params: despite the name, "do not load NIs from module parameters". */
  skipModParams = false;
  /** The lnet parameters while unconfigured (sysfs survives unconfigure); see liveParams. */
  readonly params: CoreParams;
  readonly ncpt: number;
  /** libcfs's cfs_cpt_tab (cpu_partition_table, cpu_partition_distance). */
  readonly cptTable: CptTable;
  private readonly o: LNetModuleOptions;
  private sockLnd: SockLnd | undefined;
  /** ln_api_mutex: configuration requests run one at a time. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(o: LNetModuleOptions) {
    this.o = o;
    this.params = { ...DEFAULT_CORE_PARAMS, ...stripUndefined(coreParamsFromModuleParams(o.params)) };
    this.cptTable = cptTableOf(o.params, o.ncpt);
    this.ncpt = this.cptTable.ncpt;
  }

  /** The parameters in force: the running instance's, or the module's while unconfigured. */
  get liveParams(): CoreParams {
    return this.lnet?.core.params ?? this.params;
  }

  get logger(): Logger {
    return this.o.logger;
  }

  get moduleParams(): LoadedModuleParams {
    return this.o.params;
  }

  get running(): boolean {
    return this.lnet !== undefined && this.lnet.core.state === 'running';
  }

  interfaces(): LocalInterface[] {
    return this.o.interfaces?.() ?? localInterfacesFromOs(networkInterfaces());
  }

  /** Run `fn` under the module's mutex. */
  serialize<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** The running instance, or ENETDOWN with the kernel's extack text. */
  requireLNet(descr = 'Network is down'): LNet {
    if (!this.lnet || this.lnet.core.state !== 'running') throw new ControlError('ENETDOWN', descr);
    return this.lnet;
  }

  /** lnet_configure: nothing to do when already configured (the sticky flag still sticks). */
  async configure(mode: ModParamsMode, large = false): Promise<void> {
    if (mode === 'skip') this.skipModParams = true;
    void large; // large NIDs need no setup here: the socklnd handles IPv6 NIDs as they come
    if (this.lnet) return;
    const loadParams = mode === 'load' || (mode === 'unless-skipped' && !this.skipModParams);
    const p = this.o.params;
    const lnd = new SockLnd({
      acceptPort: p.lnet.accept_port,
      // The kernel's accept_port_bulk defaults to 988 on its own; lnetd has bulk connections
      // follow accept_port unless accept_port_bulk is set, so one port serves a test node.
      acceptPortBulk: p.set.lnet.has('accept_port_bulk') ? p.lnet.accept_port_bulk : p.lnet.accept_port,
      accept: p.lnet.accept,
      acceptBacklog: p.lnet.accept_backlog,
      acceptTimeout: p.lnet.accept_timeout,
      params: p.ksocklnd,
    });
    const config: LNetConfig = {
      ncpt: this.ncpt,
      params: this.params,
      lnds: { tcp: lnd },
      log: this.o.logger.log,
      router: {
        tiny_router_buffers: p.lnet.tiny_router_buffers,
        small_router_buffers: p.lnet.small_router_buffers,
        large_router_buffers: p.lnet.large_router_buffers,
        forwarding: loadParams ? p.lnet.forwarding : 'disabled',
        settleSeconds: p.lnet.alive_router_check_interval + p.lnet.router_ping_timeout,
      },
      routes: { startDown: p.lnet.check_routers_before_use !== 0, hashSize: p.lnet.rnet_htable_size },
    };
    let routes: ReturnType<typeof parseRouteList> = [];
    if (loadParams) {
      try {
        config.nets = netsFromModuleParams(p, this.interfaces(), this.ncpt);
        if (p.lnet.routes !== '') routes = parseRouteList(p.lnet.routes);
      } catch (e) {
        throw asConfigureError(e);
      }
    }
    let lnet: LNet;
    try {
      // The gateway check needs our NIDs: plan with the NIDs the networks will have.
      const localNids = (config.nets ?? []).flatMap((n) => n.nis.flatMap((ni) => (ni.nid ? [parseNid(ni.nid)] : [])));
      const plan = planRoutes(routes, localNids);
      config.imARouter = plan.imARouter;
      lnet = await LNet.start(config);
      for (const r of plan.routes) lnet.addRoute(formatNet(r.net), r.gateway, r.hops, r.priority);
      for (const s of plan.skipped)
        this.o.logger.info('route from module parameters skipped', { net: formatNet(s.route.net), gateway: formatNid(s.route.gateway), reason: s.reason });
    } catch (e) {
      throw asConfigureError(e);
    }
    this.lnet = lnet;
    this.sockLnd = lnd;
    this.o.logger.info('LNet configured', { nids: lnet.nids().map(formatNid), moduleParams: loadParams });
  }

  /** lnet_unconfigure: LNetNIFini when configured; a no-op otherwise. */
  async unconfigure(): Promise<void> {
    const lnet = this.lnet;
    if (!lnet) return;
    this.lnet = undefined;
    this.sockLnd = undefined;
    // What `set` changed while running stays, as sysfs values outlive LNetNIFini.
    Object.assign(this.params, lnet.core.params);
    await lnet.shutdown();
    this.o.logger.info('LNet unconfigured');
  }

  get socklnd(): SockLnd | undefined {
    return this.sockLnd;
  }

  /** `lnetctl set`: the module parameter (and so the running instance, which shares it). */
  setGlobal(name: GlobalName, value: number): GlobalName[] {
    if (this.lnet) return this.lnet.setGlobal(name, value);
    return setGlobal(this.params, name, value);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The CPT table libcfs would build from cpu_npartitions and cpu_pattern on this host, or with
 * `ncpt` partitions when lnetd was told a count. A table libcfs could not build (a bad
 * pattern) falls back to one partition, as lnetd still starts.
 */
function cptTableOf(p: LoadedModuleParams, ncpt: number | undefined): CptTable {
  const topo = hostTopology();
  if (ncpt === undefined) {
    try {
      return createCptTable({ cpuNpartitions: p.lnet.cpu_npartitions, cpuPattern: p.lnet.cpu_pattern }, topo);
    } catch {
      return createCptTableByCount(1, topo);
    }
  }
  try {
    return createCptTableByCount(ncpt, topo);
  } catch {
    // More partitions than this host has CPUs: lay them out over as many virtual CPUs.
    return createCptTableByCount(ncpt, uniformTopology(ncpt));
  }
}

/** A failed LNetNIInit as `lnet configure` reports it. */
function asConfigureError(e: unknown): ControlError {
  if (e instanceof ControlError) return e;
  if (e instanceof LNetError) return new ControlError(e.code, e.message.replace(/^[A-Z0-9]+: /, ''));
  return new ControlError('EIO', e instanceof Error ? e.message : String(e));
}
