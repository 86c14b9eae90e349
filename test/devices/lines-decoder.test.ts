import { describe, expect, it } from 'vitest'
import {
  LineDecoder,
  MAX_LINE_BYTES,
  parseLine,
  type DecodedLines,
  type LineDecoderOptions,
  type LineErrorCause
} from '../../src-main/devices/lines/line-decoder'

/** Every data row and the error counts of pushing `chunks` in order into one decoder. */
function decode(chunks: (string | Uint8Array)[], options?: LineDecoderOptions) {
  const decoder = new LineDecoder(options)
  const rows: number[][] = []
  const errors: Partial<Record<LineErrorCause, number>> = {}
  const details: Partial<Record<LineErrorCause, string>> = {}
  for (const chunk of chunks) {
    const decoded: DecodedLines = decoder.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
    const width = decoded.lines ? decoded.values.length / decoded.lines : 0
    for (let i = 0; i < decoded.lines; i++) rows.push(decoded.values.slice(i * width, (i + 1) * width))
    for (const { cause, count, detail } of decoded.errors) {
      errors[cause] = (errors[cause] ?? 0) + count
      details[cause] = detail
    }
  }
  return { rows, errors, details, channels: decoder.channels, decoder }
}

// Each stream starts with a line the decoder must drop as possibly cut (the port opened mid-line).
describe('line decoder: formats', () => {
  it.each([
    ['comma', 'x\n1,2.5,-3\n4,5e1,6\n'],
    ['tab', 'x\n1\t2.5\t-3\n4\t5e1\t6\n'],
    ['space', 'x\n1 2.5 -3\n4 5e1 6\n'],
    ['comma and spaces, trailing separator', 'x\n1, 2.5, -3,\n 4 ,5e1 ,6 \n'],
    ['CRLF', 'x\r\n1,2.5,-3\r\n4,5e1,6\r\n']
  ])('%s', (_, text) => {
    const { rows, channels, errors } = decode([text])
    expect(rows).toEqual([
      [1, 2.5, -3],
      [4, 50, 6]
    ])
    expect(channels).toEqual({ names: ['ch1', 'ch2', 'ch3'], naming: 'numbered' })
    expect(errors).toEqual({})
  })

  it('label:value pairs name the channels in order of first appearance, and map later lines by label', () => {
    const { rows, channels, errors } = decode(['cut\neda:1.5\thr:60\n', 'hr:61,eda:1.25\neda: 2 hr: 62\n'])
    expect(channels).toEqual({ names: ['eda', 'hr'], naming: 'labels' })
    expect(rows).toEqual([
      [1.5, 60],
      [1.25, 61],
      [2, 62]
    ])
    expect(errors).toEqual({})
  })

  it('a pair line missing a label is rejected, not stored with NaN; an unknown label is a relabel', () => {
    const { rows, errors, details } = decode(['\na:1 b:2 c:3\na:4 c:6\na:7 b:8 d:9\na:10 b:11 c:12\n'])
    expect(rows).toEqual([
      [1, 2, 3],
      [10, 11, 12]
    ])
    expect(errors).toEqual({ 'wrong-count': 1, relabel: 1 })
    expect(details['wrong-count']).toBe('2 labels, not 3: a:4 c:6')
    expect(details.relabel).toBe('unknown label d: a:7 b:8 d:9')
  })

  it('a header line names the channels', () => {
    const { rows, channels } = decode(['garbage\neda,hr,temp\n', '1,2,3\n'])
    expect(channels).toEqual({ names: ['eda', 'hr', 'temp'], naming: 'header' })
    expect(rows).toEqual([[1, 2, 3]])
  })

  it('a label-only line names the channels', () => {
    const { rows, channels } = decode(['\nleft:\tright:\n7 8\n'])
    expect(channels).toEqual({ names: ['left', 'right'], naming: 'labels' })
    expect(rows).toEqual([[7, 8]])
  })

  it('the first line may be the header, sent at reset right after the port opened', () => {
    const { rows, channels } = decode(['a\tb\n1\t2\n'])
    expect(channels).toEqual({ names: ['a', 'b'], naming: 'header' })
    expect(rows).toEqual([[1, 2]])
  })

  it("numeric-only labels are not names (Arduino's rule): such a header line is data", () => {
    const { rows, channels } = decode(['\n1 2 3\n4 5 6\n'])
    expect(channels?.naming).toBe('numbered')
    expect(rows).toEqual([
      [1, 2, 3],
      [4, 5, 6]
    ])
    expect(parseLine('x,1,z')).toEqual({ kind: 'rejected', cause: 'unparsed' })
    expect(parseLine('0x10 1e3')).toEqual({ kind: 'values', values: [16, 1000] })
  })

  it('uses the last header whose count matches the data, skipping a banner printed before it', () => {
    const { channels } = decode(['\nbooting sensor v2\nx y\nstill warming up\n1 2\n'])
    expect(channels).toEqual({ names: ['x', 'y'], naming: 'header' })
  })

  it('a header of another count is not used: the settings name the channels, else ch1..chN', () => {
    expect(decode(['\na,b\n1,2,3\n'], { channels: ['p', 'q', 'r'] }).channels).toEqual({
      names: ['p', 'q', 'r'],
      naming: 'settings'
    })
    expect(decode(['\na,b\n1,2,3\n'], { channels: ['p', 'q'] }).channels).toEqual({
      names: ['ch1', 'ch2', 'ch3'],
      naming: 'numbered'
    })
  })

  it('labels from the device win over the settings', () => {
    expect(decode(['\nu:1 v:2\n'], { channels: ['p', 'q'] }).channels?.names).toEqual(['u', 'v'])
  })
})

