import type { Nid } from '../nid/nid.js';
import { LNetError } from '../errors.js';
import { LNET_MD_THRESH_INF, MdOption } from './constants.js';
import type { EventHandler } from './event.js';
import { mdHandle, type MdHandle } from './handle.js';
import { iovLength, type Iov } from './iov.js';
import type { Me } from './me.js';

/** What a caller describes (`struct lnet_md`). */
export interface MdSpec {
  /** One buffer, or fragments (the kernel's kiov). */
  start: Uint8Array | readonly Uint8Array[];
  /** Operations before the MD is exhausted; LNET_MD_THRESH_INF (-1) for unlimited. */
  threshold: number;
  /** With MdOption.MAX_SIZE: the most one operation may deposit. */
  maxSize?: number;
  options?: number;
  userPtr?: unknown;
  handler?: EventHandler;
}

/** `struct lnet_libmd`: the live MD. */
export class LibMd {
  readonly handle: MdHandle;
  readonly iov: Iov;
  readonly length: number;
  threshold: number;
  readonly maxSize: number;
  readonly options: number;
  readonly userPtr: unknown;
  readonly handler: EventHandler | undefined;
  /** Local offset, advanced by each op when not MANAGE_REMOTE. */
  offset = 0;
  refcount = 0;
  me: Me | undefined;
  /** Flagged for unlink: handle lookups fail, freed when idle. */
  zombie = false;
  /** Unlinked by the user while busy: successful completions report ETIMEDOUT. */
  aborted = false;
  readonly autoUnlink: boolean;
  /** Response trackers of messages sent from this MD awaiting ACK/REPLY. */
  responseDeadline: number | undefined;
  /** rspt_next_hop_nid: the peer NI the tracked message went to (its health pays for a timeout). */
  nextHopNid: Nid | undefined;

  constructor(cookie: number, spec: MdSpec, autoUnlink: boolean) {
    this.handle = mdHandle(cookie);
    const start = spec.start;
    if (start instanceof Uint8Array) {
      this.iov = [start];
      this.length = start.byteLength;
    } else {
      this.iov = [...start];
      this.length = iovLength(this.iov);
    }
    this.threshold = spec.threshold;
    this.maxSize = spec.maxSize ?? 0;
    this.options = spec.options ?? 0;
    this.userPtr = spec.userPtr;
    this.handler = spec.handler;
    this.autoUnlink = autoUnlink;
  }

  /** lnet_md_exhausted */
  exhausted(): boolean {
    return (
      this.threshold === 0 ||
      ((this.options & MdOption.MAX_SIZE) !== 0 && this.offset + this.maxSize > this.length)
    );
  }

  /** lnet_md_unlinkable */
  unlinkable(): boolean {
    if (this.refcount !== 0) return false;
    if (this.zombie) return true;
    return this.autoUnlink && this.exhausted();
  }

  /** lnet_msg_attach_md's threshold accounting. */
  consume(): void {
    if (this.threshold !== LNET_MD_THRESH_INF) this.threshold--;
    this.refcount++;
  }
}

/** lnet_md_validate / lnet_md_build checks shared by attach and bind. */
export function validateMdSpec(spec: MdSpec): void {
  const opts = spec.options ?? 0;
  if (!Number.isInteger(spec.threshold) || spec.threshold < LNET_MD_THRESH_INF)
    throw new LNetError('EINVAL', `MD threshold ${spec.threshold} must be ≥ 0 or LNET_MD_THRESH_INF (-1)`);
  const start = spec.start;
  if (!(start instanceof Uint8Array) && !(Array.isArray(start) && start.every((f) => f instanceof Uint8Array)))
    throw new LNetError('EINVAL', 'MD start must be a Uint8Array or an array of them');
  if ((opts & MdOption.MAX_SIZE) !== 0) {
    const len = start instanceof Uint8Array ? start.byteLength : iovLength(start);
    if (spec.maxSize === undefined || spec.maxSize < 0 || spec.maxSize > len)
      throw new LNetError('EINVAL', `MD max_size ${spec.maxSize} must be between 0 and the MD length ${len}`);
  }
}
