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
