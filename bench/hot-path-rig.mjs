// The rig of bench/hot-path.mjs and bench/hot-path-ab.mjs: a client and a server LNet instance
// of one build, in this process, joined by real sockets; after real traffic, the client's
// connection writes into a stub and the server's is fed captured frames, so a round measures
// the JavaScript cost per 0 B PUT at one end without the kernel.
import { attachPutSink, lnetPuts } from './put-window.mjs';

const until = async (cond) => { while (!cond()) await new Promise((r) => setTimeout(r, 5)); };

/**
 * Start the pair of `dist` (a build directory) on addresses `server` and `client`, port `port`.
 * `shared`: every PUT of a round from one MD of threshold ∞ (else an MD bound per PUT). `warm`
 * real PUTs first, and with `pollute` ('b' 1 MiB PUTs, 'p' pings) the traffic the socklnd
 * bench runs before its 0 B phase; then one unmeasured round of `firstRound` messages each way.
 * Returns { txRound(n), rxRound(n) }, each resolving to the CPU ns per message of one round.
 */
export async function hotPathRig({ dist, port, server: SERVER = '127.0.0.3', client: CLIENT = '127.0.0.2', shared = false, warm = 100000, pollute = '', firstRound = 64000 }) {
  const { LNet } = await import(dist + '/src/index.js');
  const { SockLnd } = await import(dist + '/lnd/socklnd/index.js');
  const tun = { peer_credits: 64, credits: 1024 };
  const server = await LNet.start({ nets: [{ net: 'tcp', lnd: new SockLnd({ acceptPort: port, accept: 'all', params: { peer_credits: 64 } }), nis: [{ nid: `${SERVER}@tcp` }], tunables: tun }] });
  const client = await LNet.start({ nets: [{ net: 'tcp', lnd: new SockLnd({ acceptPort: port, params: { peer_credits: 64 } }), nis: [{ nid: `${CLIENT}@tcp` }], tunables: tun }] });
  let puts = 0;
  attachPutSink(server, () => puts++);
  const target = client.parseTarget(`12345-${SERVER}@tcp`);
  const putLoop = (count, size = 0) => lnetPuts(client, target, count, size, 64, shared && size === 0 && count > 1000);
  // Real traffic first, received for real.
  puts = 0; await putLoop(warm); await until(() => puts === warm);
  if (pollute.includes('b')) { puts = 0; await putLoop(50, 1 << 20); await until(() => puts === 50); }
  if (pollute.includes('p')) { const sink = new Uint8Array(4096); for (let i = 0; i < 3000; i++) await client.getAsync({ target, portal: 0, matchBits: 0x8000000000000000n, sink }); }

  const connsOf = (node, nid) => [...node.nis.find((ni) => ni.lndData)?.lndData.peers.values()].filter((p) => p.nid && String(p.address) === nid).flatMap((p) => p.conns);
  const cconns = connsOf(client, SERVER), sconns = connsOf(server, CLIENT);
  // Stub the client's writes; the first 64 frames written are kept as the receive chunk.
  let chunk;
  for (const c of cconns) {
    const s = c.sock;
    s.cork = () => {}; s.uncork = () => {};
    s.write = (buf, cb) => {
      if (!chunk && buf.length === 64 * 96) chunk = Buffer.from(buf);
      if (cb) process.nextTick(cb);
      return true;
    };
  }
  const txRound = async (n) => { const c0 = process.cpuUsage(); await putLoop(n); const c = process.cpuUsage(c0); return ((c.user + c.system) * 1000) / n; };
  await txRound(firstRound);
  if (!chunk) throw new Error('no 64-frame write seen');
  // The server connection that received the PUTs (CONTROL from the client's side).
  const rxConn = sconns.find((c) => c.rxState === 'header') ?? sconns[0];
  const rxRound = async (n) => {
    puts = 0;
    const c0 = process.cpuUsage();
    for (let i = 0; i < n / 64; i++) {
      rxConn.onChunk(chunk);
      if ((i & 1) === 1) await new Promise(setImmediate);
    }
    const c = process.cpuUsage(c0);
    if (puts !== n) throw new Error(`rx: ${puts} PUT events for ${n} frames`);
    return ((c.user + c.system) * 1000) / n;
  };
  await rxRound(firstRound);
  return { txRound, rxRound };
}

export const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
