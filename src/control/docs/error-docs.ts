import { Errno, errnoName, type ErrnoName } from '../../errno.js';
import { LNetError } from '../../errors.js';
import { dq, map, seq } from '../../cli/yaml/doc.js';
import { printable, type PrintableDoc } from '../../cli/yaml/output.js';

/**
 * The operation word of a netlink error document (yaml_lnet_print_error): the netlink flags
 * of the request: NLM_F_CREATE `add`, NLM_F_REPLACE `set`, 0 `del`, -1 `manage`, NLM_F_DUMP
 * `show`. For the `lnet` command it is always `configure`.
 */
export type NetlinkOp = 'add' | 'set' | 'del' | 'manage' | 'show';

/** Every netlink-path failure of lnetctl exits 234 (the yaml_* helpers return -EINVAL). */
export const NETLINK_ERROR_EXIT = 234;

/** lnetctl's exit code for a handler's return value: truncated to 8 bits (-22 → 234, -1 → 255). */
export function lnetctlExitCode(rc: number): number {
  return rc & 0xff;
}

/** strerror(3) texts of glibc for the errnos LNet reports. */
const STRERROR: Partial<Record<ErrnoName, string>> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EINTR: 'Interrupted system call',
  EIO: 'Input/output error',
  ENXIO: 'No such device or address',
  E2BIG: 'Argument list too long',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EFAULT: 'Bad address',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  ENODEV: 'No such device',
  EINVAL: 'Invalid argument',
  ENOSPC: 'No space left on device',
  ERANGE: 'Numerical result out of range',
  ENAMETOOLONG: 'File name too long',
  ENOSYS: 'Function not implemented',
  ENOMSG: 'No message of desired type',
  ENODATA: 'No data available',
  ETIME: 'Timer expired',
  ENOLINK: 'Link has been severed',
  EPROTO: 'Protocol error',
  EBADMSG: 'Bad message',
  EOVERFLOW: 'Value too large for defined data type',
  EMSGSIZE: 'Message too long',
  EPROTONOSUPPORT: 'Protocol not supported',
  EOPNOTSUPP: 'Operation not supported',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ENETDOWN: 'Network is down',
  ENETUNREACH: 'Network is unreachable',
  ECONNABORTED: 'Software caused connection abort',
  ECONNRESET: 'Connection reset by peer',
  ENOBUFS: 'No buffer space available',
  ESHUTDOWN: 'Cannot send after transport endpoint shutdown',
  ETIMEDOUT: 'Connection timed out',
  ECONNREFUSED: 'Connection refused',
  EHOSTDOWN: 'Host is down',
  EHOSTUNREACH: 'No route to host',
  EALREADY: 'Operation already in progress',
  EINPROGRESS: 'Operation now in progress',
  ESTALE: 'Stale file handle',
  ECANCELED: 'Operation canceled',
};

/** strerror() of an errno (sign ignored); glibc's "Unknown error N" for others. */
export function strerror(errno: number | ErrnoName): string {
  const name = typeof errno === 'string' ? errno : errnoName(errno);
  if (errno === 0) return 'Success';
  return (name && STRERROR[name]) ?? `Unknown error ${typeof errno === 'number' ? Math.abs(errno) : Errno[errno]}`;
}

/** A negative errno from a name or a number of either sign. */
export function negErrno(e: number | ErrnoName): number {
  return typeof e === 'string' ? -Errno[e] : -Math.abs(e);
}

/**
 * yaml_lnet_print_error's document: `---`, `<op>:` / `-     <cmd>:` / errno / `descr: ! "…"`,
 * `...`, at indent 6, for stderr. `errno` is printed as given (lnetctl prints the C errno,
 * normally the negative error; 0 happens).
 */
export function netlinkErrorDoc(op: NetlinkOp, cmd: string, errno: number, descr: string): PrintableDoc {
  const flag = cmd === 'lnet' ? 'configure' : op;
  const doc = map([[flag, seq([map([[cmd, null], ['errno', errno], ['descr', dq(descr, true)]])])]]);
  return printable(doc, 'libyaml6-markers');
}

