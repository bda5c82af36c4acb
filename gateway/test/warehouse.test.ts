import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../test/database';
import { startTestPlatform, type TestPlatform } from '../../test/platform';
import { LOADED_EXTERNAL_URL, referencedUrls, THIRD_PARTY_HOSTS } from './self-contained';
import { ensureGraphiQLBundle } from '../src/graphiql/build';
import { CONTENT_TYPES } from '../src/graphiql/static-files';
import { WAREHOUSE_CONTENT_SECURITY_POLICY } from '../src/warehouse';

let db: TestDatabase;
let api: TestPlatform;
let origin: string;

beforeAll(async () => {
  await ensureGraphiQLBundle();
  db = await freshDatabase();
  api = await startTestPlatform(db);
  origin = api.platform.gateway.url;
}, 120_000);
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

/** Relative imports of an ES module (`./chunk.js`), resolved against its URL. */
function importedModules(source: string, from: string): string[] {
  return [...source.matchAll(/(?:\bimport\s*\(?|\bfrom)\s*["'](\.\/[^"']+)["']/g)].map((m) => new URL(m[1]!, `${origin}${from}`).pathname);
}

describe('warehouse screen', () => {
  it('serves its HTML at /warehouse, whatever the query string, under a self-only content-security policy', async () => {
    for (const pagePath of ['/warehouse', '/warehouse/', '/warehouse?warehouse=0b7c&shipment=9f1e']) {
      const response = await fetch(`${origin}${pagePath}`);
      expect(response.status, pagePath).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('content-security-policy')).toBe(WAREHOUSE_CONTENT_SECURITY_POLICY);
      const html = await response.text();
      expect(html).toContain('<main id="warehouse"');
      expect(html).toContain('<title>Redthread Warehouse</title>');
    }
    const policy = WAREHOUSE_CONTENT_SECURITY_POLICY;
    for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) {
      expect(policy).toContain(directive);
    }
    expect(policy).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
  });

  it('loads every script and style from the gateway, and they reference no external host', async () => {
    const html = await (await fetch(`${origin}/warehouse`)).text();
    expect(html.match(THIRD_PARTY_HOSTS)).toBeNull();
    expect(html).not.toMatch(/https?:\/\//);
    const urls = referencedUrls(html);
    expect(urls.some((u) => u.endsWith('.js'))).toBe(true);
    expect(urls.some((u) => u.endsWith('.css'))).toBe(true);
    expect(urls.some((u) => u.endsWith('.svg')), 'its icon, so the browser asks for no /favicon.ico').toBe(true);
    // Scripts and styles are inline-free: the policy allows no inline code.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=/i);

    // Everything the page loads, following module imports.
    const pending = [...urls];
    const seen = new Set<string>();
    let bytes = 0;
    while (pending.length) {
      const url = pending.shift()!;
      if (seen.has(url)) continue;
      seen.add(url);
      expect(url, 'served by the gateway itself').toMatch(/^\/graphiql\/assets\/[\w.-]+\.(js|css|svg)$/);
      const response = await fetch(`${origin}${url}`);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type')).toBe(CONTENT_TYPES[path.extname(url)]);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const text = await response.text();
      bytes += text.length;
      expect(text.match(THIRD_PARTY_HOSTS), url).toBeNull();
      expect(text.match(LOADED_EXTERNAL_URL), url).toBeNull();
      if (url.endsWith('.js')) pending.push(...importedModules(text, url));
    }
    // Plain TypeScript and DOM plus graphql-ws: small enough for any wall screen.
    expect(bytes).toBeLessThan(150_000);
  });

  it('answers only its page: no other path, no method but GET and HEAD, no bundle HTML outside the routes', async () => {
    expect((await fetch(`${origin}/warehouse/nope`)).status).toBe(404);
    expect((await fetch(`${origin}/warehouse/page/index.html`)).status).toBe(404);
    expect((await fetch(`${origin}/warehousex`)).status).toBe(404);
    // The built HTML is reachable only through the page routes, which set its policy.
    expect((await fetch(`${origin}/graphiql/warehouse/page/index.html`)).status).toBe(404);
    expect((await fetch(`${origin}/warehouse`, { method: 'POST' })).status).toBe(405);
    const head = await fetch(`${origin}/warehouse`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-security-policy')).toBe(WAREHOUSE_CONTENT_SECURITY_POLICY);
  });

  it('revalidates the page by ETag', async () => {
    const first = await fetch(`${origin}/warehouse`);
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    const again = await fetch(`${origin}/warehouse`, { headers: { 'if-none-match': etag ?? '' } });
    expect(again.status).toBe(304);
  });

  it('has no URL to anywhere in its own source', async () => {
    const pageDir = path.join(import.meta.dirname, '../src/warehouse/page');
    for (const entry of await readdir(pageDir)) {
      // The SVG namespace is a name, never fetched.
      expect(await readFile(path.join(pageDir, entry), 'utf8'), entry).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg")/);
    }
  });
});
