/**
 * Test helper: where the kernel 2.17.0 recordings live (`/work/shared/interop/kernel-2.17.0`
 * beside the repository), overridable with ULNET_INTEROP_DIR. Tests skip when absent.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const fromEnv = process.env.ULNET_INTEROP_DIR;
export const INTEROP_DIR: URL = fromEnv
  ? pathToFileURL(fromEnv.endsWith('/') ? fromEnv : `${fromEnv}/`)
  : new URL('../../../shared/interop/kernel-2.17.0/', import.meta.url);

export const interopFile = (name: string): URL => new URL(name, INTEROP_DIR);
export const haveInterop = existsSync(interopFile('README.md'));