/**
 * cYAML_build_error's document (legacy ioctl path, `set`, `global`, …): `<cmd>:` /
 * `    - <entity>:` / [seq_no] / errno / descr, printed raw. liblnetconfig puts the double quotes
 * inside its descr strings; pass them as part of `descr` (see quoted()).
 */
export function cyamlErrorDoc(cmd: string, entity: string, errno: number, descr: string, seqNo?: number): PrintableDoc {
  const body = map([
    ['seq_no', seqNo !== undefined && seqNo >= 0 ? seqNo : undefined],
    ['errno', errno],
    ['descr', descr],
  ]);
  return printable(map([[cmd, seq([map([[entity, body]])])]]), 'cyaml');
}

/** liblnetconfig's error strings carry their own double quotes: `"text"`. */
export function quoted(text: string): string {
  return `"${text}"`;
}

/**
 * A failure that lnetctl reports with a document: what to print where, and the exit code.
 * `text` is plain text lnetctl prints instead of (or without) a document, e.g. a YAML syntax
 * error of `import`.
 */
export class DocumentError extends LNetError {
  constructor(
    code: ErrnoName,
    message: string,
    readonly document: PrintableDoc | undefined,
    readonly exitCode: number,
    readonly stream: 'stdout' | 'stderr' = 'stderr',
    readonly text?: string,
  ) {
    super(code, message);
    this.name = 'DocumentError';
  }
}

/** A failure reported as plain text (no document) on stderr. */
export function textError(code: ErrnoName, text: string, exitCode = NETLINK_ERROR_EXIT): DocumentError {
  return new DocumentError(code, text.trimEnd(), undefined, exitCode, 'stderr', text.endsWith('\n') ? text : `${text}\n`);
}

function codeOf(errno: number): ErrnoName {
  return errnoName(errno) ?? 'EINVAL';
}

/** A netlink-path failure: the document on stderr, exit 234. */
export function netlinkError(op: NetlinkOp, cmd: string, errno: number | ErrnoName, descr: string): DocumentError {
  const e = typeof errno === 'string' ? -Errno[errno] : errno;
  return new DocumentError(codeOf(e || -Errno.EINVAL), descr, netlinkErrorDoc(op, cmd, e, descr), NETLINK_ERROR_EXIT);
}

/** A legacy failure: the cYAML document on stderr, exit = the rc's low 8 bits. */
export function cyamlError(cmd: string, entity: string, rc: number | ErrnoName, descr: string, seqNo?: number): DocumentError {
  const e = negErrno(rc);
  return new DocumentError(codeOf(e), descr, cyamlErrorDoc(cmd, entity, e, descr, seqNo), lnetctlExitCode(e));
}

/** A failure lnetctl reports with no output at all (e.g. `peer add` of a bad net: 234). */
export function silentError(code: ErrnoName, message: string, exitCode = NETLINK_ERROR_EXIT): DocumentError {
  return new DocumentError(code, message, undefined, exitCode);
}

// ------------------------------------------------------------------------ recorded cases

/** `net add` the kernel refused (EEXIST for a net that exists, ENETDOWN for a missing interface): 05-cli-behaviours.txt. */
export function netAddError(errno: number | ErrnoName): DocumentError {
  return netlinkError('add', 'net', errno, 'cannot add LNet NI');
}

/** `net add --net <bad>`: the kernel could not parse the net (config.md §5.11). */
export function badNetError(op: NetlinkOp, netText: string): DocumentError {
  return netlinkError(op, 'net', 'EINVAL', `cannot parse net '${netText}'`);
}

/** Any netlink show while LNet is down (`net show` after `lnet unconfigure`): 05-cli-behaviours.txt. */
export function lnetDownError(cmd = 'net', op: NetlinkOp = 'show'): DocumentError {
  return netlinkError(op, cmd, 'ENETDOWN', 'Unspecific failure');
}

