/**
 * Linux errno values, fixed here rather than taken from os.constants so that the numbers
 * LNet puts in YAML error documents and exit codes are the kernel's on every platform.
 */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ENOMSG: 42,
  ENODATA: 61,
  ETIME: 62,
  ENOLINK: 67,
  EPROTO: 71,
  EBADMSG: 74,
  EOVERFLOW: 75,
  ENOTUNIQ: 76,
  EUSERS: 87,
  EMSGSIZE: 90,
  EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  ESHUTDOWN: 108,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTDOWN: 112,
  EHOSTUNREACH: 113,
  ESTALE: 116,
  EALREADY: 114,
  EINPROGRESS: 115,
  ECANCELED: 125,
} as const;

export type ErrnoName = keyof typeof Errno;

export function errnoName(value: number): ErrnoName | undefined {
  const v = Math.abs(value);
  for (const [name, num] of Object.entries(Errno)) if (num === v) return name as ErrnoName;
  return undefined;
}
