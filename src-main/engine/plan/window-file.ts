import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { endianness } from 'node:os'
import { z } from 'zod'
import { FileFormatError } from '../../errors'
import type { Window, WindowSet } from '../windows/types'

/**
 * The windows of a plan, frozen as the engine cut them, in one file: a magic line, a little-endian uint32
 * header length, a JSON header (each set's options, shapes and per-window session, participant, time,
 * rating, label and physiological features), padding to four bytes, then every window's inputs as float32, set by set, window by
 * window, input by input. Tasks read it instead of the study, so the study is read once.
 */
const magic = Buffer.from('EMOHEAL-WINDOWS/1\n', 'ascii')

const headerSchema = z.object({
  sets: z.array(
    z.object({
      preset: z.enum(['paper', 'native']),
      target: z.enum(['arousal', 'valence']),
      labelSource: z.string(),
      threshold: z.number(),
      windowMs: z.number(),
      inputs: z.array(z.object({ name: z.string(), steps: z.number().int(), channels: z.number().int() })),
      channelNames: z.array(z.array(z.string())),
      dropped: z.object({ missingSignal: z.number(), gapped: z.number(), unlabelled: z.number() }),
      classCounts: z.array(z.number()),
      sessionId: z.array(z.number()),
      participant: z.array(z.string()),
      endMs: z.array(z.number()),
      rating: z.array(z.number()),
      label: z.array(z.number().int()),
      /** The logistic baseline's features of each window (Window.physiology), null where a window has none. */
      physiology: z.array(z.array(z.number().nullable()).nullable()).optional(),
      /** Where the set's floats start, counted in floats from the start of the float data. */
      floatOffset: z.number().int()
    })
  )
})

function requireLittleEndian(): void {
  // Float32Array views use the machine's byte order; the file is little-endian.
  if (endianness() !== 'LE')
    throw new Error('plan window files are read and written on little-endian machines')
}

function floatsPerWindow(set: Pick<WindowSet, 'inputs'>): number {
  return set.inputs.reduce((sum, shape) => sum + shape.steps * shape.channels, 0)
}

/** The bytes of a window file holding `sets`. */
export function encodeWindowSets(sets: WindowSet[]): Buffer {
  requireLittleEndian()
  let floatOffset = 0
  const header = {
    sets: sets.map((set) => {
      const entry = {
        preset: set.preset,
        target: set.target,
        labelSource: set.labelSource,
        threshold: set.threshold,
        windowMs: set.windowMs,
        inputs: set.inputs,
        channelNames: set.channelNames,
        dropped: set.dropped,
        classCounts: set.classCounts,
        sessionId: set.windows.map((w) => w.sessionId),
        participant: set.windows.map((w) => w.participant),
        endMs: set.windows.map((w) => w.endMs),
        rating: set.windows.map((w) => w.rating),
        label: set.windows.map((w) => w.label),
        physiology: set.windows.map((w) => w.physiology ?? null),
        floatOffset
      }
      floatOffset += set.windows.length * floatsPerWindow(set)
      return entry
    })
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  const headerEnd = magic.length + 4 + json.length
  const dataStart = Math.ceil(headerEnd / 4) * 4
  const out = Buffer.alloc(dataStart + floatOffset * 4)
  magic.copy(out, 0)
  out.writeUInt32LE(json.length, magic.length)
  json.copy(out, magic.length + 4)
  const floats = new Float32Array(out.buffer, out.byteOffset + dataStart, floatOffset)
  let at = 0
  for (const set of sets) {
    for (const window of set.windows) {
      window.inputs.forEach((input, i) => {
        const expected = set.inputs[i].steps * set.inputs[i].channels
        if (input.length !== expected)
          throw new Error(
            `window ${window.sessionId}:${window.endMs} input ${i} holds ${input.length} values, not ${expected}`
          )
        floats.set(input, at)
        at += input.length
      })
    }
  }
  return out
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Reads a window file, checking its content hash first: a changed or truncated file is an error naming it. */
export async function readWindowSets(file: string, expectedHash: string): Promise<WindowSet[]> {
  requireLittleEndian()
  const bytes = await fs.readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new FileFormatError(file, `cannot read the plan's windows (${error.code ?? error.message})`)
  })
  const actual = sha256(bytes)
  if (actual !== expectedHash)
    throw new FileFormatError(
      file,
      `content hash ${actual} is not the plan's ${expectedHash}: the file changed`
    )
  if (bytes.length < magic.length + 4 || !bytes.subarray(0, magic.length).equals(magic))
    throw new FileFormatError(file, 'not an EmoHeal window file')
  const length = bytes.readUInt32LE(magic.length)
  const headerEnd = magic.length + 4 + length
  if (headerEnd > bytes.length) throw new FileFormatError(file, 'header runs past the end of the file')
  let raw: unknown
  try {
    raw = JSON.parse(bytes.subarray(magic.length + 4, headerEnd).toString('utf8'))
  } catch (error) {
    throw new FileFormatError(file, `header is not JSON: ${(error as Error).message}`)
  }
  const parsed = headerSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new FileFormatError(file, `header field ${issue.path.join('.')}: ${issue.message}`)
  }
  const dataStart = Math.ceil(headerEnd / 4) * 4
  // A copy of its own, so that the floats are aligned whatever the read buffer's offset.
  const data = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset + dataStart, bytes.byteOffset + bytes.length)
  )
  return parsed.data.sets.map((entry, s) => {
    const per = floatsPerWindow(entry)
    const count = entry.label.length
    if (entry.floatOffset + count * per > data.length)
      throw new FileFormatError(file, `set ${s} runs past the end of the float data`)
    const windows: Window[] = entry.label.map((label, k) => {
      let at = entry.floatOffset + k * per
      const inputs = entry.inputs.map((shape) => {
        const input = data.subarray(at, at + shape.steps * shape.channels)
        at += shape.steps * shape.channels
        return input
      })
      return {
        sessionId: entry.sessionId[k],
        participant: entry.participant[k],
        endMs: entry.endMs[k],
        rating: entry.rating[k],
        label,
        inputs,
        ...(entry.physiology?.[k] ? { physiology: entry.physiology[k] } : {})
      }
    })
    return {
      preset: entry.preset,
      target: entry.target,
      labelSource: entry.labelSource as WindowSet['labelSource'],
      threshold: entry.threshold,
      windowMs: entry.windowMs,
      inputs: entry.inputs,
      channelNames: entry.channelNames,
      windows,
      dropped: entry.dropped,
      classCounts: entry.classCounts
    }
  })
}
