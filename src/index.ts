/** ulnet: userspace LNet. The package root re-exports the public API. */
export * from './errno.js';
export * from './errors.js';
export * from './nid/index.js';
export * from './wire/index.js';
export { LNet, Listener } from './lnet.js';
export type {
  LNetConfig,
  LNetNetConfig,
  LNetNiConfig,
  Target,
  PutOptions,
  PutResult,
  GetOptions,
  GetResult,
  ListenOptions,
  IncomingMessage,
} from './lnet.js';
export { AckReq, EventKind, InsPos, LNET_MD_THRESH_INF, MAX_PORTALS, MdOption, Unlink } from './core/constants.js';
export { LNetEvent, type EventHandler } from './core/event.js';
export { EventQueue } from './core/event-queue.js';
export type { MdHandle, MeHandle } from './core/handle.js';
export type { MdSpec } from './core/md.js';
export type { Lnd, LndCore } from './core/lnd.js';
export type { LNetMsg } from './core/msg.js';
export { NetworkInterface, type NiTunables } from './core/ni.js';
export { LNetCore, type CoreConfig, type NetConfig, type NiConfig, type LogFn } from './core/lnet-core.js';
export { DEFAULT_CORE_PARAMS, lndTimeout, type CoreParams } from './core/params.js';
export { LNetCounters, ElementStats, MsgTypeStats } from './core/counters.js';
export type { U64 } from './core/u64.js';
export { LoLnd } from '../lnd/lolnd/index.js';
export { MemoryFabric, type MemoryFabricOptions } from '../lnd/memlnd/index.js';
export { configFromModuleParams, type ModuleParamsSource } from './module-params-config.js';
export * as config from './config/index.js';
export * as cpt from './cpt/index.js';
export { SockLnd, type SockLndOptions, type SockLndStats } from '../lnd/socklnd/index.js';
export type { PingOptions, PingResult } from './ping.js';
