// The PUT loop of the socklnd benchmarks (PUTs kept `window` in flight from one LNet instance)
// and the sink they land in.
// The build under test: ../dist, or DIST=<dist dir> as the A/B benchmarks take it.
const dist = process.env.DIST ?? new URL('../dist', import.meta.url).pathname;
const { AckReq, EventKind, LNET_ANY_NID, LNET_MD_THRESH_INF, LNET_PID_ANY, MdOption, Unlink } = await import(dist + '/src/index.js');

/**
 * n PUTs, `window` in flight, each a real LNetPut of its own bound MD (SEND event, unlink,
 * a PUT event at the target); with `shared`, every PUT's source is one MD bound once with
 * threshold LNET_MD_THRESH_INF (a SEND event per PUT, no bind or unlink per message).
 * Completed slots are refilled from one microtask per burst of completions rather than one
 * per message: Node's queueMicrotask allocates an AsyncResource per call, which cost the
 * harness about as much as a quarter of LNet's own work per message.
 */
export function lnetPuts(node, target, n, size, window = 64, shared = false) {
  const payload = new Uint8Array(size);
  let issued = 0;
  let done = 0;
  let scheduled = false;
  return new Promise((resolve) => {
    const refill = () => {
      scheduled = false;
      while (issued < n && issued - done < window) issue();
    };
    const completed = () => {
      done++;
      if (done === n) return resolve();
      if (!scheduled && issued < n) {
        scheduled = true;
        queueMicrotask(refill);
      }
    };
    const handler = (ev) => {
      if (ev.unlinked) completed();
    };
    let one;
    const issue = shared
      ? () => {
          issued++;
          node.put(undefined, one, AckReq.NOACK, target, 30, 0n);
        }
      : () => {
          issued++;
          const md = node.mdBind({ start: payload, threshold: 1, handler }, Unlink.UNLINK);
          node.put(undefined, md, AckReq.NOACK, target, 30, 0n);
        };
    if (shared) {
      const onSend = (ev) => {
        if (ev.type !== EventKind.SEND) return;
        if (done + 1 === n) node.mdUnlink(one);
        completed();
      };
      one = node.mdBind({ start: payload, threshold: LNET_MD_THRESH_INF, handler: onSend }, Unlink.UNLINK);
    }
    refill();
  });
}

/**
 * The benchmarks' PUT sink on portal 30: one 1 MiB MD for any sender, MANAGE_REMOTE|TRUNCATE,
 * no ACKs; `onPut` runs for each PUT event.
 */
export function attachPutSink(node, onPut) {
  const me = node.meAttach(30, { nid: LNET_ANY_NID, pid: LNET_PID_ANY }, 0n, 0n);
  node.mdAttach(me, {
    start: new Uint8Array(1 << 20),
    threshold: LNET_MD_THRESH_INF,
    options: MdOption.OP_PUT | MdOption.MANAGE_REMOTE | MdOption.TRUNCATE | MdOption.ACK_DISABLE,
    handler: (ev) => {
      if (ev.type === EventKind.PUT) onPut();
    },
  });
}
