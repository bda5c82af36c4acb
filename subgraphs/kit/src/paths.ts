import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The repository's (or the installed build's) root folder: the nearest folder above this module
 * whose package.json is Redthread's own. The same answer from the TypeScript sources (development,
 * tests) and from the bundle in `dist/` (production), so files read at run time — migrations,
 * SDL, the composed supergraph, the page bundle — are found from both.
 */
export function projectRoot(): string {
  if (root) return root;
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'redthread') return (root = dir);
    if (dir === path.dirname(dir)) throw new Error(`Cannot find Redthread's root folder (a package.json named "redthread") above ${fileURLToPath(import.meta.url)}`);
  }
}

/** A path inside the project root, e.g. `projectPath('migrations')`. */
export function projectPath(...segments: string[]): string {
  return path.join(projectRoot(), ...segments);
}
