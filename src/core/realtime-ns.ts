/**
 * Wall-clock nanoseconds as u32 halves: what the kernel uses for the interface cookie and for
 * socklnd incarnations (ktime_get_real_ns). Start-up only, so BigInt is fine here.
 */
export function realtimeNs(): { lo: number; hi: number } {
  const ns = BigInt(Date.now()) * 1000000n + BigInt(process.hrtime()[1] % 1000000);
  return { lo: Number(ns & 0xffffffffn), hi: Number((ns >> 32n) & 0xffffffffn) };
}
