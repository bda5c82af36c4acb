import { readFile, readdir } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, DEV_JWT_SECRET } from '@redthread/kit';
import { freshDatabase, type TestDatabase } from '../../test/database';
import { startTestPlatform, type TestPlatform } from '../../test/platform';
import { LOADED_EXTERNAL_URL, referencedUrls, THIRD_PARTY_HOSTS } from './self-contained';
import { ensureGraphiQLBundle } from '../src/graphiql/build';
import { GRAPHIQL_CONTENT_SECURITY_POLICY, GRAPHIQL_DIST_DIR, graphiqlRoutes, prefersHtml, usesDevelopmentSecret } from '../src/graphiql';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

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

async function bundleFiles(): Promise<string[]> {
  const entries = await readdir(GRAPHIQL_DIST_DIR, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('GraphiQL page', () => {
  it('serves HTML at /graphiql that loads its scripts and styles from the gateway itself', async () => {
    for (const pagePath of ['/graphiql', '/graphiql/']) {
      const response = await fetch(`${origin}${pagePath}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(response.headers.get('content-security-policy')).toBe(GRAPHIQL_CONTENT_SECURITY_POLICY);
      const html = await response.text();
      expect(html).toContain('<div id="graphiql"');
      const urls = referencedUrls(html);
      expect(urls.some((u) => u.endsWith('.js'))).toBe(true);
      expect(urls.some((u) => u.endsWith('.css'))).toBe(true);
      for (const url of urls) expect(url).toMatch(/^\/graphiql\/assets\/[\w.-]+\.(js|css)$/);
    }
  });

  it('serves the assets with their content type, long-lived caching and gzip', async () => {
    const html = await (await fetch(`${origin}/graphiql`)).text();
    for (const url of referencedUrls(html)) {
      const response = await fetch(`${origin}${url}`);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type')).toBe(url.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);

      const etag = response.headers.get('etag');
      expect(etag).toBeTruthy();
      const revalidated = await fetch(`${origin}${url}`, { headers: { 'if-none-match': etag ?? '' } });
      expect(revalidated.status).toBe(304);
    }
    // Fonts and workers come from the bundle too.
    const assets = (await bundleFiles()).map((f) => path.relative(GRAPHIQL_DIST_DIR, f));
    const font = assets.find((f) => f.endsWith('.ttf'));
    const worker = assets.find((f) => /worker.*\.js$/.test(f));
    expect(font && worker).toBeTruthy();
    expect((await fetch(`${origin}/graphiql/${font}`)).headers.get('content-type')).toBe('font/ttf');
    expect((await fetch(`${origin}/graphiql/${worker}`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');

    const script = referencedUrls(html).find((u) => u.endsWith('.js')) ?? '';
    const gzipped = await rawGet(`${origin}${script}`, { 'accept-encoding': 'gzip' });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzipped.body).toString('utf8')).toBe(await readFile(path.join(GRAPHIQL_DIST_DIR, script.slice('/graphiql/'.length)), 'utf8'));
  });

  it('answers 404 for files that are not in the bundle, whatever the path says', async () => {
    expect((await fetch(`${origin}/graphiql/assets/nope.js`)).status).toBe(404);
    for (const sneaky of ['/graphiql/../package.json', '/graphiql/%2e%2e/%2e%2e/package.json', '/graphiql/..%2Fsrc%2Findex.ts']) {
      expect((await rawGet(`${origin}${sneaky}`)).status, sneaky).toBe(404);
    }
    const post = await fetch(`${origin}/graphiql`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('sends a browser asking for / to GraphiQL, and everyone else the usual 404', async () => {
    const redirect = await fetch(`${origin}/`, { headers: { accept: BROWSER_ACCEPT }, redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/graphiql');
    const followed = await fetch(`${origin}/`, { headers: { accept: BROWSER_ACCEPT } });
    expect(followed.url).toBe(`${origin}/graphiql`);
    expect(await followed.text()).toContain('<div id="graphiql"');

    for (const accept of ['*/*', 'application/json', 'application/json, text/html;q=0.5']) {
      const response = await fetch(`${origin}/`, { headers: { accept }, redirect: 'manual' });
      expect(response.status, accept).toBe(404);
    }
  });

  it('references no external host that a browser would load', async () => {
    const files = await bundleFiles();
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      if (!/\.(html|js|css)$/.test(file)) continue;
      const text = await readFile(file, 'utf8');
      const name = path.relative(GRAPHIQL_DIST_DIR, file);
      expect(text.match(THIRD_PARTY_HOSTS), name).toBeNull();
      expect(text.match(LOADED_EXTERNAL_URL), name).toBeNull();
      if (file.endsWith('.html')) {
        for (const url of referencedUrls(text)) expect(url, name).toMatch(/^\/graphiql\//);
      }
      if (file.endsWith('.css')) {
        for (const [, url] of text.matchAll(/url\(\s*["']?([^"')]+)/g)) expect(url, name).toMatch(/^(data:|\/graphiql\/|\.\/|[\w.-]+$)/);
      }
    }
    // The page's own source has no URL to anywhere at all.
    const pageDir = path.join(import.meta.dirname, '../src/graphiql/page');
    for (const entry of await readdir(pageDir)) {
      expect(await readFile(path.join(pageDir, entry), 'utf8'), entry).not.toMatch(/https?:\/\//);
    }
  });

  it('offers no dev tokens unless the gateway was given them', async () => {
    expect((await fetch(`${origin}/graphiql/dev-tokens`)).status).toBe(404);
  });
});

describe('GraphiQL dev tokens', () => {
  const tokens = [{ partnerCode: 'SHOP-A', roles: ['admin'], token: 'dev-token' }];
  const logger = createLogger('graphiql-test');

  async function serve(offerDevTokens: boolean): Promise<{ url: string; server: Server }> {
    const routes = graphiqlRoutes({ devTokens: async () => tokens, offerDevTokens, logger });
    const server = createServer((req, res) => {
      void routes(req, res).then((served) => {
        if (!served) res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
  }

  it('serves the tokens, uncached, with the development secret', async () => {
    const { url, server } = await serve(true);
    try {
      const response = await fetch(`${url}/graphiql/dev-tokens`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toEqual({ tokens });
    } finally {
      server.close();
    }
  });

  it('hides them with any other secret or a JWKS', async () => {
    expect(usesDevelopmentSecret({ jwtSecret: DEV_JWT_SECRET })).toBe(true);
    expect(usesDevelopmentSecret({ jwtSecret: 'a-real-secret-of-at-least-32-characters!' })).toBe(false);
    expect(usesDevelopmentSecret({ jwtSecret: DEV_JWT_SECRET, jwksUrl: 'https://id.example/jwks' })).toBe(false);
    const { url, server } = await serve(false);
    try {
      expect((await fetch(`${url}/graphiql/dev-tokens`)).status).toBe(404);
    } finally {
      server.close();
    }
  });
});

describe('prefersHtml', () => {
  it.each([
    [BROWSER_ACCEPT, true],
    ['text/html', true],
    ['*/*', false],
    ['application/json', false],
    ['application/graphql-response+json, application/json;q=0.9', false],
    ['application/json, text/html;q=0.5', false],
    ['text/html;q=0', false],
    [undefined, false],
  ])('%s → %s', (accept, expected) => {
    expect(prefersHtml(accept)).toBe(expected);
  });
});

/** A GET that sends the path exactly as written (fetch would normalise `..`) and keeps the raw body. */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const { hostname, port } = new URL(url);
  const rawPath = url.slice(url.indexOf('/', url.indexOf('//') + 2));
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: rawPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
