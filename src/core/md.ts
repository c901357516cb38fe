import type { Nid } from '../nid/nid.js';
import { LNetError } from '../errors.js';
import { LNET_MD_THRESH_INF, MdOption } from './constants.js';
import type { EventHandler } from './event.js';
import type { MdHandle } from './handle.js';
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

/**
 * The handle of a live MD: its cookie (all users see) and, privately, the MD itself, so the
 * owning LNet resolves its users' handles without a cookie lookup. An MD bound as the source
 * of a no-ACK PUT never enters the cookie table at all: nothing on the wire can name it. Once
 * the MD is unlinked the handle lets go of it, so a stale handle a user keeps holds no MD and
 * no buffers (the kernel's handles are bare cookies).
 */
class LiveMdHandle {
  #md: LibMd | null;
  constructor(
    readonly cookie: number,
    md: LibMd,
  ) {
    this.#md = md;
  }

  /** The MD behind a handle this module made: null once unlinked, undefined for any other handle object. */
  static mdOf(h: MdHandle): LibMd | null | undefined {
    return #md in h ? (h as unknown as LiveMdHandle).#md : undefined;
  }

  /** The MD is unlinked: its handle no longer refers to it. */
  static release(h: MdHandle): void {
    if (#md in h) (h as unknown as LiveMdHandle).#md = null;
  }
}

/** The MD a handle was made for, when the handle is an MD's own (no lookup; check it is live). */
export const mdOfHandle = LiveMdHandle.mdOf;
/** Called when the MD is unlinked (lnet_md_unlink). */
export const releaseMdHandle = LiveMdHandle.release;

/** `struct lnet_libmd`: the live MD. */
export class LibMd {
  readonly handle: MdHandle;
  /** The LNet instance epoch the MD belongs to (handles of other instances or runs do not resolve). */
  epoch: object | undefined;
  /** In the owner's cookie table (a wire handle may name it); bound MDs enter it on first need. */
  inTable = false;
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
    this.handle = new LiveMdHandle(cookie, this) as unknown as MdHandle;
    const start = spec.start;
    if (start instanceof Uint8Array) {
      this.iov = [start];
      // length, not byteLength (equal for a Uint8Array): Node 20's V8 calls out for the
      // typed-array byteLength getter (~15 ns), once per bound MD here.
      this.length = start.length;
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
  if (!Number.isInteger(spec.threshold) || spec.threshold < LNET_MD_THRESH_INF) badMdSpec(spec, 0);
  // The usual MD (one buffer, no max_size) is checked here; the rest out of line, so this stays
  // small enough for V8 to inline into mdBind/mdAttach.
  if (!(spec.start instanceof Uint8Array) || ((spec.options ?? 0) & MdOption.MAX_SIZE) !== 0) validateMdSpecRest(spec);
}

function validateMdSpecRest(spec: MdSpec): void {
  const start = spec.start;
  if (!(start instanceof Uint8Array) && !(Array.isArray(start) && start.every((f) => f instanceof Uint8Array))) badMdSpec(spec, 1);
  if (((spec.options ?? 0) & MdOption.MAX_SIZE) !== 0) {
    const len = start instanceof Uint8Array ? start.length : iovLength(start);
    if (spec.maxSize === undefined || spec.maxSize < 0 || spec.maxSize > len) badMdSpec(spec, 2, len);
  }
}

/** validateMdSpec's errors: 0 threshold, 1 start, 2 max_size. */
function badMdSpec(spec: MdSpec, what: number, len = 0): never {
  if (what === 0) throw new LNetError('EINVAL', `MD threshold ${spec.threshold} must be ≥ 0 or LNET_MD_THRESH_INF (-1)`);
  if (what === 1) throw new LNetError('EINVAL', 'MD start must be a Uint8Array or an array of them');
  throw new LNetError('EINVAL', `MD max_size ${spec.maxSize} must be between 0 and the MD length ${len}`);
}
