import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

/** Content types by file extension; anything else is served as `application/octet-stream`. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** Cache-Control for file names that carry a content hash (Vite's `assets/`): never revalidate. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
/** Cache-Control for everything else (the page itself): always revalidate, by ETag. */
export const REVALIDATE_CACHE = 'no-cache';

/** Smaller than this, or already compressed, is sent as is. */
const GZIP_MIN_BYTES = 1024;

interface StaticFile {
  body: Buffer;
  contentType: string;
  etag: string;
  cacheControl: string;
  gzipped?: Promise<Buffer>;
}

/** Options for {@link staticFiles}. */
export interface StaticFilesOptions {
  /** The folder to serve. Only files present when it is first read are served. */
  root: string;
  /** Whether a file (path relative to `root`, `/`-separated) has a content-hashed name. */
  isImmutable: (relativePath: string) => boolean;
}

/** Serves one folder's files from memory. */
export interface StaticFiles {
  /**
   * Answers `req` with the file at `relativePath` (relative to the root, `/`-separated, no
   * leading slash) and returns true, or returns false without answering when there is no such
   * file. GET and HEAD only; conditional requests (`If-None-Match`) get 304; gzip when accepted.
   */
  serve(req: IncomingMessage, res: ServerResponse, relativePath: string, extraHeaders?: Record<string, string>): Promise<boolean>;
  /** Whether the root folder exists and has files. */
  available(): Promise<boolean>;
}

/**
 * A small static file handler for a built bundle: reads the whole folder into memory on first
 * use (a few MB), and serves exactly those files, so no request path can reach anything else.
 * Content types come from {@link CONTENT_TYPES}; hashed assets are cached for a year, the rest
 * revalidated by ETag. A folder that does not exist yet is looked for again on the next request.
 */
export function staticFiles(options: StaticFilesOptions): StaticFiles {
  let loading: Promise<Map<string, StaticFile>> | undefined;
  const files = async () => {
    loading ??= loadFolder(options).then((loaded) => {
      if (loaded.size === 0) loading = undefined;
      return loaded;
    });
    return loading;
  };

  return {
    available: async () => (await files()).size > 0,
    serve: async (req, res, relativePath, extraHeaders = {}) => {
      const file = (await files()).get(relativePath);
      if (!file) return false;
      const method = (req.method ?? 'GET').toUpperCase();
      if (method !== 'GET' && method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
        res.end('Method not allowed.\n');
        return true;
      }
      const headers: Record<string, string | number> = {
        'content-type': file.contentType,
        'cache-control': file.cacheControl,
        etag: file.etag,
        'x-content-type-options': 'nosniff',
        ...extraHeaders,
      };
      if (file.gzipped) headers['vary'] = 'Accept-Encoding';
      if (ifNoneMatch(req, file.etag)) {
        res.writeHead(304, headers);
        res.end();
        return true;
      }
      let body = file.body;
      if (file.gzipped && acceptsGzip(req)) {
        body = await file.gzipped;
        headers['content-encoding'] = 'gzip';
      }
      headers['content-length'] = body.length;
      res.writeHead(200, headers);
      res.end(method === 'HEAD' ? undefined : body);
      return true;
    },
  };
}

async function loadFolder({ root, isImmutable }: StaticFilesOptions): Promise<Map<string, StaticFile>> {
  const loaded = new Map<string, StaticFile>();
  let entries;
  try {
    entries = await readdir(root, { recursive: true, withFileTypes: true });
  } catch {
    return loaded;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const absolute = path.join(entry.parentPath, entry.name);
    const relative = path.relative(root, absolute).split(path.sep).join('/');
    const body = await readFile(absolute);
    const contentType = CONTENT_TYPES[path.extname(entry.name).toLowerCase()] ?? 'application/octet-stream';
    const file: StaticFile = {
      body,
      contentType,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      cacheControl: isImmutable(relative) ? IMMUTABLE_CACHE : REVALIDATE_CACHE,
    };
    if (body.length >= GZIP_MIN_BYTES && isCompressible(contentType)) {
      const gzipped = gzipAsync(body);
      gzipped.catch(() => {}); // surfaced when served
      file.gzipped = gzipped;
    }
    loaded.set(relative, file);
  }
  return loaded;
}

function isCompressible(contentType: string): boolean {
  return /^(text\/|application\/(json|wasm)|image\/svg\+xml|font\/ttf)/.test(contentType);
}

function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  return parseQualityList(header).some(({ value, quality }) => (value === 'gzip' || value === '*') && quality > 0);
}

/** Parses an `Accept`-style header (`a;q=0.5, b`) into lower-cased values with their quality (default 1). */
export function parseQualityList(header: string): { value: string; quality: number }[] {
  return header
    .split(',')
    .map((part) => {
      const [value = '', ...params] = part.split(';').map((p) => p.trim());
      const q = params.find((p) => p.toLowerCase().startsWith('q='));
      const quality = q ? Number(q.slice(2)) : 1;
      return { value: value.toLowerCase(), quality: Number.isFinite(quality) ? quality : 0 };
    })
    .filter((entry) => entry.value !== '');
}

function ifNoneMatch(req: IncomingMessage, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (!header) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed === etag || trimmed === `W/${etag}`;
  });
}
