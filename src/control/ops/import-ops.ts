/** `lnetctl import`: placeholder until the import document parser lands. */
import type { OpRegistry } from './registry.js';

export function registerImportOps(_r: OpRegistry): void {}
