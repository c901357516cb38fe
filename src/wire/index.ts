export * from './lnet-msg-type.js';
export * from './wire-handle.js';
export * from './lnet-hdr.js';
