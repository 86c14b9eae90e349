/**
 * Renders text taken from an imported file (a cell, a header, a first line) for an error message. The
 * message reaches a terminal, a log and the renderer, so the token must not carry control bytes, bidi
 * overrides (which reorder what the reader sees), invalid UTF-8 or a megabyte of digits: each of these is
 * shown escaped, and the token is cut short with its full size said.
 */

/** Code points shown as escapes: controls, format characters (bidi, BOM, zero-width), separators other than a space, unassigned and private ones. */
const INVISIBLE = /[\p{C}\p{Z}]/u

function escapeCodePoint(code: number): string {
  if (code === 0x22) return '\\"'
  if (code === 0x5c) return '\\\\'
  if (code === 0x0a) return '\\n'
  if (code === 0x0d) return '\\r'
  if (code === 0x09) return '\\t'
  const char = String.fromCodePoint(code)
  // U+FFFD says that bytes were lost in decoding: show it, never pass it off as the file's text.
  if (code === 0xfffd || (code !== 0x20 && INVISIBLE.test(char))) {
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u{${code.toString(16).toUpperCase()}}`
  }
  return char
}

/** Length of the valid UTF-8 sequence at `i` and its code point, or undefined for a byte that starts none. */
function utf8At(bytes: Uint8Array, i: number): { length: number; code: number } | undefined {
  const lead = bytes[i]
  if (lead < 0x80) return { length: 1, code: lead }
  const length = lead >= 0xf0 && lead <= 0xf4 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 && lead <= 0xdf ? 2 : 0
  if (length === 0 || i + length > bytes.length) return undefined
  let code = lead & (0xff >> (length + 1))
  for (let k = 1; k < length; k++) {
    const next = bytes[i + k]
    if ((next & 0xc0) !== 0x80) return undefined
    code = (code << 6) | (next & 0x3f)
  }
  // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
  const smallest = [0, 0, 0x80, 0x800, 0x10000][length]
  if (code < smallest || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return undefined
  return { length, code }
}

/** The text of a token, escaped, at most `maxChars` source characters; `cut` says whether some were left off. */
function escapeToken(value: string | Uint8Array, maxChars: number): { text: string; cut: boolean } {
  let text = ''
  let shown = 0
  if (typeof value === 'string') {
    for (const char of value) {
      if (shown === maxChars) return { text, cut: true }
      text += escapeCodePoint(char.codePointAt(0)!)
      shown++
    }
    return { text, cut: false }
  }
  for (let i = 0; i < value.length;) {
    if (shown === maxChars) return { text, cut: true }
    const decoded = utf8At(value, i)
    if (decoded) {
      text += escapeCodePoint(decoded.code)
      i += decoded.length
    } else {
      text += `\\x${value[i].toString(16).padStart(2, '0')}`
      i++
    }
    shown++
  }
  return { text, cut: false }
}

function sizeOf(value: string | Uint8Array): string {
  return typeof value === 'string' ? `${[...value].length} characters` : `${value.length} bytes`
}

/** A token from a file, quoted and escaped: `"abc"`, `"\x00\u{202E}1"`, `"777…" (18088 bytes)`. */
export function renderToken(value: string | Uint8Array, maxChars = 40): string {
  const { text, cut } = escapeToken(value, maxChars)
  return cut ? `"${text}…" (${sizeOf(value)})` : `"${text}"`
}

/** Names (a header) escaped one by one, unquoted, joined by commas and cut short as a whole. */
export function renderList(names: string[], maxChars = 160): string {
  let text = ''
  for (let k = 0; k < names.length; k++) {
    const { text: name, cut } = escapeToken(names[k], 40)
    const next = `${k > 0 ? ', ' : ''}${name}${cut ? '…' : ''}`
    if (k > 0 && text.length + next.length > maxChars) return `${text}, … (${names.length} columns)`
    text += next
  }
  return text
}

/** A number read from a file, as it would be written back (no more digits than it has). */
export function renderNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : renderToken(String(value))
}
