/** `enum lnet_msg_type` (lnet-idl.h). */
export enum LNetMsgType {
  ACK = 0,
  PUT = 1,
  GET = 2,
  REPLY = 3,
  /** Only inside a socklnd V1 hello; never a real message. */
  HELLO = 4,
}

export function formatMsgType(t: number): string {
  return LNetMsgType[t] ?? `<${t}>`;
}
