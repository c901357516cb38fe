import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

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
  if (process.env.ULNET_NO_ADDON) return null;
  const here = new URL('.', import.meta.url);
  for (const rel of [ADDON_FILE, `../../../lnd/socklnd/${ADDON_FILE}`]) {
    const file = fileURLToPath(new URL(rel, here));
    if (!existsSync(file)) continue;
    try {
      return createRequire(import.meta.url)(file) as SockoptAddon;
    } catch {
      return null; // built for another Node ABI or platform: as if absent
    }
  }
  return null;
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
 * ksocknal_lib_setup_sock, for an established connection: no FIN_WAIT2 linger, TCP_NODELAY
 * unless `nagle`, the buffer sizes when set, keepalive (on only when idle, count and interval
 * are all positive), and IP_TOS when `tos` ≥ 0. A failed option fails the connection, as
 * the kernel's does; `failed` names it. Without the addon, what Node cannot set is listed in
 * `unapplied` (nagle and the keepalive switch and idle time still are).
 */
export function setupSock(sock: Socket, s: SockSetup, addon: SockoptAddon | null = sockoptAddon): SockSetupResult {
  const fd = addon ? socketFd(sock) : -1;
  const doKeepalive = s.keepalive_idle > 0 && s.keepalive_count > 0 && s.keepalive_intvl > 0;
  if (!s.nagle) sock.setNoDelay(true);
  if (!addon || fd < 0) {
    const unapplied: string[] = [];
    if (s.tx_buffer_size !== 0) unapplied.push('tx_buffer_size');
    if (s.rx_buffer_size !== 0) unapplied.push('rx_buffer_size');
    if (doKeepalive) unapplied.push('keepalive_count', 'keepalive_intvl');
    if (s.tos >= 0) unapplied.push('tos');
    sock.setKeepAlive(doKeepalive, doKeepalive ? s.keepalive_idle * 1000 : 0);
    return { rc: 0, unapplied };
  }
  const c = addon.constants;
  const set = (level: number, name: number, value: number): number => (name < 0 ? 0 : addon.setIntOpt(fd, level, name, value));
  const fail = (rc: number, failed: string): SockSetupResult => ({ rc, failed, unapplied: [] });
  // tp->linger2 = -1: a closed connection does not wait in FIN_WAIT2.
  let rc = set(c.IPPROTO_TCP, c.TCP_LINGER2, -1);
  if (rc < 0) return fail(rc, 'TCP_LINGER2');
  // lnet_sock_setbuf sets the size itself; setsockopt doubles what it is given, so half.
  if (s.tx_buffer_size !== 0) {
    rc = setBuf(addon, fd, c.SO_SNDBUFFORCE, c.SO_SNDBUF, s.tx_buffer_size);
    if (rc < 0) return fail(rc, 'SO_SNDBUF');
  }
  // (2.17.0's lnet_sock_setbuf stores rx_buffer_size into the send buffer and locks the
  // receive buffer at its default, fixed after 2.17 by LU-20082; this is the fixed behaviour.)
  if (s.rx_buffer_size !== 0) {
    rc = setBuf(addon, fd, c.SO_RCVBUFFORCE, c.SO_RCVBUF, s.rx_buffer_size);
    if (rc < 0) return fail(rc, 'SO_RCVBUF');
  }
  rc = set(c.SOL_SOCKET, c.SO_KEEPALIVE, doKeepalive ? 1 : 0);
  if (rc < 0) return fail(rc, 'SO_KEEPALIVE');
  if (doKeepalive) {
    if ((rc = set(c.IPPROTO_TCP, c.TCP_KEEPIDLE, s.keepalive_idle)) < 0) return fail(rc, 'TCP_KEEPIDLE');
    if ((rc = set(c.IPPROTO_TCP, c.TCP_KEEPINTVL, s.keepalive_intvl)) < 0) return fail(rc, 'TCP_KEEPINTVL');
    if ((rc = set(c.IPPROTO_TCP, c.TCP_KEEPCNT, s.keepalive_count)) < 0) return fail(rc, 'TCP_KEEPCNT');
  }
  // ip_sock_set_tos: the IPv4 TOS byte (an IPv6 socket keeps it for v4-mapped traffic only).
  if (s.tos >= 0 && (rc = set(c.IPPROTO_IP, c.IP_TOS, s.tos & 0xff)) < 0) return fail(rc, 'IP_TOS');
  return { rc: 0, unapplied: [] };
}

/** The FORCE form first (root may exceed the net.core.*mem_max cap, as the kernel's LND does). */
function setBuf(addon: SockoptAddon, fd: number, force: number, plain: number, size: number): number {
  const half = Math.ceil(Math.min(Math.max(size, 0), 0x7fffffff) / 2);
  const c = addon.constants;
  if (force >= 0 && addon.setIntOpt(fd, c.SOL_SOCKET, force, half) === 0) return 0;
  return addon.setIntOpt(fd, c.SOL_SOCKET, plain, half);
}
