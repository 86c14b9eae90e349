/**
 * How much a state_dict file may make the reader allocate. The published model is 213,811 parameters
 * (0.86 MB as float32); the largest model one training call may build is trainingLimits.parameters in the
 * IPC contract (16.8 M, 67 MB). Each limit here leaves a wide margin over that, and together they keep one
 * import around a gigabyte at most, whatever the file claims.
 */
export interface StateDictLimits {
  /** Bytes of the file itself, and of all the zip entries read from it together (inflated). */
  largestFileBytes: number
  /** Elements any one tensor may allocate (as float32). */
  largestTensorElements: number
  /** Elements all tensors of a file may allocate together: a tied weight is read once per name. */
  largestTotalElements: number
}

export const defaultStateDictLimits: StateDictLimits = {
  // 256 MiB: 4x the largest trainable model even stored as float64, 300x the published one.
  largestFileBytes: 256 * 1024 * 1024,
  // 2^26 float32 elements (256 MiB): every tensor a file of largestFileBytes can hold.
  largestTensorElements: 2 ** 26,
  // 2^27 (512 MiB): room for each storage being named twice (tied weights), no more.
  largestTotalElements: 2 ** 27
}

export function stateDictLimits(overrides: Partial<StateDictLimits> = {}): StateDictLimits {
  return { ...defaultStateDictLimits, ...overrides }
}

/** Control characters, line and paragraph separators, bidi controls, the BOM and the replacement character. */
function unsafeInMessage(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0xfeff ||
    code === 0xfffd
  )
}

/**
 * A name from a file as it may appear in a one-line error: control characters, line breaks and bidi
 * overrides escaped, and cut short, since the file chooses it.
 */
export function printable(name: string, longest = 120): string {
  let out = ''
  for (const character of name) {
    const code = character.codePointAt(0) as number
    out += unsafeInMessage(code) ? `\\u${code.toString(16).padStart(4, '0')}` : character
    if (out.length > longest) return `${out.slice(0, longest)}...`
  }
  return out
}

/** A shape or stride list from a file, as one error may print it: a list can be as long as the file is. */
export function printableList(values: readonly unknown[], longest = 8): string {
  const shown = values.slice(0, longest).map((value) => printable(String(value), 24))
  return `[${shown.join(',')}${values.length > longest ? `,... (${values.length} in all)` : ''}]`
}