describe('line decoder: the first line and chunk boundaries', () => {
  it('drops the first line even when its count matches, since a value in it may be cut', () => {
    // "123,456,789" joined two characters in reads "3,456,789": three values, the first one wrong.
    const { rows, errors } = decode(['3,456,789\n124,457,790\n'])
    expect(rows).toEqual([[124, 457, 790]])
    expect(errors).toEqual({})
  })

  it('fixes the count from the line after a cut first line of another count', () => {
    const { rows, channels, errors } = decode(['6,789\n124,457,790\n125,458,791\n'])
    expect(channels?.names).toHaveLength(3)
    expect(rows).toHaveLength(2)
    expect(errors).toEqual({})
  })

  it('keeps the line after an empty first line: the port opened right at a line end', () => {
    expect(decode(['\r\n1,2\n']).rows).toEqual([[1, 2]])
  })

  const stream = 'cut\r\neda:\thr:\r\n1.5\t60\r\n-2\t61\r\nERR sensor\r\n3\t62\r\n'
  const whole = decode([stream])

  it('decodes the same whatever byte a chunk boundary falls on', () => {
    expect(whole.rows).toEqual([
      [1.5, 60],
      [-2, 61],
      [3, 62]
    ])
    expect(whole.errors).toEqual({ 'device-error': 1 })
    for (let at = 0; at <= stream.length; at++) {
      const split = decode([stream.slice(0, at), stream.slice(at)])
      expect(split.rows, `split at ${at}`).toEqual(whole.rows)
      expect(split.channels, `split at ${at}`).toEqual(whole.channels)
      expect(split.errors, `split at ${at}`).toEqual(whole.errors)
    }
  })

  it('decodes byte by byte', () => {
    const bytes = Buffer.from(stream)
    const split = decode([...bytes].map((byte) => Uint8Array.of(byte)))
    expect(split.rows).toEqual(whole.rows)
    expect(split.errors).toEqual(whole.errors)
  })

  it('decodes a UTF-8 label cut inside a character', () => {
    const bytes = Buffer.from('\ntemp°C:21.5\n')
    const cut = bytes.indexOf(0xb0) // the second byte of '°' (0xc2 0xb0)
    const { channels, rows } = decode([bytes.subarray(0, cut), bytes.subarray(cut)])
    expect(channels?.names).toEqual(['temp°C'])
    expect(rows).toEqual([[21.5]])
  })
})

