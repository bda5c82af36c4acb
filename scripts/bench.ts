/**
 * `npm run bench -- <name> [options]`: runs the benchmark in bench/<name>/index.ts. Each
 * benchmark starts what it needs (embedded PostgreSQL in a temporary folder, or DATABASE_URL),
 * prints progress, and writes its results to bench/results/<name>.json and .md.
 */
import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const benchDir = fileURLToPath(new URL('../bench/', import.meta.url));
const available = readdirSync(benchDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(`${benchDir}${entry.name}/index.ts`))
  .map((entry) => entry.name);
const [name, ...rest] = process.argv.slice(2);

if (!name || !available.includes(name)) {
  process.stderr.write(`Usage: npm run bench -- <name> [options]\nAvailable: ${available.join(', ') || '(none)'}\n`);
  process.exit(name ? 1 : 0);
}
const bench = (await import(`${benchDir}${name}/index.ts`)) as { run(args: string[]): Promise<void> };
await bench.run(rest);
process.exit(0);
