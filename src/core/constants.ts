/** Portal table size (MAX_PORTALS). */
export const MAX_PORTALS = 64;
/** Portal 0: ping and push. Lazy from startup. */
export const LNET_RESERVED_PORTAL = 0;
/** LNET_MD_THRESH_INF */
export const LNET_MD_THRESH_INF = -1;

/** `umd_options` bits (lnet-types.h). */
export enum MdOption {
  OP_PUT = 0x1,
  OP_GET = 0x2,
  MANAGE_REMOTE = 0x4,
  TRUNCATE = 0x10,
  ACK_DISABLE = 0x20,
  MAX_SIZE = 0x80,
  KIOV = 0x100,
  BULK_HANDLE = 0x200,
  TRACK_RESPONSE = 0x400,
  NO_TRACK_RESPONSE = 0x800,
  GNILND = 0x1000,
  GPU_ADDR = 0x2000,
}

/** `enum lnet_event_kind`. */
export enum EventKind {
  GET = 1,
  PUT = 2,
  REPLY = 3,
  ACK = 4,
  SEND = 5,
  UNLINK = 6,
}

/** `enum lnet_ins_pos`. */
export enum InsPos {
  BEFORE = 0,
  AFTER = 1,
  LOCAL = 2,
}

/** `enum lnet_unlink`. */
export enum Unlink {
  RETAIN = 0,
  UNLINK = 1,
}

/** LNET_ACK_REQ / LNET_NOACK_REQ */
export enum AckReq {
  ACK = 0,
  NOACK = 1,
}

/** Results of matching an incoming PUT/GET (LNET_MATCHMD_*). */
export enum MatchResult {
  NONE = 1,
  OK = 2,
  DROP = 4,
}
