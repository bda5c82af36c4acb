import { readFileSync } from 'node:fs';

/**
 * When the command the user typed started, in ms since the epoch: `npm start` runs its `prestart`
 * build and then tsx before this process exists, and "Ready in …" should count all of it. On Linux
 * this is the start time of the outermost ancestor that is still npm (read from /proc); elsewhere,
 * or when there is no npm above us, this process's own start.
 */
export function commandStartedAt(): number {
  const own = performance.timeOrigin;
  try {
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    const ticksPerSecond = 100; // USER_HZ: 100 on every Linux Node runs on
    let earliest = own;
    for (let pid = process.pid, hops = 0; pid > 1 && hops < 8; hops += 1) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces, inside parentheses).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const parent = Number(fields[1]);
      const startedAt = (bootSeconds + Number(fields[19]) / ticksPerSecond) * 1000;
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (pid !== process.pid && !/\bnpm\b|npm-cli|tsx|\bsh\b|node/.test(command)) break;
      if (/\bnpm\b|npm-cli/.test(command)) earliest = Math.min(earliest, startedAt);
      pid = parent;
    }
    return Number.isFinite(earliest) ? earliest : own;
  } catch {
    return own;
  }
}
