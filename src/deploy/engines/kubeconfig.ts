/**
 * Where the `kubernetes` engine's API server is and how it authenticates (alerting-and-engines.md §4
 * "Auth"): a kubeconfig file (kubernetes.io "Organizing Cluster Access Using kubeconfig Files", the
 * `clientcmd/api/v1` types: `clusters[].cluster.{server, certificate-authority(-data),
 * insecure-skip-tls-verify}`, `users[].user.{token, tokenFile, client-certificate(-data),
 * client-key(-data)}`, `contexts[].context.{cluster, user, namespace}`, `current-context`) or, inside a
 * pod, the service account (`/var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt}` and
 * `KUBERNETES_SERVICE_HOST/PORT`, kubernetes.io "Accessing the Kubernetes API from a Pod").
 * Relative file paths in a kubeconfig are relative to the kubeconfig's own directory (as clientcmd resolves them).
 * Not supported (a clear error instead): `exec` and `auth-provider` plugins, basic auth.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

/** An API server and the credentials to use on it. Secrets: `token`, `key` (never logged). */
export interface KubeConnection {
  /** `https://host:port` without a trailing slash. */
  server: string;
  /** PEM CA bundle for the server's certificate; absent: the system roots. */
  ca?: Buffer;
  /** Client certificate and key (PEM), for certificate auth. */
  cert?: Buffer;
  key?: Buffer;
  /** Bearer token, read once. */
  token?: string;
  /** A file holding the bearer token (re-read: service-account tokens are rotated, client-go reloads them). */
  tokenFile?: string;
  insecureSkipTlsVerify?: boolean;
  /** Where it came from, for messages: `kubeconfig /path (context x)` or `in-cluster service account`. */
  source: string;
}

export class KubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeconfigError';
  }
}

const kubeconfigWire = z.object({
  'current-context': z.string().nullish(),
  clusters: z.array(z.object({ name: z.string(), cluster: z.object({
      server: z.string(),
      'certificate-authority': z.string().nullish(),
      'certificate-authority-data': z.string().nullish(),
      'insecure-skip-tls-verify': z.boolean().nullish(),
    }) })).nullish(),
  users: z.array(z.object({ name: z.string(), user: z
      .object({
        token: z.string().nullish(),
        tokenFile: z.string().nullish(),
        'client-certificate': z.string().nullish(),
        'client-certificate-data': z.string().nullish(),
        'client-key': z.string().nullish(),
        'client-key-data': z.string().nullish(),
        exec: z.unknown().optional(),
        'auth-provider': z.unknown().optional(),
        username: z.string().nullish(),
      })
      .nullish() })).nullish(),
  contexts: z.array(z.object({ name: z.string(), context: z.object({ cluster: z.string(), user: z.string().nullish(), namespace: z.string().nullish() }) })).nullish(),
});

/** Parse a kubeconfig's text; files it names resolve against `path`'s directory; `context` overrides `current-context`. */
export async function parseKubeconfig(text: string, o: { path: string; context?: string | undefined }): Promise<KubeConnection> {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new KubeconfigError(`kubeconfig ${o.path}: not YAML (${(err as Error).message.split('\n')[0]})`);
  }
  const p = kubeconfigWire.safeParse(raw);
  if (!p.success) throw new KubeconfigError(`kubeconfig ${o.path}: unexpected shape at ${p.error.issues[0]?.path.join('.') ?? '?'}`);
  const kc = p.data;
  const ctxName = o.context ?? kc['current-context'] ?? undefined;
  if (!ctxName) throw new KubeconfigError(`kubeconfig ${o.path}: no current-context (set engine.context)`);
  const ctx = kc.contexts?.find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new KubeconfigError(`kubeconfig ${o.path}: no context named ${ctxName}`);
  const cluster = kc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster) throw new KubeconfigError(`kubeconfig ${o.path}: context ${ctxName} names cluster ${ctx.cluster}, which is not defined`);
  const user = ctx.user ? kc.users?.find((u) => u.name === ctx.user)?.user : undefined;
  if (ctx.user && user === undefined) throw new KubeconfigError(`kubeconfig ${o.path}: context ${ctxName} names user ${ctx.user}, which is not defined`);

  const dir = dirname(o.path);
  const file = async (what: string, f: string) => {
    const at = isAbsolute(f) ? f : resolve(dir, f);
    try {
      return await readFile(at);
    } catch (err) {
      throw new KubeconfigError(`kubeconfig ${o.path}: cannot read ${what} ${at} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const b64 = (s: string) => Buffer.from(s, 'base64');
  /** `<x>-data` (base64 PEM) wins over the file `<x>`, as in clientcmd. */
  const material = async (what: string, data: string | null | undefined, path: string | null | undefined) =>
    data ? b64(data) : path ? file(what, path) : undefined;

  const conn: KubeConnection = { server: cluster.server.replace(/\/+$/, ''), source: `kubeconfig ${o.path} (context ${ctxName})` };
  const ca = await material('certificate-authority', cluster['certificate-authority-data'], cluster['certificate-authority']);
  if (ca) conn.ca = ca;
  if (cluster['insecure-skip-tls-verify']) conn.insecureSkipTlsVerify = true;
  if (user) {
    if (user.exec !== undefined || user['auth-provider'] !== undefined) {
      throw new KubeconfigError(`kubeconfig ${o.path}: user ${ctx.user} uses an exec/auth-provider plugin, which opsbot does not run; use a token or a client certificate`);
    }
    if (user.token) conn.token = user.token;
    else if (user.tokenFile) conn.tokenFile = isAbsolute(user.tokenFile) ? user.tokenFile : resolve(dir, user.tokenFile);
    const cert = await material('client-certificate', user['client-certificate-data'], user['client-certificate']);
    const key = await material('client-key', user['client-key-data'], user['client-key']);
    if (!!cert !== !!key) throw new KubeconfigError(`kubeconfig ${o.path}: user ${ctx.user} has a client certificate without its key, or a key without its certificate`);
    if (cert && key) Object.assign(conn, { cert, key });
    if (!conn.token && !conn.tokenFile && !conn.cert && user.username) {
      throw new KubeconfigError(`kubeconfig ${o.path}: user ${ctx.user} uses basic auth, which Kubernetes removed (1.19); use a token or a client certificate`);
    }
  }
  if (!/^https?:\/\//.test(conn.server)) throw new KubeconfigError(`kubeconfig ${o.path}: cluster ${ctx.cluster} server is not an http(s) URL`);
  return conn;
}

export async function loadKubeconfig(path: string, context?: string): Promise<KubeConnection> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new KubeconfigError(`cannot read kubeconfig ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}; check engine.kubeconfig)`);
  }
  return parseKubeconfig(text, { path, context });
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The in-cluster connection (rest.InClusterConfig): the service account's token file and CA, the service host env. */
export async function inClusterConnection(o: { dir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<KubeConnection> {
  const dir = o.dir ?? SERVICE_ACCOUNT_DIR;
  const env = o.env ?? process.env;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new KubeconfigError('not running in a pod (KUBERNETES_SERVICE_HOST/PORT unset): set engine.kubeconfig');
  let ca: Buffer;
  try {
    ca = await readFile(`${dir}/ca.crt`);
  } catch {
    throw new KubeconfigError(`no service account CA at ${dir}/ca.crt: set engine.kubeconfig, or mount the service account token`);
  }
  // An IPv6 service host needs brackets in a URL.
  const h = host.includes(':') ? `[${host}]` : host;
  return { server: `https://${h}:${port}`, ca, tokenFile: `${dir}/token`, source: 'in-cluster service account' };
}
