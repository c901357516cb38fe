#!/usr/bin/env node
/**
 * lnetd: the daemon holding one LNet instance, as the lnet kernel module does. Starting it is
 * `modprobe lnet` (module parameters from modprobe-style files and the command line); LNet
 * stays unconfigured until `lnetctl lnet configure` or `lctl network up` (or --up, or
 * `options lnet config_on_load=1`). lnetctl and lctl talk to it over its control socket.
 */
import { readFileSync } from 'node:fs';
import { loadModprobeConfig, type ConfigSource, type LoadedModuleParams } from '../config/modprobe.js';
import { MODPROBE_DIRS, readModprobeDirs } from '../config/modprobe-dirs.js';
import { Daemon } from '../control/daemon.js';
import { createLogger, isLogLevel, type LogLevel } from '../control/log.js';
import { errorReport } from '../control/protocol.js';
import { socketPath } from '../control/socket-path.js';
import { getoptLong } from './getopt.js';

const USAGE = `Usage: lnetd [OPTION]... [PARAM=VALUE]...
Run one userspace LNet instance and serve lnetctl and lctl on a control socket.

  -c, --config FILE      modprobe-style file ("options lnet networks=tcp0(eth0)",
                         "options ksocklnd sock_timeout=50"); may be repeated.
                         Default: the files of ${MODPROBE_DIRS.join(', ')}
  -u, --up               configure LNet from the module parameters at start
                         (as "lctl network up"; also: options lnet config_on_load=1)
  -y, --yaml FILE        import this lnetctl YAML document once LNet is configured
                         (configures LNet first, as "lnetctl lnet configure", unless --up)
  -s, --socket PATH      control socket (default: $LNETD_SOCKET, else /run/ulnet/lnetd.sock)
  -l, --log-level LEVEL  debug, info, warn or error (default info); logs are JSON lines on stderr
  -h, --help             this help
  -V, --version          the version

PARAM=VALUE sets an lnet module parameter as on a modprobe command line
(networks="tcp0(eth0)", accept_port=988, ...); ksocklnd.PARAM=VALUE sets a ksocklnd one.
SIGTERM and SIGINT take the networks down, close the connections and exit.
`;

interface Options {
  configs: string[];
  yaml: string | undefined;
  up: boolean;
  socket: string | undefined;
  logLevel: LogLevel;
  lnetArgs: string[];
  socklndArgs: string[];
}

function parseArgs(argv: string[]): Options | number {
  const errs: string[] = [];
  const r = getoptLong(
    ['lnetd', ...argv],
    'c:uy:s:l:hV',
    [
      { name: 'config', hasArg: 'required', val: 'c' },
      { name: 'up', hasArg: 'none', val: 'u' },
      { name: 'yaml', hasArg: 'required', val: 'y' },
      { name: 'socket', hasArg: 'required', val: 's' },
      { name: 'log-level', hasArg: 'required', val: 'l' },
      { name: 'help', hasArg: 'none', val: 'h' },
      { name: 'version', hasArg: 'none', val: 'V' },
    ],
    (m) => errs.push(m),
  );
  const o: Options = { configs: [], yaml: undefined, up: false, socket: undefined, logLevel: 'info', lnetArgs: [], socklndArgs: [] };
  for (const { opt, arg } of r.opts) {
    switch (opt) {
      case 'c':
        o.configs.push(arg!);
        break;
      case 'u':
        o.up = true;
        break;
      case 'y':
        o.yaml = arg!;
        break;
      case 's':
        o.socket = arg!;
        break;
      case 'l':
        if (!isLogLevel(arg!)) {
          process.stderr.write(`lnetd: unknown log level '${arg}' (debug, info, warn, error)\n`);
          return 2;
        }
        o.logLevel = arg;
        break;
      case 'h':
        process.stdout.write(USAGE);
        return 0;
      case 'V':
        process.stdout.write(`lnetd ${version()}\n`);
        return 0;
      default:
        process.stderr.write(errs.join('') + "Try 'lnetd --help' for more information.\n");
        return 2;
    }
  }
  for (const w of r.operands) {
    if (!w.includes('=')) {
      process.stderr.write(`lnetd: '${w}' is not a PARAM=VALUE module parameter\n`);
      return 2;
    }
    if (w.startsWith('ksocklnd.')) o.socklndArgs.push(w.slice('ksocklnd.'.length));
    else o.lnetArgs.push(w.startsWith('lnet.') ? w.slice('lnet.'.length) : w);
  }
  return o;
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function loadParams(o: Options): Promise<LoadedModuleParams> {
  const sources: ConfigSource[] =
    o.configs.length > 0 ? o.configs.map((file) => ({ file, text: readFileSync(file, 'utf8') })) : await readModprobeDirs();
  return loadModprobeConfig(sources, {
    commandLine: {
      ...(o.lnetArgs.length > 0 ? { lnet: o.lnetArgs } : {}),
      ...(o.socklndArgs.length > 0 ? { ksocklnd: o.socklndArgs } : {}),
    },
  });
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  if (typeof o === 'number') return o;
  const logger = createLogger(o.logLevel);
  let params: LoadedModuleParams;
  try {
    params = await loadParams(o);
  } catch (e) {
    // As modprobe failing to insert the module: nothing runs.
    process.stderr.write(`lnetd: cannot load the lnet module parameters: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  for (const w of params.warnings) logger.warn(w.message, { file: w.at.file, line: w.at.line, column: w.at.column });
  const socket = socketPath(o.socket);
  let daemon: Daemon;
  try {
    daemon = await Daemon.start({ socket, params, logger });
  } catch (e) {
    process.stderr.write(`lnetd: ${e instanceof Error ? e.message.replace(/^[A-Z]+: /, '') : String(e)}\n`);
    return 1;
  }
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalled) {
      logger.warn('second signal: exiting without a clean shutdown', { signal: sig });
      process.exit(1);
    }
    signalled = true;
    logger.info('shutting down', { signal: sig });
    daemon.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error('shutdown failed', { error: String(e) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  logger.info('lnetd ready', { socket, pid: process.pid, ncpt: daemon.module.ncpt });
  try {
    if (o.up || params.lnet.config_on_load) await daemon.call('lnet.configure', { mode: 'unless-skipped' });
    if (o.yaml !== undefined) {
      if (!o.up) await daemon.call('lnet.configure', { mode: 'skip' });
      await daemon.call('import', { text: readFileSync(o.yaml, 'utf8'), mode: 'add' });
    }
  } catch (e) {
    const rep = errorReport(e);
    logger.error('start-up configuration failed; lnetd keeps running unconfigured or partly configured', {
      error: e instanceof Error ? e.message : String(e),
      ...(rep ? { exitCode: rep.exitCode } : {}),
    });
  }
  return -1;
}

main().then(
  (rc) => {
    if (rc >= 0) process.exit(rc);
  },
  (e: unknown) => {
    process.stderr.write(`lnetd: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
