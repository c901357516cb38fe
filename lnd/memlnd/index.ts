export { MemoryFabric, type MemoryFabricOptions } from './memlnd.js';
