/**
 * The streams of an EmbracePlus raw-data file as this app stores them: the Avro field each comes from, its
 * channels, unit and nominal rate. The file's own samplingFrequency is a per-file estimate (64.0023, 4.0004,
 * 0.99975 ...); the stream's rate is the nominal one closest to it, with the measured one beside it.
 */
export interface EmbraceStreamKind {
  /** Stream name in the study. */
  name: string
  /** Field of rawData. */
  field: string
  /** Avro fields holding the channels, in order. */
  arrays: string[]
  channels: string[]
  /** Known nominal rates; the stream takes the one nearest the file's estimate, or the estimate itself. */
  nominalHz: number[]
  /** Inertial sensors carry imuParams and ADC counts, scaled by schema version (see units.ts). */
  inertial: boolean
  /**
   * What the sensor can produce, in the stored unit: a sample outside is a glitch, left out as a gap (as
   * for the E4, see limits.ts). Absent where no range is documented.
   */
  range?: { min: number; max: number }
}

export const EMBRACE_STREAMS: EmbraceStreamKind[] = [
  {
    name: 'acc',
    field: 'accelerometer',
    arrays: ['x', 'y', 'z'],
    channels: ['x', 'y', 'z'],
    nominalHz: [64],
    inertial: true,
    // The accelerometer's full scale is +-16 g (its imuParams say so).
    range: { min: -16, max: 16 }
  },
  {
    name: 'gyro',
    field: 'gyroscope',
    arrays: ['x', 'y', 'z'],
    channels: ['x', 'y', 'z'],
    nominalHz: [64],
    inertial: true
  },
  {
    name: 'eda',
    field: 'eda',
    arrays: ['values'],
    channels: ['eda'],
    nominalHz: [4],
    inertial: false,
    // As the E4's: 0.01..100 uS, 0 before skin contact.
    range: { min: 0, max: 100 }
  },
  {
    name: 'temp',
    field: 'temperature',
    arrays: ['values'],
    channels: ['temp'],
    nominalHz: [1],
    inertial: false,
    // No skin nor room a wristband is worn in leaves 0..50 degC.
    range: { min: 0, max: 50 }
  },
  { name: 'bvp', field: 'bvp', arrays: ['values'], channels: ['bvp'], nominalHz: [64], inertial: false },
  // Firmware 4.41 counts steps every 3 s, earlier firmware every 5 s.
  {
    name: 'steps',
    field: 'steps',
    arrays: ['values'],
    channels: ['steps'],
    nominalHz: [0.2, 1 / 3],
    inertial: false
  },
  {
    name: 'magnetometer',
    field: 'magnetometer',
    arrays: ['x', 'y', 'z', 'qualityIndex'],
    channels: ['x', 'y', 'z', 'quality'],
    nominalHz: [],
    inertial: false
  },
  {
    name: 'light',
    field: 'ambientLight',
    arrays: ['values'],
    channels: ['light'],
    nominalHz: [],
    inertial: false
  }
]

/** Units by stream; acc and gyro are converted from ADC counts (units.ts), the rest are stored as written. */
export const EMBRACE_UNITS: Record<string, string> = {
  acc: 'g',
  // The schema's doc says "convert in [rad/s]"; no gyroscope data has been seen to confirm it.
  gyro: 'rad/s',
  eda: 'uS',
  temp: 'degC',
  bvp: 'nW',
  steps: 'steps',
  magnetometer: 'uT',
  light: 'lux'
}

/** The nominal rate nearest `estimate` within 5%, else the estimate (a stream no file of ours has shown). */
export function nominalRate(kind: EmbraceStreamKind, estimate: number): number {
  let best = estimate
  let bestError = 0.05
  for (const rate of kind.nominalHz) {
    const error = Math.abs(estimate / rate - 1)
    if (error <= bestError) {
      best = rate
      bestError = error
    }
  }
  return best
}
