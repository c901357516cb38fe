import net, { type Socket } from 'node:net';

/** Where a connection's reads go: into a buffer it names (a payload's MD fragment), or a chunk. */
export interface ReadSink {
  /** The buffer the next read should land in, or undefined for a chunk of its own. */
  directBuffer(): Uint8Array | undefined;
  /** `n` bytes landed at the start of the buffer directBuffer gave last. */
  onDirect(n: number): void;
  /**
   * Bytes that arrived in a chunk of their own. With `lent` the chunk is the router's read
   * buffer, which the next read overwrites: the sink copies whatever of it it keeps past the
   * call; otherwise the sink keeps the chunk itself.
   */
  onChunk(chunk: Buffer, lent?: boolean): void;
  /** Handling a read threw: the sink must stop using the socket (it is closed). */
  onReadFailure(error: unknown): void;
}

/** The read buffer when no MD takes the bytes. */
const STAGING = 64 * 1024;

/**
 * Node's `onread` for one socket: libuv reads into the buffer we give it each time, so a
 * payload lands in its MD without the copy out of Node's read buffer (ksocknal_recvmsg reads
 * into the MD's fragments). Other reads land in one staging buffer, lent to the sink for the
 * call: the frames in it are handled in place and only a partial frame at its end is copied
 * out, so a stream of small messages costs no buffer per read (no allocation, no copy, and
 * the same memory read after read). Reads that come before the connection attaches are
 * copied and kept for it.
 */
export class ReadRouter {
  private sink: ReadSink | undefined;
  private readonly early: Buffer[] = [];
  private readonly staging = Buffer.allocUnsafeSlow(STAGING);
  /** The MD region handed out for the read in progress, if any. */
  private direct: Uint8Array | undefined;

  /** Node asks for the next read's buffer after each read (and once at the start). */
  readonly buffer = (): Uint8Array => {
    const d = this.sink?.directBuffer();
    this.direct = d;
    return d ?? this.staging;
  };

  readonly callback = (n: number, buf: Uint8Array): boolean => {
    // Nothing may escape to Node: it would skip asking for the next buffer, and the next read
    // would land in the one just handed over (a chunk the sink keeps, or a finished MD).
    try {
      if (buf === this.direct) {
        this.direct = undefined;
        this.sink!.onDirect(n);
        return true;
      }
      const chunk = this.staging.subarray(0, n);
      if (this.sink) this.sink.onChunk(chunk, true);
      else this.early.push(Buffer.from(chunk));
    } catch (e) {
      this.direct = undefined;
      this.sink?.onReadFailure(e);
    }
    return true;
  };

  attach(sink: ReadSink): void {
    this.sink = sink;
    for (const c of this.early.splice(0)) sink.onChunk(c);
  }
}

const routers = new WeakMap<Socket, ReadRouter>();

/** The router of a socket made here, if it has one (other sockets deliver 'data' events). */
export function readRouterOf(sock: Socket): ReadRouter | undefined {
  return routers.get(sock);
}

/** net.connect with its reads going through a ReadRouter. */
export function connectRouted(opts: net.TcpNetConnectOpts): Socket {
  const router = new ReadRouter();
  const sock = net.connect({ ...opts, onread: router });
  routers.set(sock, router);
  return sock;
}

/**
 * An accepted socket (from a server made with `pauseOnConnect`, so nothing was read yet) as a
 * socket whose reads go through a ReadRouter. Node takes `onread` only when it makes a socket,
 * so a new one is made on the accepted socket's handle (Node's internal `_handle`, as its
 * cluster module hands handles over); the old one is destroyed without its handle, which
 * drops it from the server's count. Without a handle to take, the socket is resumed as it is
 * and delivers 'data' events.
 */
export function adoptAccepted(sock: Socket): Socket {
  const handle = (sock as unknown as { _handle?: { useUserBuffer?: unknown } | null })._handle;
  if (!handle || typeof handle.useUserBuffer !== 'function') {
    sock.resume();
    return sock;
  }
  const router = new ReadRouter();
  (sock as unknown as { _handle: unknown })._handle = null;
  const adopted = new net.Socket({ handle, readable: true, writable: true, onread: router } as net.SocketConstructorOpts);
  routers.set(adopted, router);
  sock.destroy();
  return adopted;
}