/** `net show --net X` for a net that is not configured (api-ni.c: "Network is down", ESRCH). */
export function noSuchNetError(): DocumentError {
  return netlinkError('show', 'net', 'ESRCH', 'Network is down');
}

/** `peer show --nid X` for an unknown peer (api-ni.c: "cannot find peer", ENOENT). */
export function noSuchPeerError(): DocumentError {
  return netlinkError('show', 'peer', 'ENOENT', 'cannot find peer');
}

/** `lnet configure|unconfigure` failure (transcript-04: errno 0, "LNet configure error: (null)"). */
export function lnetConfigureError(errno: number, reason: string | null): DocumentError {
  return netlinkError('add', 'lnet', errno, `LNet configure error: ${reason ?? '(null)'}`);
}

/** `lnetctl import` failures are netlink documents under `import`. */
export function importError(op: NetlinkOp, errno: number | ErrnoName, descr: string): DocumentError {
  return netlinkError(op, 'import', errno, descr);
}

/**
 * The entity and text of each `lnetctl set` parameter's legacy error (liblnetconfig.c
 * lustre_lnet_config_*): sysfs writes fail with LUSTRE_CFG_RC_GENERIC_ERR (-ENODATA, exit 195)
 * and the strerror of the write.
 */
const SET_PARAM_ERRORS: Record<string, { entity: string; what: string }> = {
  max_interfaces: { entity: 'max_interfaces', what: 'max interfaces' },
  discovery: { entity: 'discovery', what: 'discovery' },
  drop_asym_route: { entity: 'drop_asym_route', what: 'drop asym route' },
  retry_count: { entity: 'retry_count', what: 'retry count' },
  transaction_timeout: { entity: 'transaction_timeout', what: 'transaction timeout' },
  health_sensitivity: { entity: 'health_sensitivity', what: 'health sensitivity' },
  recovery_interval: { entity: 'recovery_interval', what: 'recovery interval' },
  router_sensitivity: { entity: 'router_sensitivity', what: 'router health sensitivity' },
  response_tracking: { entity: 'response_tracking', what: 'response tracking' },
  recovery_limit: { entity: 'recovery_limit', what: 'recovery limit' },
  max_recovery_ping_interval: { entity: 'maximum recovery ping interval', what: 'maximum recovery ping interval' },
};

/**
 * `lnetctl set <param> <value>` refused by the module parameter's setter: e.g.
 * `set health_sensitivity 2000` → errno -61, "cannot configure health sensitivity: Invalid
 * argument", exit 195 (05-cli-behaviours.txt).
 */
export function setParamError(param: string, writeErrno: ErrnoName = 'EINVAL'): DocumentError {
  const p = SET_PARAM_ERRORS[param] ?? { entity: param, what: param.replace(/_/g, ' ') };
  return cyamlError('add', p.entity, 'ENODATA', quoted(`cannot configure ${p.what}: ${strerror(writeErrno)}`));
}

/** Parameters whose value lnetctl range-checks itself (rc -EINVAL, exit 234 through the cYAML path). */
export function setParamRangeError(param: 'response_tracking' | 'recovery_limit' | 'max_recovery_ping_interval'): DocumentError {
  const text =
    param === 'response_tracking'
      ? 'Valid values are: 0, 1, 2, or 3'
      : param === 'recovery_limit'
        ? 'Must be greater than or equal to 0'
        : 'must be strictly positive';
  const entity = SET_PARAM_ERRORS[param]!.entity;
  return cyamlError('add', entity, 'EINVAL', quoted(text));
}

/** `numa_range`, `routing`, buffers go through ioctls: "cannot configure <name> to <v>: <strerror>". */
export function setIoctlValueError(name: string, value: number, errno: ErrnoName): DocumentError {
  return cyamlError('add', name, errno, quoted(`cannot configure ${name} to ${value}: ${strerror(errno)}`));
}
