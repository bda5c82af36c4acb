/**
 * A CPU profile of exactly the measured part of a benchmark, for processes the benchmark does not
 * start itself (the supervisor's roles): loaded into every Node process with
 * `NODE_OPTIONS=--import=<this file>` (Node 20 refuses --cpu-prof there) and CPU_PROFILE_DIR set,
 * the first SIGUSR2 starts V8's profiler and the second writes
 * `<CPU_PROFILE_DIR>/<pid>.cpuprofile`. Plain JavaScript: the roles run without tsx.
 */
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.env.CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  let running = false;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', () => session.post('Profiler.start'));
      return;
    }
    running = false;
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(path.join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
