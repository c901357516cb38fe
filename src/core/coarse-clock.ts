/**
 * performance.now() read at most once per synchronous run of JavaScript: the first caller
 * reads the clock and a microtask forgets the value. For deadlines measured in seconds
 * (transaction_timeout) being early by one run of JS is immaterial, and a burst of messages
 * then costs one clock read instead of one each (~45 ns per read on Node 20).
 */
let cached = 0;
let valid = false;
// A settled promise's then() is the cheapest way onto the microtask queue (Node's
// queueMicrotask adds an AsyncResource per call, ~2x the cost): this runs once per run of JS
// that reads the clock, e.g. once per ping.
const settled = Promise.resolve();

const forget = (): void => {
  valid = false;
};

export function coarseNow(): number {
  if (!valid) {
    cached = performance.now();
    valid = true;
    void settled.then(forget);
  }
  return cached;
}

/** coarseNow in whole seconds (a ktime_get_seconds() stamp taken per message, compared only with others). */
export function coarseSeconds(): number {
  return Math.floor(coarseNow() / 1000);
}
