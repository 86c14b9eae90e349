/** SQLite failures of the disk rather than of the data, by the primary result code. */
const DISK_ERRORS: Record<string, string> = {
  SQLITE_FULL: 'the disk is full',
  SQLITE_IOERR: 'the disk failed to write',
  SQLITE_READONLY: 'the study file cannot be written'
}

/** What the disk did when a write failed because of it (`SQLITE_IOERR_FSYNC` counts as `SQLITE_IOERR`); else null. */
export function diskFailure(error: unknown): { code: string; reason: string } | null {
  const code = (error as { code?: unknown }).code
  if (typeof code !== 'string') return null
  const reason = DISK_ERRORS[code.replace(/^(SQLITE_[A-Z]+)_.*$/, '$1')]
  return reason ? { code, reason } : null
}
