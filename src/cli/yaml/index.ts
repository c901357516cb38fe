export * from './doc.js';
export * from './libyaml-emitter.js';
export * from './cyaml-printer.js';
export * from './json.js';
export * from './output.js';
