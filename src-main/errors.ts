import type { z } from 'zod'

/**
 * Domain errors. Only `{ name, message, field }` crosses IPC or reaches the command line, so every
 * message must say by itself what was wrong and where (file, line, field).
 */
export class EmohealError extends Error {
  override name = 'EmohealError'
  constructor(
    message: string,
    readonly field?: string
  ) {
    super(message)
  }
}

/** A bad argument from a caller (IPC call, CLI flag): names the field. */
export class ValidationError extends EmohealError {
  override name = 'ValidationError'
}

/** How a ValidationError made from a schema's issue names the field, for its caller (an IPC call, a CLI flag). */
export interface FieldNaming {
  /** The field the error names, from the issue's dotted path (e.g. a CLI flag for a request field). */
  field?: (path: string) => string
  /** How the message shows that field (`--epochs`, `train.start: epochs`); the field itself by default. */
  shown?: (field: string) => string
  /** The path of an issue about the whole value. */
  whole?: string
}

/**
 * The first issue of a failed parse as one ValidationError naming its field, so that the IPC dispatcher and
 * every CLI command refuse bad input in the same words.
 */
export function validationErrorOf(error: z.ZodError, naming: FieldNaming = {}): ValidationError {
  const issue = error.issues[0]
  const path = issue.path.map(String).join('.') || (naming.whole ?? '(argument)')
  const field = naming.field?.(path) ?? path
  return new ValidationError(`${naming.shown?.(field) ?? field}: ${issue.message}`, field)
}

/** The schema's output for `value`, or the ValidationError of its first issue. */
export function parseOrRefuse<S extends z.ZodType>(
  schema: S,
  value: unknown,
  naming?: FieldNaming
): z.output<S> {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw validationErrorOf(parsed.error, naming)
  return parsed.data
}

/** A file that cannot be read as what it claims to be: names the file and, where known, the line. */
export class FileFormatError extends EmohealError {
  override name = 'FileFormatError'
  constructor(
    readonly file: string,
    message: string,
    readonly line?: number
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${message}`)
  }
}

export class NotFoundError extends EmohealError {
  override name = 'NotFoundError'
}

export class StudyFileError extends EmohealError {
  override name = 'StudyFileError'
}

export class ConflictError extends EmohealError {
  override name = 'ConflictError'
}

export class CancelledError extends EmohealError {
  override name = 'CancelledError'
}

export interface SerializedError {
  name: string
  message: string
  field?: string
}

/** A task that failed (or was cancelled: the error's name says so), as it crosses to another thread. */
export interface ErrorReply {
  type: 'error'
  error: SerializedError
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof EmohealError) {
    return error.field
      ? { name: error.name, message: error.message, field: error.field }
      : { name: error.name, message: error.message }
  }
  if (error instanceof Error) return { name: 'InternalError', message: error.message }
  return { name: 'InternalError', message: String(error) }
}
