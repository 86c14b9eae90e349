/** The six Empatica E4 signals as this app stores them, whatever file layout they came from. */
export interface E4StreamKind {
  /** Stream name in the study. */
  name: 'bvp' | 'eda' | 'temp' | 'acc' | 'hr' | 'ibi'
  /** File stem: E4_<stem>.csv in K-EmoCon, <stem>.csv in an E4 Connect export. */
  stem: 'BVP' | 'EDA' | 'TEMP' | 'ACC' | 'HR' | 'IBI'
  unit: string
  /** Nominal rate; 0 marks an event stream (IBI: one row per detected beat). */
  rateHz: number
  channels: string[]
  /** Value columns of the K-EmoCon file, after `timestamp`. */
  kemoconColumns: string[]
  /** Decimals E4 files write, used when exporting. */
  decimals: number
  /**
   * What the E4 can produce, in `unit`; a sample outside is a glitch, left out as a gap (see limits.ts).
   * Wide enough for every real export seen, narrow enough that a wrong column or unit shows.
   */
  range: { min: number; max: number }
}

export const E4_STREAMS: E4StreamKind[] = [
  {
    name: 'bvp',
    stem: 'BVP',
    unit: 'a.u.',
    rateHz: 64,
    channels: ['bvp'],
    kemoconColumns: ['value'],
    decimals: 2,
    // Unitless PPG output, centred on 0: real exports swing a few hundred, motion a few thousand.
    range: { min: -10_000, max: 10_000 }
  },
  {
    name: 'eda',
    stem: 'EDA',
    unit: 'uS',
    rateHz: 4,
    channels: ['eda'],
    kemoconColumns: ['value'],
    decimals: 6,
    // The E4's EDA sensor spans 0.01..100 uS; 0 is what it writes before skin contact.
    range: { min: 0, max: 100 }
  },
  {
    name: 'temp',
    stem: 'TEMP',
    unit: 'degC',
    rateHz: 4,
    channels: ['temp'],
    kemoconColumns: ['value'],
    decimals: 2,
    // The skin thermopile reads -40..115 degC, but no skin nor room an E4 is worn in leaves 0..50 degC.
    range: { min: 0, max: 50 }
  },
  {
    name: 'acc',
    stem: 'ACC',
    unit: '1/64 g',
    rateHz: 32,
    channels: ['x', 'y', 'z'],
    kemoconColumns: ['x', 'y', 'z'],
    decimals: 0,
    // 8-bit samples at 1/64 g over the +-2 g range: -128..127 is all the device can write.
    range: { min: -128, max: 127 }
  },
  {
    name: 'hr',
    stem: 'HR',
    unit: 'bpm',
    rateHz: 1,
    channels: ['hr'],
    kemoconColumns: ['value'],
    decimals: 2,
    // Heart rates a wrist can have; the E4 derives HR from BVP and writes nothing outside.
    range: { min: 20, max: 250 }
  },
  {
    name: 'ibi',
    stem: 'IBI',
    unit: 's',
    rateHz: 0,
    channels: ['ibi'],
    kemoconColumns: ['value'],
    decimals: 6,
    // The intervals of 20..250 bpm (60/250 and 60/20 seconds), the heart-rate range above.
    range: { min: 0.24, max: 3 }
  }
]

export function e4StreamByName(name: string): E4StreamKind | undefined {
  return E4_STREAMS.find((kind) => kind.name === name)
}
