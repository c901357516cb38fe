export * from './topology.js';
export * from './cpt-table.js';
export * from './cpt-of-nid.js';
