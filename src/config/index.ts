// The public configuration API. The kernel text primitives it is built on (kstrtox, ksscanf,
// text-bufs, bracket-expand) are internal: import them from their files.
export * from './config-error.js';
export * from './ip2nets.js';
export * from './lnet-params.js';
export * from './local-interfaces.js';
export * from './modparam-networks.js';
export * from './modprobe-dirs.js';
export * from './modprobe.js';
export * from './module-args.js';
export * from './networks.js';
export * from './o2iblnd-params.js';
export * from './routes.js';
export * from './socklnd-params.js';
export * from './tunable-spec.js';
export * from './tunables.js';
