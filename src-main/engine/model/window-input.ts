import { ValidationError } from '../../errors'

export interface WindowsInput {
  channels: string[]
  /** [N][steps][channels] */
  windows: number[][][]
}

/**
 * Checks windows given as JSON against the channels and length a model expects. Every error names what is
 * wrong: the channel list, or the first window, row or value of the wrong shape.
 */
export function validateWindows(
  input: unknown,
  expectedChannels: readonly string[],
  steps: number
): Float32Array {
  if (typeof input !== 'object' || input === null)
    throw new ValidationError('input must be an object with channels and windows', 'input')
  const { channels, windows } = input as Partial<WindowsInput>
  if (!Array.isArray(channels) || channels.join(',') !== expectedChannels.join(',')) {
    throw new ValidationError(
      `channels must be ${JSON.stringify(expectedChannels)} in that order, got ${JSON.stringify(channels ?? null)}`,
      'channels'
    )
  }
  if (!Array.isArray(windows) || windows.length === 0)
    throw new ValidationError('windows must be a non-empty array', 'windows')
  const width = expectedChannels.length
  const data = new Float32Array(windows.length * steps * width)
  windows.forEach((window, index) => {
    if (!Array.isArray(window) || window.length !== steps) {
      throw new ValidationError(
        `windows[${index}] must hold ${steps} rows, got ${Array.isArray(window) ? window.length : typeof window}`,
        'windows'
      )
    }
    window.forEach((row, step) => {
      if (!Array.isArray(row) || row.length !== width) {
        throw new ValidationError(
          `windows[${index}][${step}] must hold ${width} values (${expectedChannels.join(', ')}), got ${Array.isArray(row) ? row.length : typeof row}`,
          'windows'
        )
      }
      row.forEach((value, channel) => {
        if (typeof value !== 'number' || !Number.isFinite(value)) {
          throw new ValidationError(
            `windows[${index}][${step}][${channel}] is not a finite number`,
            'windows'
          )
        }
        data[(index * steps + step) * width + channel] = value
      })
    })
  })
  return data
}
