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

export function serializeError(error: unknown): SerializedError {
  if (error instanceof EmohealError) {
    return error.field
      ? { name: error.name, message: error.message, field: error.field }
      : { name: error.name, message: error.message }
  }
  if (error instanceof Error) return { name: 'InternalError', message: error.message }
  return { name: 'InternalError', message: String(error) }
}
