/** The device's clock: sampling periods and timestamps count its ticks. */
export const CLOCK_HZ = 32768

/** The whole number of ticks nearest the asked rate (pyshimmer's rule; Java's differs by one tick at times). */
export function ticksForRate(rateHz: number): number {
  return Math.min(0xffff, Math.max(1, Math.round(CLOCK_HZ / rateHz)))
}

/** The rate the device really samples at. */
export function rateForTicks(ticks: number): number {
  return CLOCK_HZ / ticks
}

export function ticksToMs(ticks: number): number {
  return (ticks * 1000) / CLOCK_HZ
}

/** The MSP430's 12-bit ADC against its 3.0 V reference (JavaAPI SensorADC SHIMMER2R3_3V0: offset 0, gain 1). */
export function adcToMillivolts(adc: number): number {
  return (adc * 3000) / 4095
}

/** PPG on internal ADC A13. */
export function ppgMillivolts(raw: number): number {
  return adcToMillivolts(raw & 0x0fff)
}

/** VBATT reaches the ADC through a divider by 2. */
export function batteryMillivolts(raw: number): number {
  return adcToMillivolts(raw & 0x0fff) * 2
}

export const GSR_AUTO_RANGE = 4
/** Feedback resistor per range (firmware GSR_FEEDBACK_RESISTORS_OHMS). */
export const GSR_FEEDBACK_KOHM = [40.2, 287, 1000, 3300] as const
/** What each fixed range can measure; a reading outside is reported as the nearest limit. */
export const GSR_LIMITS_KOHM = [
  [8, 63],
  [63, 220],
  [220, 680],
  [680, 4700]
] as const
/** The first ADC code above the amplifier's 0.5 V reference: below it range 3 reads open electrodes. */
const GSR_RANGE3_MIN_ADC = 683

/** The range a GSR value was measured on: the setting, or with auto range the packet's bits 14-15. */
export function gsrRangeOf(raw: number, setting: number): number {
  return setting === GSR_AUTO_RANGE ? (raw >> 14) & 0x03 : setting
}

/**
 * Skin conductance in µS from a raw GSR value (JavaAPI SensorGSR): the non-inverting amplifier gives
 * R = Rf / (V / 0.5 - 1). Auto range only bounds R below (8 kΩ), so that open electrodes can read as open;
 * a fixed range clamps R to what it can measure. Readings at or under 0.5 V give a negative R, which the
 * clamps turn into the range's lower limit, as the Java API does.
 */
export function gsrMicrosiemens(raw: number, setting: number): number {
  const range = gsrRangeOf(raw, setting)
  let adc = raw & 0x0fff
  if (range === 3 && adc < GSR_RANGE3_MIN_ADC) adc = GSR_RANGE3_MIN_ADC
  const volts = (adc * 3) / 4095
  let kohm = GSR_FEEDBACK_KOHM[range] / (volts / 0.5 - 1)
  if (setting === GSR_AUTO_RANGE) kohm = Math.max(GSR_LIMITS_KOHM[0][0], kohm)
  else {
    const [min, max] = GSR_LIMITS_KOHM[setting]
    kohm = Math.min(max, Math.max(min, kohm))
  }
  return 1000 / kohm
}

/** Per axis offset (ADC counts) and sensitivity (counts per m/s²), and the row-major 3×3 alignment matrix. */
export interface AccelCalibration {
  offset: readonly [number, number, number]
  sensitivity: readonly [number, number, number]
  alignment: readonly number[]
}

/** The default for the low-noise accelerometer (JavaAPI SensorKionixKXRB52042). */
export const KXRB5_2042: AccelCalibration = {
  offset: [2047, 2047, 2047],
  sensitivity: [83, 83, 83],
  alignment: [0, -1, 0, -1, 0, 0, 0, 0, -1]
}

/** Accelerometer counts to m/s²: a = R⁻¹ · K⁻¹ · (u − b) (JavaAPI UtilCalibration), with R⁻¹·K⁻¹ worked out once. */
export class AccelConverter {
  private readonly matrix: number[]
  private readonly offset: readonly number[]

