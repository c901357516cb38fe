// CPU placement for the two-process benchmarks: the client on CPU 0 and the server on CPU 1
// (taskset, every thread of each), as two hosts would each have their own. Unpinned, the
// scheduler moves the pair between one shared vCPU and two every few hundred ms.
import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** Pin this process to CPU 0 and `serverPid` to CPU 1; false when `off`, with one CPU, or without taskset. */
export function pinPair(serverPid, off = false) {
  if (off || os.availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
    execFileSync('taskset', ['-a', '-p', '-c', '1', String(serverPid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
