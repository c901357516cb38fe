// glibc's malloc gives the free memory at the top of its heap back to the kernel once it passes
// a trim threshold, and moves that threshold with the process's history. Node's reads allocate
// a 64 KiB buffer each, so raw Node TCP ran at ~1.0 GB/s in one build's benchmark processes and
// ~3.6 GB/s in another's, depending on what the LNet build beside it had allocated before (its
// memory kept the heap top in use, or not). A fixed trim threshold takes that history out, for
// raw and LNet alike: the baselines are raw TCP at its steady best.
import { spawnSync } from 'node:child_process';

/** The threshold set (1 GiB: nothing a benchmark frees is given back while it runs). */
export const TRIM_THRESHOLD = String(1 << 30);

/**
 * Run this script again with MALLOC_TRIM_THRESHOLD_ set, unless it is set already (children
 * forked from here inherit it); returns only in the process that has it.
 */
export function steadyMalloc() {
  if (process.env.MALLOC_TRIM_THRESHOLD_ !== undefined) return;
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, MALLOC_TRIM_THRESHOLD_: TRIM_THRESHOLD },
  });
  process.exit(r.status ?? 1);
}
