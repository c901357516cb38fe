import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Errno } from '../../src/errno.js';

/**
 * lnd/socklnd/native: integer socket options by file descriptor, for what Node's net.Socket
 * cannot set. Built at install by node-gyp; a machine without a C compiler runs without it.
 */
export interface SockoptAddon {
  /** 0 or −errno. */
  setIntOpt(fd: number, level: number, name: number, value: number): number;
  /** [0, value] or [−errno, 0]. */
  getIntOpt(fd: number, level: number, name: number): [number, number];
  /** This platform's numbers; −1 where it has no such option. */
  readonly constants: Readonly<Record<SockoptName, number>>;
}

export type SockoptName =
  | 'SOL_SOCKET'
  | 'IPPROTO_IP'
  | 'IPPROTO_TCP'
  | 'SO_KEEPALIVE'
  | 'SO_SNDBUF'
  | 'SO_RCVBUF'
  | 'SO_SNDBUFFORCE'
  | 'SO_RCVBUFFORCE'
  | 'IP_TOS'
  | 'TCP_NODELAY'
  | 'TCP_KEEPIDLE'
  | 'TCP_KEEPINTVL'
  | 'TCP_KEEPCNT'
  | 'TCP_LINGER2';

const ADDON_FILE = 'native/build/Release/ulnet_sockopt.node';

/** The addon beside this module's source, whether this runs from lnd/ (tests) or dist/lnd/. */
function loadAddon(): SockoptAddon | null {
  // ULNET_NO_ADDON=1: run as a machine that could not build it does.
  if (addonDisabled()) return null;
  const here = new URL('.', import.meta.url);
  for (const rel of [ADDON_FILE, `../../../lnd/socklnd/${ADDON_FILE}`]) {
    const file = fileURLToPath(new URL(rel, here));
    if (!existsSync(file)) continue;
    try {
      return createRequire(import.meta.url)(file) as SockoptAddon;
    } catch {
      // Built for another Node ABI or platform: try the other place, else run without it.
    }
  }
  return null;
}

/** ULNET_NO_ADDON set to anything but empty or 0. */
export function addonDisabled(): boolean {
  const v = process.env.ULNET_NO_ADDON;
  return v !== undefined && v !== '' && v !== '0';
}

export const sockoptAddon: SockoptAddon | null = loadAddon();

