import { LNET_ANY_NID } from '../nid/nid.js';
import { LNET_PID_ANY } from '../nid/process-id.js';
import {
  buildPingInfo,
  LNET_PING_INFO_MIN_SIZE,
  LNET_PROTO_PING_MATCHBITS_HI,
  LNET_PROTO_PING_MATCHBITS_LO,
  NiStatus,
  PingFeature,
  pingInfoToBuffer,
} from '../wire/ping-buffer.js';
import { EventKind, InsPos, LNET_MD_THRESH_INF, LNET_RESERVED_PORTAL, MdOption, Unlink } from './constants.js';
import type { LNetEvent } from './event.js';
import type { MdHandle, MeHandle } from './handle.js';
import type { LNetCore } from './lnet-core.js';
import { niStatus } from './ni.js';

/**
 * The ping target (api-ni.c lnet_ping_target_setup/update): an ME on the reserved portal with
 * the ping match bits and a RETAIN'd MD holding this node's ping buffer, so GETs from
 * `lnetctl ping` and discovery are answered with our NIs. Rebuilt whenever the NI list changes.
 */
export class PingTarget {
  private me: MeHandle | undefined;
  private md: MdHandle | undefined;
  /** Our buffer's sequence number (entry 0's status), bumped whenever it is rebuilt. */
  seqno = 0;
  buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly core: LNetCore) {}

  /** Feature bits as lnet_ping_target_update sets them. */
  features(): number {
    let f = PingFeature.NI_STATUS | PingFeature.MULTI_RAIL;
    if (!this.core.params.routing) f |= PingFeature.RTE_DISABLED;
    if (this.core.params.discovery && !this.core.params.lnet_peer_discovery_disabled) f |= PingFeature.DISCOVERY;
    return f;
  }

  private build(): Buffer {
    const info = buildPingInfo({
      features: this.features(),
      pid: this.core.pid,
      seqno: this.seqno,
      nis: this.core.nis
        .filter((ni) => ni !== this.core.loNi)
        .map((ni) => ({ nid: ni.nid, status: niStatus(ni) === 'up' ? NiStatus.UP : NiStatus.DOWN })),
    });
    return pingInfoToBuffer(info);
  }

  /**
   * An NI's status changed: the kernel's ni_status points into the live buffer, so the new
   * value is seen by the next ping without a new sequence number.
   */
  refreshStatus(): void {
    if (!this.md) return;
    const next = this.build();
    if (next.length === this.buffer.length) next.copy(this.buffer);
    else {
      this.seqno--;
      this.update();
    }
  }

  update(): void {
    this.seqno++;
    this.buffer = this.build();
    if (!this.me)
      this.me = this.core.meAttach(
        LNET_RESERVED_PORTAL,
        { nid: LNET_ANY_NID, pid: LNET_PID_ANY },
        LNET_PROTO_PING_MATCHBITS_LO,
        LNET_PROTO_PING_MATCHBITS_HI,
        0,
        0,
        Unlink.RETAIN,
        InsPos.AFTER,
      );
    this.core.internalCookies.add(this.me.cookie);
    if (this.md) this.core.internalCookies.delete(this.md.cookie);
    if (this.md && this.core.isMdLive(this.md)) this.core.mdUnlink(this.md);
    this.md = this.core.mdAttach(
      this.me,
      {
        start: this.buffer,
        threshold: LNET_MD_THRESH_INF,
        options: MdOption.OP_GET | MdOption.TRUNCATE | MdOption.MANAGE_REMOTE,
      },
      Unlink.RETAIN,
    );
    this.core.internalCookies.add(this.md.cookie);
  }
}

/**
 * The push target (api-ni.c lnet_push_target_post): a one-shot MD for PUTs carrying a peer's
 * ping buffer on the reserved portal, re-posted after each push, grown when a push was
 * truncated. Pushes are ACKed (discovery's PUT/ACK) and handed to `onPush`.
 */
export class PushTarget {
  private md: MdHandle | undefined;
  private nbytes = LNET_PING_INFO_MIN_SIZE;
  onPush: ((data: Uint8Array, ev: LNetEvent) => void) | undefined;

  constructor(private readonly core: LNetCore) {}

  post(): void {
    if (this.core.state !== 'running') return;
    const me = this.core.meAttach(
      LNET_RESERVED_PORTAL,
      { nid: LNET_ANY_NID, pid: LNET_PID_ANY },
      LNET_PROTO_PING_MATCHBITS_LO,
      LNET_PROTO_PING_MATCHBITS_HI,
      0,
      0,
      Unlink.UNLINK,
      InsPos.AFTER,
    );
    this.core.internalCookies.add(me.cookie);
    this.md = this.core.mdAttach(
      me,
      {
        start: new Uint8Array(this.nbytes),
        threshold: 1,
        options: MdOption.OP_PUT | MdOption.TRUNCATE,
        handler: (ev) => this.handle(ev),
      },
      Unlink.UNLINK,
    );
    this.core.internalCookies.add(this.md.cookie);
  }

  private handle(ev: LNetEvent): void {
    if (ev.type !== EventKind.PUT) return;
    this.core.internalCookies.delete(ev.mdHandle.cookie);
    if (ev.rlength > ev.mlength) this.nbytes = Math.max(this.nbytes, ev.rlength);
    if (ev.status === 0) this.onPush?.(ev.mdStart[0]!.subarray(0, ev.mlength), ev);
    this.post();
  }
}
