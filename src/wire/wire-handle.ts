/**
 * `struct lnet_handle_wire`: 16 opaque bytes, two u64 cookies in the creator's byte order.
 * Kept as four u32 words read little-endian, so writing them back little-endian echoes the
 * received bytes exactly, whatever the creator meant by them.
 */
export class WireHandle {
  constructor(
    public ifLo: number,
    public ifHi: number,
    public objLo: number,
    public objHi: number,
  ) {}

  /** The all-ones handle: one shared, frozen instance (handles are values; nobody mutates them). */
  static none(): WireHandle {
    return WIRE_HANDLE_NONE;
  }

  /** All-ones (LNET_WIRE_HANDLE_COOKIE_NONE in both cookies): on a PUT, "no ACK wanted". */
  isNone(): boolean {
    return (this.ifLo & this.ifHi & this.objLo & this.objHi) === -1;
  }

  equals(o: WireHandle): boolean {
    return this.ifLo === o.ifLo && this.ifHi === o.ifHi && this.objLo === o.objLo && this.objHi === o.objHi;
  }
}

/** LNET_WIRE_HANDLE_COOKIE_NONE in both cookies; what WireHandle.none() returns. */
export const WIRE_HANDLE_NONE: WireHandle = Object.freeze(new WireHandle(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff));