/** The kernel file descriptor behind a connected Node socket (Node's internal handle), or −1. */
export function socketFd(sock: Socket): number {
  const fd = (sock as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' ? fd : -1;
}

/** What ksocknal_lib_setup_sock reads: the module parameters and the NI's tos. */
export interface SockSetup {
  readonly nagle: number;
  readonly tx_buffer_size: number;
  readonly rx_buffer_size: number;
  readonly keepalive_idle: number;
  readonly keepalive_count: number;
  readonly keepalive_intvl: number;
  /** The NI's lnd tunable, else the module parameter; −1 leaves it unset. */
  readonly tos: number;
}

export type SockSetupResult =
  | { rc: 0; unapplied: readonly string[] }
  | { rc: number; failed: string; unapplied: readonly string[] };

/**
 * ksocknal_lib_setup_sock, for an established connection, in the kernel's order: no FIN_WAIT2
 * linger, TCP_NODELAY unless `nagle`, the buffer sizes when set, keepalive (on only when idle,
 * count and interval are all positive), and then, only with keepalive on (the kernel returns
 * before it otherwise), IP_TOS when `tos` ≥ 0. A refused option fails the connection, as the
 * kernel's does; `failed` names it. `unapplied` lists what could not be set as asked: without
 * the addon, what Node cannot set (nagle and the keepalive switch and idle time it can); with
 * it, a buffer size the system capped (unprivileged: net.core.wmem_max/rmem_max).
 */
export function setupSock(sock: Socket, s: SockSetup, addon: SockoptAddon | null = sockoptAddon): SockSetupResult {
  const doKeepalive = s.keepalive_idle > 0 && s.keepalive_count > 0 && s.keepalive_intvl > 0;
  if (!addon) {
    if (!s.nagle) sock.setNoDelay(true);
    const unapplied: string[] = [];
    if (s.tx_buffer_size !== 0) unapplied.push('tx_buffer_size');
    if (s.rx_buffer_size !== 0) unapplied.push('rx_buffer_size');
    if (doKeepalive) unapplied.push('keepalive_count', 'keepalive_intvl');
    if (doKeepalive && s.tos >= 0) unapplied.push('tos');
    sock.setKeepAlive(doKeepalive, doKeepalive ? s.keepalive_idle * 1000 : 0);
    return { rc: 0, unapplied };
  }
  const fail = (rc: number, failed: string): SockSetupResult => ({ rc, failed, unapplied: [] });
  const fd = socketFd(sock);
  if (fd < 0) return fail(-Errno.EBADF, 'socket (already closed)');
  const c = addon.constants;
  const set = (level: number, name: number, value: number): number => (name < 0 ? 0 : addon.setIntOpt(fd, level, name, value));
  // tp->linger2 = -1: a closed connection does not wait in FIN_WAIT2.
  let rc = set(c.IPPROTO_TCP, c.TCP_LINGER2, -1);
  if (rc < 0) return fail(rc, 'TCP_LINGER2');
  if (!s.nagle) sock.setNoDelay(true);
  const unapplied: string[] = [];
  // lnet_sock_setbuf sets the size itself; setsockopt doubles what it is given, so half.
  if (s.tx_buffer_size !== 0) {
    rc = setBuf(addon, fd, c.SO_SNDBUFFORCE, c.SO_SNDBUF, s.tx_buffer_size);
    if (rc < 0) return fail(rc, 'SO_SNDBUF');
    if (rc < s.tx_buffer_size) unapplied.push(`tx_buffer_size (capped at ${rc})`);
  }
  // (2.17.0's lnet_sock_setbuf stores rx_buffer_size into the send buffer and locks the
  // receive buffer at its default, fixed after 2.17 by LU-20082; this is the fixed behaviour.)
  if (s.rx_buffer_size !== 0) {
    rc = setBuf(addon, fd, c.SO_RCVBUFFORCE, c.SO_RCVBUF, s.rx_buffer_size);
    if (rc < 0) return fail(rc, 'SO_RCVBUF');
    if (rc < s.rx_buffer_size) unapplied.push(`rx_buffer_size (capped at ${rc})`);
  }
  rc = set(c.SOL_SOCKET, c.SO_KEEPALIVE, doKeepalive ? 1 : 0);
  if (rc < 0) return fail(rc, 'SO_KEEPALIVE');
  if (!doKeepalive) return { rc: 0, unapplied };
  if ((rc = set(c.IPPROTO_TCP, c.TCP_KEEPIDLE, s.keepalive_idle)) < 0) return fail(rc, 'TCP_KEEPIDLE');
  if ((rc = set(c.IPPROTO_TCP, c.TCP_KEEPINTVL, s.keepalive_intvl)) < 0) return fail(rc, 'TCP_KEEPINTVL');
  if ((rc = set(c.IPPROTO_TCP, c.TCP_KEEPCNT, s.keepalive_count)) < 0) return fail(rc, 'TCP_KEEPCNT');
  // ip_sock_set_tos: the IPv4 TOS byte (an IPv6 socket keeps it for v4-mapped traffic only).
  if (s.tos >= 0 && (rc = set(c.IPPROTO_IP, c.IP_TOS, s.tos & 0xff)) < 0) return fail(rc, 'IP_TOS');
  return { rc: 0, unapplied };
}

/**
 * One buffer size, the FORCE form first (root may exceed net.core.*mem_max, as the kernel's
 * LND does): the size the socket then has, or −errno.
 */
function setBuf(addon: SockoptAddon, fd: number, force: number, plain: number, size: number): number {
  const half = Math.ceil(Math.min(Math.max(size, 0), 0x7fffffff) / 2);
  const c = addon.constants;
  if (force < 0 || addon.setIntOpt(fd, c.SOL_SOCKET, force, half) !== 0) {
    const rc = addon.setIntOpt(fd, c.SOL_SOCKET, plain, half);
    if (rc < 0) return rc;
  }
  const [rc, got] = addon.getIntOpt(fd, c.SOL_SOCKET, plain);
  return rc < 0 ? rc : got;
}
