/** Redis, the app instances and nginx in front of them, each a child process of the scale test. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { freePort } from '../../../bench/lib/processes';
import { Child, Exit, run, systemBinary, waitUntil } from './supervisor';

export async function startRedis(workDir: string, logDir: string): Promise<string> {
  const port = await freePort();
  const dir = path.join(workDir, 'redis');
  mkdirSync(dir);
  const redis = new Child('redis', systemBinary('redis-server') ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir], {
    cwd: dir,
    logPath: path.join(logDir, 'redis.log'),
  });
  await waitUntil('redis answers PING', () => redisPing(port), 10_000, redis);
  return `redis://127.0.0.1:${port}`;
}

function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.setTimeout(1000, () => socket.destroy());
    socket.once('data', (data) => {
      resolve(data.toString().startsWith('+PONG'));
      socket.destroy();
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

/** One instance of the built service, restartable on the same port (as a process manager would). */
export class AppInstance {
  private child: Child | undefined;
  private starts = 0;
  /** Every process this instance has run as: pid -> app1#1, app1#2, … */
  readonly processes = new Map<number, string>();

  constructor(readonly name: string, readonly port: number, private readonly main: string, private readonly env: NodeJS.ProcessEnv, private readonly logDir: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.starts++;
    this.child = new Child(`${this.name}#${this.starts}`, process.execPath, [this.main], {
      env: { ...this.env, PORT: String(this.port), HOST: '127.0.0.1' },
      logPath: path.join(this.logDir, `${this.name}.log`),
      graceMs: 12_000,
    });
    if (this.child.pid !== undefined) this.processes.set(this.child.pid, this.child.name);
    await waitUntil(`${this.name} is ready`, () => this.ready(), 60_000, this.child);
  }

  /** /health/ready when the service has it; before that endpoint exists, any listing page. */
  private async ready(): Promise<boolean> {
    const health = await fetch(`${this.url}/health/ready`, { signal: AbortSignal.timeout(2000) });
    if (health.status !== 404) return health.status === 200;
    return (await fetch(`${this.url}/listings?limit=1`, { signal: AbortSignal.timeout(2000) })).status === 200;
  }

  /** Sends `signal` and waits for the exit (SIGKILL after graceMs); returns how it ended and how long it took. */
  async kill(signal: NodeJS.Signals, graceMs: number): Promise<{ exit: Exit; ms: number }> {
    const started = Date.now();
    const exit = await this.child!.stop(graceMs, signal);
    return { exit, ms: Date.now() - started };
  }
}

/**
 * nginx as a foreground child, configured with the deploy/ template (the file compose.yaml uses) inside a
 * main configuration of the test's own: pid, logs and temp paths in the run's directory, and an access log
 * with the upstream that answered (the test reads it to see which instance served what, and nginx's retries).
 */
export async function startNginx(opts: { root: string; workDir: string; logDir: string; upstreams: string[] }): Promise<{ url: string; accessLog: string }> {
  const dir = path.join(opts.workDir, 'nginx');
  mkdirSync(dir, { mode: 0o755 });
  const port = await freePort();
  const template = readFileSync(path.join(opts.root, 'deploy', 'nginx', 'templates', 'listing-api.conf.template'), 'utf8');
  const site = renderTemplate(template, {
    LISTING_API_LISTEN: `127.0.0.1:${port}`,
    LISTING_API_UPSTREAMS: opts.upstreams.map((address) => `server ${address} max_fails=2 fail_timeout=5s;`).join(' '),
  });
  writeFileSync(path.join(dir, 'listing-api.conf'), site);
  const accessLog = path.join(dir, 'access.log');
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(conf, mainConfig(dir, accessLog));
  const args = ['-p', `${dir}/`, '-c', conf, '-e', path.join(dir, 'error.log')];
  const binary = systemBinary('nginx') ?? 'nginx';
  await run(binary, [...args, '-t'], { cwd: dir, logPath: path.join(opts.logDir, 'nginx-t.log'), timeoutMs: 10_000 });
  const nginx = new Child('nginx', binary, [...args, '-g', 'daemon off;'], { cwd: dir, logPath: path.join(opts.logDir, 'nginx.log'), graceMs: 3000 });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil('nginx answers', async () => (await fetch(`${url}/listings?limit=1`, { signal: AbortSignal.timeout(2000) })).status === 200, 10_000, nginx);
  return { url, accessLog };
}

/** envsubst, restricted to the variables given (as the nginx image's template step): nginx's own $vars stay. */
export function renderTemplate(template: string, vars: Record<string, string>): string {
  const rendered = template.replace(/\$\{([A-Z0-9_]+)\}/g, (whole, name: string) => vars[name] ?? whole);
  const left = rendered.match(/\$\{[A-Z0-9_]+\}/g);
  if (left) throw new Error(`nginx template: no value for ${[...new Set(left)].join(', ')}`);
  return rendered;
}

function mainConfig(dir: string, accessLog: string): string {
  // As root, nginx's workers drop to an unprivileged account; the temp dirs it creates are chowned to it.
  const user = process.getuid?.() === 0 ? `user ${workerAccount()};\n` : '';
  const logFormat = [
    '{"t":$msec,"rid":"$listing_api_request_id","ip":"$remote_addr","m":"$request_method","uri":"$uri",',
    '"st":$status,"ua":"$upstream_addr","us":"$upstream_status","rt":$request_time}',
  ].join('');
  return `${user}worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
    log_format scale escape=json '${logFormat}';
    access_log ${accessLog} scale;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    include ${dir}/listing-api.conf;
}
`;
}

function workerAccount(): string {
  for (const [user, group] of [['www-data', 'www-data'], ['nobody', 'nogroup']]) {
    try {
      execFileSync('id', ['-u', user], { stdio: 'ignore' });
      return `${user} ${group}`;
    } catch {
      // try the next one
    }
  }
  throw new Error('no unprivileged account for nginx workers (www-data or nobody)');
}

export interface AccessLogEntry {
  t: number;
  rid: string;
  ip: string;
  m: string;
  uri: string;
  st: number;
  ua: string;
  us: string;
  rt: number;
}

export function readAccessLog(file: string): AccessLogEntry[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AccessLogEntry);
}

/** Waits until nginx's access log shows `address` answering a request after `sinceMs` (epoch ms): nginx took it back. */
export async function waitForUpstream(accessLog: string, address: string, sinceMs: number, timeoutMs: number): Promise<void> {
  await waitUntil(`nginx sends requests to ${address} again`, () => Promise.resolve(readAccessLog(accessLog).some((entry) => entry.t * 1000 >= sinceMs && entry.ua.split(', ').pop() === address && entry.st < 500)), timeoutMs);
}
