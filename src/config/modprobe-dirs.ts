/**
 * Which modprobe.d files kmod reads, and in what order (libkmod-config.c kmod_config_new,
 * conf_files_filter_out, conf_files_insert_sorted): every `*.conf` (or `*.alias`) file of the
 * configuration directories, not starting with '.', sorted by file name across directories;
 * when two directories hold the same name, only the one in the earlier directory is read.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigSource } from './modprobe.js';

/** kmod's default configuration directories, highest priority first. */
export const MODPROBE_DIRS: readonly string[] = ['/etc/modprobe.d', '/run/modprobe.d', '/usr/local/lib/modprobe.d', '/lib/modprobe.d'];

const wanted = (name: string): boolean => !name.startsWith('.') && (name.endsWith('.conf') || name.endsWith('.alias')) && name.length >= 6;

/** Read the files kmod would read from `dirs`, in kmod's order. Missing directories are skipped. */
export async function readModprobeDirs(dirs: readonly string[] = MODPROBE_DIRS): Promise<ConfigSource[]> {
  const chosen = new Map<string, string>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!wanted(name) || chosen.has(name)) continue;
      const path = join(dir, name);
      const st = await stat(path).catch(() => undefined);
      if (!st || st.isDirectory()) continue;
      chosen.set(name, path);
    }
  }
  const sorted = [...chosen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Promise.all(sorted.map(async ([, path]) => ({ file: path, text: await readFile(path, 'utf8') })));
}
