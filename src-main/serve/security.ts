import { createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

/**
 * One Content-Security-Policy for both hosts: the serve mode sends it as a header and the renderer's
 * index.html carries the same text for Electron. Scripts come only from the app itself; the WebSocket
 * to the serve host is same-origin ('self').
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

/**
 * The auth cookie's name carries the port. Browsers send a host's cookies to every port on it, so
 * with one shared name two `emoheal serve` on different ports would overwrite each other's cookie
 * and a cookie from one would be offered to the other.
 */
export function tokenCookieName(port: number): string {
  return `emoheal_token_${port}`
}

/**
 * The cookie holds a MAC of the token and the port, not the token: whatever else listens on another
 * port of this host receives the cookie, and must learn neither the URL token from it nor a value
 * that any other port would accept (even one started with the same token).
 */
export function tokenCookieValue(token: string, port: number): string {
  return createHmac('sha256', token).update(`emoheal serve cookie for port ${port}`).digest('base64url')
}

/** Compares in constant time, so the answer's timing tells nothing about how much of a guess was right. */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (!given) return false
  const left = Buffer.from(given)
  const right = Buffer.from(expected)
  return left.length === right.length && timingSafeEqual(left, right)
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const equals = part.indexOf('=')
    if (equals > 0 && part.slice(0, equals).trim() === name) return part.slice(equals + 1).trim()
  }
  return undefined
}

/**
 * Whether a request may be let in by its cookie alone. A page on another port of 127.0.0.1 is
 * same-site, so SameSite=Strict still attaches the cookie to what it sends here; the browser does
 * say where a request comes from (Sec-Fetch-Site, and Origin where it sends one), and only requests
 * from this origin, or typed into the address bar ("none"), count. A client that sends neither
 * header is not a browser acting for a page (or one too old for Sec-Fetch-Site, where Origin on
 * fetches is what is left).
 */
export function cookieMayAuthorize(headers: IncomingHttpHeaders, ownOrigins: ReadonlySet<string>): boolean {
  const site = headers['sec-fetch-site']
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false
  const origin = headers.origin
  return origin === undefined || ownOrigins.has(origin)
}
