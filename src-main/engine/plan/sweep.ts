import { ValidationError } from '../../errors'

/** Short names a sweep may use for train's flags. */
const aliases: Record<string, string> = { lr: 'learning-rate', batch: 'batch-size' }

export interface SweepPoint {
  /** Flag name (as `emoheal train` spells it) to value. */
  overrides: Record<string, string>
  label: string
}

/**
 * `--sweep "lr=1e-3,5e-4;preset=paper,native"`: axes split by ';', each a flag and its values split by ','.
 * The points are every combination, the first axis varying slowest. Flags are checked against `allowed`.
 */
export function parseSweep(spec: string | undefined, allowed: string[]): SweepPoint[] {
  if (spec === undefined || spec.trim() === '') return [{ overrides: {}, label: '' }]
  const axes = spec
    .split(';')
    .map((axis) => axis.trim())
    .filter(Boolean)
    .map((axis) => {
      const equals = axis.indexOf('=')
      if (equals <= 0) throw new ValidationError(`--sweep: "${axis}" is not NAME=VALUE,VALUE`, 'sweep')
      const raw = axis.slice(0, equals).trim().replace(/^--/, '')
      const name = aliases[raw] ?? raw
      if (!allowed.includes(name))
        throw new ValidationError(
          `--sweep: "${raw}" is not a flag a sweep can vary (${allowed.join(', ')})`,
          'sweep'
        )
      const values = axis
        .slice(equals + 1)
        .split(',')
        .map((value) => value.trim())
        .filter(Boolean)
      if (values.length === 0) throw new ValidationError(`--sweep: ${raw} has no values`, 'sweep')
      return { name, values }
    })
  const names = axes.map((axis) => axis.name)
  const repeated = names.find((name, i) => names.indexOf(name) !== i)
  if (repeated) throw new ValidationError(`--sweep: ${repeated} appears twice`, 'sweep')
  let points: Record<string, string>[] = [{}]
  for (const axis of axes)
    points = points.flatMap((point) => axis.values.map((value) => ({ ...point, [axis.name]: value })))
  return points.map((overrides) => ({
    overrides,
    label: Object.entries(overrides)
      .map(([name, value]) => `${name}=${value}`)
      .join(' ')
  }))
}
