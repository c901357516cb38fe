export * from './lnd-type.js';
export * from './net.js';
export * from './nid.js';
export * from './nid4.js';
export * from './nid-bytes.js';
export * from './nid-string.js';
export * from './process-id.js';
