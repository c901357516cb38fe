/** Where lnetd's control socket lives: `--socket`, then `LNETD_SOCKET`, then the default. */
export const DEFAULT_SOCKET_PATH = '/run/ulnet/lnetd.sock';

export function socketPath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== '') return flag;
  const e = env.LNETD_SOCKET;
  if (e !== undefined && e !== '') return e;
  return DEFAULT_SOCKET_PATH;
}