  constructor(calibration: AccelCalibration = KXRB5_2042) {
    const inverse = invert3(calibration.alignment)
    // R⁻¹ · diag(1/k): column j of R⁻¹ divided by k_j.
    this.matrix = inverse.map((value, index) => value / calibration.sensitivity[index % 3])
    this.offset = calibration.offset
  }

  /** Writes x, y, z in m/s² to out[at..at+2]. */
  convert(x: number, y: number, z: number, out: Float32Array, at: number): void {
    const m = this.matrix
    const u0 = x - this.offset[0]
    const u1 = y - this.offset[1]
    const u2 = z - this.offset[2]
    out[at] = m[0] * u0 + m[1] * u1 + m[2] * u2
    out[at + 1] = m[3] * u0 + m[4] * u1 + m[5] * u2
    out[at + 2] = m[6] * u0 + m[7] * u1 + m[8] * u2
  }
}

function invert3(m: readonly number[]): number[] {
  const [a, b, c, d, e, f, g, h, i] = m
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
  if (det === 0) throw new RangeError('the accelerometer alignment matrix is singular')
  const cofactors = [
    e * i - f * h,
    c * h - b * i,
    b * f - c * e,
    f * g - d * i,
    a * i - c * g,
    c * d - a * f,
    d * h - e * g,
    b * g - a * h,
    a * e - b * d
  ]
  // `+ 0` turns -0 into 0, so that a zero entry compares equal in tests and logs.
  return cofactors.map((value) => value / det + 0)
}

/**
 * What became of one packet timestamp: accepted, or dropped as a duplicate, a small step back (read as
 * reordered or misaligned bytes, not as a wrap), the invalid 0x000000, or an unconfirmed jump.
 */
export type TimestampVerdict = 'accepted' | 'duplicate' | 'backward' | 'invalid' | 'jump'

/**
 * Unwraps the packets' 24-bit (old firmware: 16-bit) tick counter, which rolls over every 512 s (2 s).
 * Steps are taken modulo the roll-over, so crossing it needs no special case. A step back of up to a second is
 * never a wrap: such packets are dropped. A step forward longer than 10 s is believed only when the next
 * timestamp follows it; otherwise one misread packet (bytes that looked like a frame) would shift every later
 * time by up to 512 s. The packet of a confirmed jump is dropped and counted missing: nothing is held back.
 * 0x000000 marks an invalid record on LogAndStream v1.00-v1.01.003 and is dropped, unless it is exactly the
 * next expected timestamp (the counter passing zero).
 */
export class TimestampUnwrapper {
  /** Ticks from the first accepted timestamp to the last accepted one. */
  elapsed = 0
  /** Packets lost just before the last accepted one. */
  missing = 0
  private readonly modulus: number
  private readonly backWindow: number
  private readonly maxStep: number
  private last: number | null = null
  private suspect: number | null = null

  constructor(
    private readonly periodTicks: number,
    bits: 16 | 24 = 24
  ) {
    this.modulus = 2 ** bits
    this.backWindow = Math.min(CLOCK_HZ, this.modulus / 8)
    this.maxStep = Math.min(10 * CLOCK_HZ, this.modulus / 2)
  }

  next(raw: number): TimestampVerdict {
    const last = this.last
    if (last === null) {
      if (raw === 0) return 'invalid'
      this.last = raw
      this.elapsed = 0
      this.missing = 0
      return 'accepted'
    }
    const step = this.forward(last, raw)
    if (raw === 0 && step !== this.periodTicks) return 'invalid'
    if (step === 0) return 'duplicate'
    if (step >= this.modulus - this.backWindow) return 'backward'
    if (step <= this.maxStep) {
      this.suspect = null
      return this.accept(raw, step)
    }
    const suspect = this.suspect
    if (suspect !== null) {
      const fromSuspect = this.forward(suspect, raw)
      if (fromSuspect > 0 && fromSuspect <= this.maxStep) {
        this.suspect = null
        return this.accept(raw, this.forward(last, suspect) + fromSuspect)
      }
    }
    this.suspect = raw
    return 'jump'
  }

  private forward(from: number, to: number): number {
    return (to - from + this.modulus) % this.modulus
  }

  private accept(raw: number, step: number): TimestampVerdict {
    this.missing = Math.max(0, Math.round(step / this.periodTicks) - 1)
    this.elapsed += step
    this.last = raw
    return 'accepted'
  }
}
