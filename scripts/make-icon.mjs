#!/usr/bin/env node
// Draws the app icon, resources/icon.png (256x256 RGBA): a white heart on a teal rounded square, crossed by
// a pulse trace. Generated rather than drawn so that it needs no image tool, only node's zlib; run it again
// (`node scripts/make-icon.mjs`) after changing the drawing, and commit the PNG.
import { Buffer } from 'node:buffer'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateSync } from 'node:zlib'

const size = 256
const samples = 4 // per axis: 16 samples a pixel smooth the edges
const output = join(dirname(dirname(fileURLToPath(import.meta.url))), 'resources', 'icon.png')

// The pulse trace, in the unit square: flat, a small bump, the spike, a dip, flat again.
const trace = [
  [0.1, 0.56],
  [0.34, 0.56],
  [0.4, 0.5],
  [0.45, 0.56],
  [0.5, 0.3],
  [0.56, 0.72],
  [0.61, 0.56],
  [0.9, 0.56]
]

function insideRoundedSquare(x, y) {
  const margin = 0.04
  const radius = 0.2
  const dx = Math.max(Math.abs(x - 0.5) - (0.5 - margin - radius), 0)
  const dy = Math.max(Math.abs(y - 0.5) - (0.5 - margin - radius), 0)
  return dx * dx + dy * dy <= radius * radius
}

function insideHeart(x, y) {
  // The curve (u² + v² - 1)³ = u² v³, scaled into the square with its point down.
  const u = (x - 0.5) / 0.3
  const v = (0.47 - y) / 0.3
  const a = u * u + v * v - 1
  return a * a * a - u * u * v * v * v <= 0
}

function distanceToTrace(x, y) {
  let best = Infinity
  for (let i = 1; i < trace.length; i++) {
    const [ax, ay] = trace[i - 1]
    const [bx, by] = trace[i]
    const t = Math.max(
      0,
      Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2))
    )
    best = Math.min(best, Math.hypot(x - ax - t * (bx - ax), y - ay - t * (by - ay)))
  }
  return best
}

/** The colour at one point, as [r, g, b, a]: background gradient, heart, trace. */
function colourAt(x, y) {
  if (!insideRoundedSquare(x, y)) return [0, 0, 0, 0]
  const teal = [15 + 25 * y, 118 + 60 * (1 - y), 110 + 50 * (1 - y), 255]
  if (distanceToTrace(x, y) < 0.028) return insideHeart(x, y) ? teal : [255, 255, 255, 255]
  return insideHeart(x, y) ? [255, 255, 255, 255] : teal
}

function render() {
  const pixels = Buffer.alloc(size * (size * 4 + 1)) // each row starts with PNG filter byte 0
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      const sum = [0, 0, 0, 0]
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const [r, g, b, a] = colourAt(
            (column + (sx + 0.5) / samples) / size,
            (row + (sy + 0.5) / samples) / size
          )
          // Premultiplied, so that transparent samples do not darken the edge.
          sum[0] += (r * a) / 255
          sum[1] += (g * a) / 255
          sum[2] += (b * a) / 255
          sum[3] += a
        }
      }
      const alpha = sum[3] / samples ** 2
      const offset = row * (size * 4 + 1) + 1 + column * 4
      for (let channel = 0; channel < 3; channel++) {
        pixels[offset + channel] = alpha ? Math.round((sum[channel] / samples ** 2) * (255 / alpha)) : 0
      }
      pixels[offset + 3] = Math.round(alpha)
    }
  }
  return pixels
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(bytes) {
  let c = 0xffffffff
  for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type, data) {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

const header = Buffer.alloc(13)
header.writeUInt32BE(size, 0)
header.writeUInt32BE(size, 4)
header[8] = 8 // bits per channel
header[9] = 6 // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', deflateSync(render(), { level: 9 })),
  chunk('IEND', Buffer.alloc(0))
])
mkdirSync(dirname(output), { recursive: true })
writeFileSync(output, png)
console.log(`wrote ${output} (${size}x${size}, ${png.length} bytes)`)
