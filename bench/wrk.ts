/**
 * The measured seconds of bench/scale/load.ts sent by wrk (Debian's `wrk` package) when it is on
 * the PATH: a C load generator costs the shared 2 cores a fraction of what a Node one does, so
 * the CPU it leaves goes to what is measured. The issue's own figures were taken with wrk.
 *
 * Same requests as the Node engine: request i sends tokens[i % tokens.length] with
 * bodies[i % bodies.length], over `concurrency` keep-alive connections from one wrk thread. An
 * answer fails unless it is HTTP 200 with `"data":` and without `"errors":` (the Node engine's
 * rule); socket errors and timeouts fail too. wrk's latency is from a request's first byte sent
 * to its answer's last byte received, as the Node engine's.
 *
 * `LOAD_ENGINE=node` keeps the Node engine for the measured seconds as well.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MeasuredLoad } from './load-protocol';

export interface WrkLoad {
  url: string;
  tokens: string[];
  bodies: string[];
  concurrency: number;
  seconds: number;
}

/** `wrk <version>` when LOAD_ENGINE allows wrk and it runs here, else undefined. */
export function wrkVersion(): string | undefined {
  if (process.env['LOAD_ENGINE'] === 'node') return undefined;
  const probe = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (probe.error) {
    if (process.env['LOAD_ENGINE'] === 'wrk') throw new Error(`LOAD_ENGINE=wrk, but wrk does not run here (${probe.error.message}); install it (apt-get install wrk)`);
    return undefined;
  }
  // "wrk debian/4.1.0-3+b2 [epoll] Copyright ..." (wrk prints its version and exits 1)
  const version = /^wrk (\S+)/.exec(`${probe.stdout}${probe.stderr}`)?.[1];
  return `wrk ${version ?? '(unknown version)'}`;
}

/** Lua long-bracket literal of `text`, with a level its content never closes. */
function luaString(text: string): string {
  let level = '';
  while (text.includes(`]${level}]`)) level += '=';
  return `[${level}[${text}]${level}]`;
}

function script(load: WrkLoad, target: URL): string {
  return `-- written by bench/wrk.ts
local tokens = { ${load.tokens.map(luaString).join(',\n')} }
local bodies = { ${load.bodies.map(luaString).join(',\n')} }
local path = ${luaString(target.pathname + target.search)}
local prepared = {}
local next_index = 0
failures = 0
first_failure = ""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  -- Every (token, body) pair request i can send, so that requests are formatted once.
  local count = #tokens
  while count % #bodies ~= 0 do count = count + #tokens end
  for i = 0, count - 1 do
    prepared[i + 1] = wrk.format("POST", path, {
      ["content-type"] = "application/json",
      ["authorization"] = "Bearer " .. tokens[i % #tokens + 1],
    }, bodies[i % #bodies + 1])
  end
end

function request()
  next_index = next_index % #prepared + 1
  return prepared[next_index]
end

function response(status, headers, body)
  if status ~= 200 or not body:find('"data":', 1, true) or body:find('"errors":', 1, true) then
    failures = failures + 1
    if first_failure == "" then first_failure = "HTTP " .. status .. ": " .. body:sub(1, 300) end
  end
end

function done(summary, latency, requests)
  local failed, first = 0, ""
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("failures")
    if first == "" then first = thread:get("first_failure") end
  end
  local e = summary.errors
  io.write(string.format("WRK-RESULT %d %d %d %d %d %d %d %d %d %d %d\\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    failed, e.connect, e.read, e.write, e.timeout))
  io.write("WRK-FIRST-FAILURE " .. first:gsub("[\\r\\n]", " ") .. "\\n")
end
`;
}

/** Runs wrk for `seconds` and reads its result. */
export async function runWrk(load: WrkLoad): Promise<MeasuredLoad> {
  const target = new URL(load.url);
  const dir = mkdtempSync(path.join(tmpdir(), 'redthread-wrk-'));
  const file = path.join(dir, 'load.lua');
  writeFileSync(file, script(load, target));
  try {
    const child = spawn('wrk', ['-t1', `-c${load.concurrency}`, `-d${load.seconds}s`, '--timeout', '30s', '-s', file, load.url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (exitCode) => resolve(exitCode));
    });
    const numbers = /^WRK-RESULT (.*)$/m.exec(out)?.[1]?.split(' ').map(Number);
    if (code !== 0 || !numbers || numbers.length !== 11) throw new Error(`wrk exited with ${code} without its result:\n${out.slice(-2000)}`);
    const [requests, durationUs, p50, p90, p99, max, failed, connect, read, write, timeout] = numbers as [number, number, number, number, number, number, number, number, number, number, number];
    const firstFailure = /^WRK-FIRST-FAILURE (.*)$/m.exec(out)?.[1]?.trim();
    const socketErrors = connect + read + write + timeout;
    const ms = (us: number) => Math.round(us / 10) / 100;
    return {
      requests,
      seconds: Math.round(durationUs / 1000) / 1000,
      latencyMs: { p50: ms(p50), p90: ms(p90), p99: ms(p99), max: ms(max) },
      failures: failed + socketErrors,
      firstFailure: firstFailure || (socketErrors ? `socket errors: connect ${connect}, read ${read}, write ${write}, timeout ${timeout}` : undefined),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
