// A fixed JavaScript workload of the kind LNet's per-message code is (field stores and loads
// over a pool of objects), timed in CPU time. On this shared 2-vCPU VM the speed of such code
// drifts by up to 1.7x between quarter hours while the same build runs; timing this next to
// a measurement tells whether the machine or the build changed. Returns ns per object visit
// (~2.8 on a quiet machine here).
const pool = Array.from({ length: 1024 }, () => ({ a: 0, b: 0, c: null, d: 0, e: false, f: 0, g: null, h: 0 }));

export function calibrate(passes = 2000) {
  const c0 = process.cpuUsage();
  for (let k = 0; k < passes; k++) {
    for (const o of pool) {
      o.a = k;
      o.b = o.a + 1;
      o.c = o;
      o.d = o.b * 2;
      o.e = !o.e;
      o.f = o.d - k;
      o.g = null;
      o.h++;
    }
  }
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / (passes * pool.length);
}
