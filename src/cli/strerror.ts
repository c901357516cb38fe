/** glibc's strerror() texts, for the messages lnetctl and lctl build with it. */
import { Errno, errnoName, type ErrnoName } from '../errno.js';

const TEXT: Partial<Record<ErrnoName, string>> = {
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
  EUSERS: 'Too many users',
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

/** strerror(errno) for a positive or negative errno. */
export function strerror(errno: number): string {
  if (errno === 0) return 'Success';
  const name = errnoName(errno);
  return (name && TEXT[name]) ?? `Unknown error ${Math.abs(errno)}`;
}

export function strerrorName(name: ErrnoName): string {
  return strerror(Errno[name]);
}
