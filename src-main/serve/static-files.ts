import { realpath, stat } from 'node:fs/promises'
import { extname, isAbsolute, join, relative, sep } from 'node:path'
import { HttpRequestError } from './errors'
import { SERVE_LIMITS } from './limits'

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2'
}

export function contentTypeOf(file: string): string {
  return MIME[extname(file)] ?? 'application/octet-stream'
}

function isInside(root: string, path: string): boolean {
  const rest = relative(root, path)
  return rest !== '' && rest !== '..' && !rest.startsWith(`..${sep}`) && !isAbsolute(rest)
}

const notFound = (): HttpRequestError => new HttpRequestError(404, 'not found')

/**
 * The file of the renderer folder that a URL path names. `root` is the folder's real path and
 * `pathname` comes from the WHATWG URL parser, which has already turned "\" into "/" and resolved
 * dot segments, plain or percent-encoded; what is left to refuse is what only decoding reveals.
 * Throws HttpRequestError: 400 for a path no page of the app asks for, 404 for anything else that
 * is not a regular file inside the folder.
 */
export async function resolveStaticFile(root: string, pathname: string): Promise<string> {
  if (pathname.length > SERVE_LIMITS.maxPathLength) {
    throw new HttpRequestError(400, `path longer than ${SERVE_LIMITS.maxPathLength} characters`)
  }
  const segments: string[] = []
  for (const encoded of pathname.split('/').slice(1)) {
    let segment: string
    try {
      segment = decodeURIComponent(encoded)
    } catch {
      throw new HttpRequestError(400, 'malformed percent-encoding in the path')
    }
    // An encoded separator or dot segment would change which file the name means once decoded, and a
    // NUL ends the name early in C code further down: the server refuses them rather than guess.
    if (/[\\/\0]/.test(segment) || segment === '.' || segment === '..') {
      throw new HttpRequestError(400, 'encoded separator, dot segment or NUL in the path')
    }
    segments.push(segment)
  }
  const candidate = join(root, ...segments)
  if (!isInside(root, candidate)) throw notFound()
  let real: string
  try {
    real = await realpath(candidate)
  } catch {
    throw notFound()
  }
  // A link inside the folder may lead anywhere: only the place it resolves to counts.
  if (!isInside(root, real)) throw notFound()
  const found = await stat(real).catch(() => null)
  if (!found?.isFile()) throw notFound()
  return real
}
