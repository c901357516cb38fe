import { LNetMsgType } from '../wire/lnet-msg-type.js';

/** Per-message-type counts (`struct lnet_msg_type_stats`), keyed as lnetctl prints them. */
export class MsgTypeStats {
  put = 0;
  get = 0;
  reply = 0;
  ack = 0;
  hello = 0;

  incr(type: LNetMsgType): void {
    switch (type) {
      case LNetMsgType.PUT:
        this.put++;
        break;
      case LNetMsgType.GET:
        this.get++;
        break;
      case LNetMsgType.REPLY:
        this.reply++;
        break;
      case LNetMsgType.ACK:
        this.ack++;
        break;
      case LNetMsgType.HELLO:
        this.hello++;
        break;
    }
  }

  total(): number {
    return this.put + this.get + this.reply + this.ack + this.hello;
  }

  reset(): void {
    this.put = this.get = this.reply = this.ack = this.hello = 0;
  }
}

export enum StatsType {
  SEND,
  RECV,
  DROP,
}

/** `struct lnet_element_stats`: what an NI or a peer NI counts. */
export class ElementStats {
  readonly send = new MsgTypeStats();
  readonly recv = new MsgTypeStats();
  readonly drop = new MsgTypeStats();

  /** lnet_incr_stats */
  incr(type: LNetMsgType, which: StatsType): void {
    (which === StatsType.SEND ? this.send : which === StatsType.RECV ? this.recv : this.drop).incr(type);
  }

  reset(): void {
    this.send.reset();
    this.recv.reset();
    this.drop.reset();
  }
}

/** `struct lnet_counters_common` + `lnet_counters_health`: what `lnetctl stats show` prints. */
export class LNetCounters {
  msgs_alloc = 0;
  msgs_max = 0;
  rst_alloc = 0;
  errors = 0;
  send_count = 0;
  resend_count = 0;
  response_timeout_count = 0;
  local_interrupt_count = 0;
  local_dropped_count = 0;
  local_aborted_count = 0;
  local_no_route_count = 0;
  local_timeout_count = 0;
  local_error_count = 0;
  remote_dropped_count = 0;
  remote_error_count = 0;
  remote_timeout_count = 0;
  network_timeout_count = 0;
  failed_resends = 0;
  successful_resends = 0;
  recv_count = 0;
  route_count = 0;
  drop_count = 0;
  send_length = 0;
  recv_length = 0;
  route_length = 0;
  drop_length = 0;

  /** `lnetctl stats reset` zeroes everything but the live allocation counts. */
  reset(): void {
    const keepAlloc = this.msgs_alloc;
    const keepRst = this.rst_alloc;
    Object.assign(this, new LNetCounters());
    this.msgs_alloc = keepAlloc;
    this.rst_alloc = keepRst;
  }
}

/** Health counters of a local NI (`net show -v` "health stats"). */
export class NiHealthStats {
  fatal_error = 0;
  interrupts = 0;
  dropped = 0;
  aborted = 0;
  no_route = 0;
  timeouts = 0;
  error = 0;
  ping_count = 0;
  next_ping = 0;
}

/** Health counters of a peer NI (`peer show -v` "health stats"). */
export class PeerNiHealthStats {
  dropped = 0;
  timeout = 0;
  error = 0;
  network_timeout = 0;
  ping_count = 0;
  next_ping = 0;
}
