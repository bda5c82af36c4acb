/**
 * CPU accounting from /proc (Linux): utime + stime of every process, and the machine's busy time,
 * so a round's CPU can be split by process group (gateway, each subgraph, PostgreSQL, ...).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const TICK_MS = (() => {
  try {
    return 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  } catch {
    return 10;
  }
})();

/** One process at one moment. */
export interface ProcSample {
  pid: number;
  ppid: number;
  /** utime + stime, ms. */
  cpuMs: number;
}

/** Every process's CPU time now, and the machine's busy CPU time (all cores, ms). */
export interface CpuSnapshot {
  at: number;
  procs: Map<number, ProcSample>;
  machineBusyMs: number;
  /** Time the host ran something else while this machine's CPUs wanted to run (all cores, ms); part of machineBusyMs. */
  stealMs: number;
}

export function readStat(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state ppid ... utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(fields[1]), cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
  } catch {
    return undefined;
  }
}

export function snapshot(): CpuSnapshot {
  const procs = new Map<number, ProcSample>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const sample = readStat(Number(name));
    if (sample) procs.set(sample.pid, sample);
  }
  const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
  const ticks = cpu!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  const busy = ticks.slice(0, 8).reduce((a, b) => a + b, 0) - (ticks[3] ?? 0) - (ticks[4] ?? 0);
  return { at: performance.now(), procs, machineBusyMs: busy * TICK_MS, stealMs: (ticks[7] ?? 0) * TICK_MS };
}

/** The command line of a process, arguments joined by spaces ('' when it is gone). */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/**
 * The role a process of the supervisor runs (`gateway`, `catalog`, ..., `workers`), from its
 * command line (`node … dist/dev/supervised-<pid>.js subgraph catalog`); undefined for any other.
 */
export function supervisedRole(pid: number): string | undefined {
  const match = /supervised(?:-\d+)?\.js\s+(.*)$/.exec(cmdline(pid));
  return match ? match[1]!.replace(/^subgraph /, '') : undefined;
}

/** The pids whose parent is `pid`. */
export function childrenOf(pid: number, from: CpuSnapshot = snapshot()): number[] {
  return [...from.procs.values()].filter((p) => p.ppid === pid).map((p) => p.pid);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU ms between two snapshots, summed per group; `groupOf` names a process's group (undefined:
 * not ours). A process that appeared in between counts from zero; one that ended is lost.
 */
export function cpuByGroup(before: CpuSnapshot, after: CpuSnapshot, groupOf: (p: ProcSample) => string | undefined): Record<string, number> {
  const groups: Record<string, number> = {};
  let ours = 0;
  for (const p of after.procs.values()) {
    const group = groupOf(p);
    if (!group) continue;
    const delta = Math.max(0, p.cpuMs - (before.procs.get(p.pid)?.cpuMs ?? 0));
    groups[group] = (groups[group] ?? 0) + delta;
    ours += delta;
  }
  groups['machine (all processes)'] = Math.max(0, after.machineBusyMs - before.machineBusyMs);
  const steal = Math.max(0, after.stealMs - before.stealMs);
  // A shared host: time it gave to other guests is neither ours nor anyone's on this machine.
  if (steal > 0) groups['stolen by the host'] = steal;
  groups['others on the machine'] = Math.max(0, groups['machine (all processes)'] - ours - steal);
  return groups;
}
