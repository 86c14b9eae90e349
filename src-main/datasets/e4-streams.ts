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
}

export const E4_STREAMS: E4StreamKind[] = [
  {
    name: 'bvp',
    stem: 'BVP',
    unit: 'a.u.',
    rateHz: 64,
    channels: ['bvp'],
    kemoconColumns: ['value'],
    decimals: 2
  },
  {
    name: 'eda',
    stem: 'EDA',
    unit: 'uS',
    rateHz: 4,
    channels: ['eda'],
    kemoconColumns: ['value'],
    decimals: 6
  },
  {
    name: 'temp',
    stem: 'TEMP',
    unit: 'degC',
    rateHz: 4,
    channels: ['temp'],
    kemoconColumns: ['value'],
    decimals: 2
  },
  {
    name: 'acc',
    stem: 'ACC',
    unit: '1/64 g',
    rateHz: 32,
    channels: ['x', 'y', 'z'],
    kemoconColumns: ['x', 'y', 'z'],
    decimals: 0
  },
  {
    name: 'hr',
    stem: 'HR',
    unit: 'bpm',
    rateHz: 1,
    channels: ['hr'],
    kemoconColumns: ['value'],
    decimals: 2
  },
  {
    name: 'ibi',
    stem: 'IBI',
    unit: 's',
    rateHz: 0,
    channels: ['ibi'],
    kemoconColumns: ['value'],
    decimals: 6
  }
]

export function e4StreamByName(name: string): E4StreamKind | undefined {
  return E4_STREAMS.find((kind) => kind.name === name)
}