describe('line decoder: what is not data is counted, never stored', () => {
  it('counts wrong counts, non-numbers, non-finite values and ERR lines by cause, keeping the last', () => {
    const lines = [
      'cut',
      '1,2,3',
      '4,5', // wrong-count
      '6,seven,8', // unparsed
      'nan,1,2', // non-finite (Arduino prints nan)
      '1,inf,2', // non-finite
      '1,2,-Infinity', // non-finite
      '1e999,1,2', // non-finite: overflows to Infinity
      'ERR: no sensor', // device-error
      '<err busy>', // device-error, case ignored
      '4,5,6,7', // wrong-count
      '7,8,9'
    ]
    const { rows, errors, details, decoder } = decode([lines.join('\n') + '\n'])
    expect(rows).toEqual([
      [1, 2, 3],
      [7, 8, 9]
    ])
    expect(errors).toEqual({ 'wrong-count': 2, unparsed: 1, 'non-finite': 4, 'device-error': 2 })
    expect(details['wrong-count']).toBe('4 values, not 3: 4,5,6,7')
    expect(details['device-error']).toBe('<err busy>')
    expect(decoder.totals).toEqual(errors)
    expect(decoder.lastRejected).toBe('wrong-count: 4 values, not 3: 4,5,6,7')
  })

  it('reports the errors of each push on their own', () => {
    const decoder = new LineDecoder()
    decoder.push(Buffer.from('\n1,2\n1\n'))
    const next = decoder.push(Buffer.from('1\n2,3\n'))
    expect(next.errors).toEqual([{ cause: 'wrong-count', count: 1, detail: '1 values, not 2: 1' }])
    expect(next.values).toEqual([2, 3])
    expect(decoder.totals['wrong-count']).toBe(2)
  })

  it('shortens a long rejected line in the detail', () => {
    const long = Array.from({ length: 60 }, (_, i) => `v${i}`).join(',')
    const { details } = decode([`\n1,2\n${long}\n`])
    expect(details.unparsed).toHaveLength(80)
    expect(details.unparsed!.endsWith('…')).toBe(true)
  })

  it('counts an overlong line once and skips it without keeping it, in one chunk or many', () => {
    const long = '1,'.repeat(MAX_LINE_BYTES)
    const oneChunk = decode([`\n1,2\n${long}1\n3,4\n`])
    expect(oneChunk.rows).toEqual([
      [1, 2],
      [3, 4]
    ])
    expect(oneChunk.errors).toEqual({ overlong: 1 })
    expect(oneChunk.details.overlong).toMatch(/^1,1,.*… \(over 4096 bytes\)$/)

    // A megabyte with no line end, 1000 bytes at a time: still one error, and the next line decodes.
    const chunks = ['\n1,2\n', ...Array.from({ length: 1000 }, () => '9'.repeat(1000)), '\n5,6\n']
    const many = decode(chunks)
    expect(many.rows).toEqual([
      [1, 2],
      [5, 6]
    ])
    expect(many.errors).toEqual({ overlong: 1 })
  })

  it('takes a line of exactly the limit', () => {
    const line = `1,${'0'.repeat(MAX_LINE_BYTES - 2)}`
    expect(decode([`\n${line}\n`]).rows).toEqual([[1, 0]])
  })
})

describe('line decoder: the channels stay as the first data line fixed them', () => {
  it('ignores the same header again but counts a header naming other channels, never remapping', () => {
    const { rows, channels, errors, details } = decode([
      '\na,b\n1,2\na,b\n3,4\nb,a\n5,6\nc:\td:\n7,8\nplease wait\nsetup done now\n'
    ])
    expect(channels).toEqual({ names: ['a', 'b'], naming: 'header' })
    expect(rows).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8]
    ])
    // "please wait" has two words like a header would; "setup done now" has three: just a message.
    expect(errors).toEqual({ relabel: 3, unparsed: 1 })
    expect(details.relabel).toBe('names 2 channels, not a,b: please wait')
  })

  it('a header line after labelled data is a relabel unless it repeats the labels', () => {
    const { rows, errors } = decode(['\nx:1 y:2\nx y\ny x\n3 4\n'])
    expect(rows).toEqual([
      [1, 2],
      [3, 4]
    ])
    expect(errors).toEqual({ relabel: 1 })
  })
})

describe('parseLine', () => {
  it('classifies lines', () => {
    expect(parseLine('  \r')).toEqual({ kind: 'empty' })
    expect(parseLine('a:1 a:2')).toEqual({ kind: 'rejected', cause: 'unparsed', reason: 'a label twice' })
    expect(parseLine('a:1 b:')).toEqual({
      kind: 'rejected',
      cause: 'unparsed',
      reason: 'a label without a value'
    })
    expect(parseLine('a:1 2')).toEqual({ kind: 'rejected', cause: 'unparsed' })
    expect(parseLine(':1')).toEqual({ kind: 'rejected', cause: 'unparsed' })
    expect(parseLine('t:12:30')).toEqual({ kind: 'rejected', cause: 'unparsed' })
    expect(parseLine('a:nan')).toEqual({ kind: 'rejected', cause: 'non-finite' })
    expect(parseLine('a,a')).toEqual({ kind: 'rejected', cause: 'unparsed', reason: 'a name twice' })
    expect(parseLine('-ovf 1')).toEqual({ kind: 'rejected', cause: 'non-finite' })
  })
})
