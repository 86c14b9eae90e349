import { parseArgs, type ParseArgsConfig } from 'node:util'
import { ValidationError } from '../errors'

/**
 * A CLI command: parses its own flags, returns a JSON-able result. The runner prints the result as JSON
 * with --json, otherwise through `format`, and turns any thrown error into one line and exit code 1.
 */
export interface CliCommand {
  /** Words that select the command, e.g. ['import', 'kemocon'] or ['sessions']. */
  path: string[]
  summary: string
  usage: string
  options: NonNullable<ParseArgsConfig['options']>
  /** Whether positional arguments are accepted. */
  positionals?: boolean
  run(input: CliInput): Promise<unknown>
  format?(result: unknown): string
}

export interface CliInput {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>
  positionals: string[]
  json: boolean
  /** Progress lines go to stderr so that --json stdout stays machine-readable. */
  progress(line: string): void
}

export const commonOptions = {
  json: { type: 'boolean' },
  study: { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const

export function parseCommandArgs(
  command: CliCommand,
  argv: string[]
): { values: CliInput['values']; positionals: string[] } {
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...commonOptions, ...command.options },
      allowPositionals: command.positionals ?? false,
      strict: true
    })
    return { values: parsed.values as CliInput['values'], positionals: parsed.positionals }
  } catch (error) {
    throw new ValidationError(`${(error as Error).message.split('\n')[0]} (usage: emoheal ${command.usage})`)
  }
}

export function stringOption(values: CliInput['values'], name: string): string | undefined {
  const value = values[name]
  return typeof value === 'string' ? value : undefined
}

export function requireString(values: CliInput['values'], name: string): string {
  const value = stringOption(values, name)
  if (value === undefined || value === '') throw new ValidationError(`--${name} is required`, name)
  return value
}

export function numberOption(
  values: CliInput['values'],
  name: string,
  fallback?: number
): number | undefined {
  const raw = stringOption(values, name)
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!Number.isFinite(value)) throw new ValidationError(`--${name} must be a number, got "${raw}"`, name)
  return value
}

export function integerOption(
  values: CliInput['values'],
  name: string,
  fallback?: number
): number | undefined {
  const value = numberOption(values, name, fallback)
  if (value !== undefined && !Number.isInteger(value))
    throw new ValidationError(`--${name} must be an integer, got ${value}`, name)
  return value
}
