// Benchmark of src-main/signal/dsp on 10 hours of synthetic E4-rate data (BVP 64 Hz, EDA 4 Hz, TEMP 4 Hz,
// ACC 32 Hz x 3), against scipy.signal / numpy (bench/dsp_scipy.py) on the same arrays, in the same run:
// the filters, the per-window work, and the label-window features (signal/window-features.ts: every 5-s
// window's EDA/BVP/TEMP/ACC features, filters once per stream). Then the EDF+ and BDF+ export of a session of
// --edf-hours (default 2) of E4 signals, in a process of its own: seconds and peak memory (no peer).
//   node bench/dsp.mjs [--hours 10] [--repeats 5] [--edf-hours 2] [--json test-output/bench-dsp.json] [--python /usr/bin/python3]
// The data is generated once here (seeded) and written to one binary file that both sides read. Each side
// runs in a process of its own (peak memory is then its own), warms up once and times --repeats runs of
// every step; the median is reported. The scipy peer also writes its outputs back so that agreement is
// checked (filter outputs: max difference over the signal's range; peaks: same indices).
import { bundleForNode } from './bundle.mjs'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { createRequire } from 'node:module'
import { Buffer } from 'node:buffer'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const argument = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`)
  return index > 0 ? process.argv[index + 1] : fallback
}
const bundle = join(root, '.cache', 'bench', 'dsp.cjs')
const RATES = { bvp: 64, eda: 4, temp: 4, acc: 32, eda16: 16 }
const WINDOW_SECONDS = 5

// ------------------------------------------------------------------------------------------ data file
// Layout: a JSON header line (lengths, rates, seed), then float64 little-endian arrays in header order.
function readData(path) {
  const buffer = readFileSync(path)
  const newline = buffer.indexOf(10)
  const header = JSON.parse(buffer.subarray(0, newline).toString('utf8'))
  let offset = newline + 1
  const arrays = {}
  for (const [name, length] of header.arrays) {
    const bytes = buffer.subarray(offset, offset + length * 8)
    arrays[name] = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
    offset += length * 8
  }
  return { header, arrays }
}

function mulberry32(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function synthesize(hours, seed, dsp) {
  const random = mulberry32(seed)
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  const seconds = hours * 3600
  // Motion episodes: about one a minute, 2-20 s long; they shake ACC and spoil BVP.
  const moving = new Uint8Array(Math.ceil(seconds))
  for (let s = 0; s < seconds; s++) {
    if (random() < 1 / 60) {
      const length = 2 + Math.floor(random() * 18)
      for (let k = s; k < Math.min(seconds, s + length); k++) moving[k] = 1
    }
  }
  // BVP: a systolic and a diastolic wave per beat, heart rate 55-95 bpm drifting, noise, artefacts.
  const nBvp = seconds * RATES.bvp
  const bvp = new Float64Array(nBvp)
  let phase = 0
  let hr = 70
  for (let i = 0; i < nBvp; i++) {
    const t = i / RATES.bvp
    if (i % RATES.bvp === 0) hr = Math.min(95, Math.max(55, hr + 0.5 * gauss() + 0.02 * (72 - hr)))
    phase += hr / 60 / RATES.bvp
    const f = phase - Math.floor(phase)
    let v = 60 * Math.exp(-(((f - 0.2) / 0.07) ** 2)) + 25 * Math.exp(-(((f - 0.5) / 0.1) ** 2)) - 20
    v += 8 * Math.sin(2 * Math.PI * 0.25 * t) + 2 * gauss()
    if (moving[Math.floor(t)]) v += 80 * gauss()
    bvp[i] = Math.round(v * 100) / 100
  }
  // EDA: tonic level drifting over hours, SCRs (bi-exponential) every 5-40 s, noise, E4-like quantisation.
  const nEda = seconds * RATES.eda
  const eda = new Float64Array(nEda)
  for (let i = 0; i < nEda; i++) {
    const t = i / RATES.eda
    eda[i] = 2 + 1.5 * Math.sin((2 * Math.PI * t) / 7200) + 0.5 * Math.sin((2 * Math.PI * t) / 900)
  }
  const tr = 0.75
  const td = 2
  const tPeak = (Math.log(td / tr) * tr * td) / (td - tr)
  const shapePeak = Math.exp(-tPeak / td) - Math.exp(-tPeak / tr)
  for (let at = 3; at < seconds; at += 5 + random() * 35) {
    const amplitude = 0.05 + random() * 0.6
    const start = Math.ceil(at * RATES.eda)
    for (let i = start; i < Math.min(nEda, start + 30 * RATES.eda); i++) {
      const dt = i / RATES.eda - at
      eda[i] += (amplitude * (Math.exp(-dt / td) - Math.exp(-dt / tr))) / shapePeak
    }
  }
  for (let i = 0; i < nEda; i++) eda[i] = Math.max(0.01, Math.round((eda[i] + 0.004 * gauss()) * 1e4) / 1e4)
  // TEMP: 32-35 °C drifting, quantised to 0.02 °C.
  const temp = new Float64Array(seconds * RATES.temp)
  for (let i = 0; i < temp.length; i++) {
    const t = i / RATES.temp
    temp[i] = Math.round((33.5 + 0.8 * Math.sin((2 * Math.PI * t) / 10800) + 0.01 * gauss()) / 0.02) * 0.02
  }
  // ACC: 1/64 g integers, gravity turning slowly between axes, shaking during motion episodes.
  const nAcc = seconds * RATES.acc
  const accX = new Float64Array(nAcc)
  const accY = new Float64Array(nAcc)
  const accZ = new Float64Array(nAcc)
  for (let i = 0; i < nAcc; i++) {
    const t = i / RATES.acc
    const tilt = 0.6 * Math.sin((2 * Math.PI * t) / 1800)
    const shake = moving[Math.floor(t)] ? 20 : 0.7
    accX[i] = Math.round(64 * Math.sin(tilt) + shake * gauss())
    accY[i] = Math.round(5 + shake * gauss())
    accZ[i] = Math.round(64 * Math.cos(tilt) + shake * gauss())
  }
  // EDA at 16 Hz (linear resampling, as the product does before the 3 Hz clean), computed once here so both
  // sides filter the same array; the resampling itself is timed on our side only.
  const eda16 = dsp.resampleLinear(eda, RATES.eda, RATES.eda16)
  return { bvp, eda, temp, accX, accY, accZ, eda16 }
}

function writeData(path, arrays, header) {
  const order = Object.keys(arrays)
  header.arrays = order.map((name) => [name, arrays[name].length])
  const parts = [Buffer.from(JSON.stringify(header) + '\n', 'utf8')]
  for (const name of order)
    parts.push(Buffer.from(arrays[name].buffer, arrays[name].byteOffset, arrays[name].byteLength))
  writeFileSync(path, Buffer.concat(parts))
}

// ------------------------------------------------------------------------------------------ our side
function timeSteps(steps, repeats) {
  const results = {}
  for (const [name, fn] of steps) {
    fn() // warm-up (JIT)
    const times = []
    const cpu = []
    let value
    for (let r = 0; r < repeats; r++) {
      const started = performance.now()
      const cpuStarted = process.cpuUsage()
      value = fn()
      const used = process.cpuUsage(cpuStarted)
      times.push((performance.now() - started) / 1000)
      cpu.push((used.user + used.system) / 1e6)
    }
    times.sort((a, b) => a - b)
    cpu.sort((a, b) => a - b)
    results[name] = {
      seconds: times[Math.floor(times.length / 2)],
      min: times[0],
      max: times[times.length - 1],
      cpuSeconds: cpu[Math.floor(cpu.length / 2)],
      value
    }
  }
  return results
}

/** The features compared with the peer (all but motion, whose running-median edges differ by design). */
const FEATURE_KEYS = [
  'edaTonicMean',
  'edaTonicSlope',
  'scrCount',
  'scrAmplitude',
  'hrMean',
  'meanNN',
  'sdnn',
  'rmssd',
  'pnn50',
  'tempMean',
  'tempSlope',
  'accMagnitude',
  'accEnergy'
]
const FEATURE_T0 = 1.7e12

/** The bench's arrays as stored streams are (float32 samples, ms times); the peer rounds to float32 too. */
function featureStreams(d) {
  const stream = (rate, channels) => {
    const n = channels[0].length
    const samples = new Float32Array(n * channels.length)
    for (let i = 0; i < n; i++)
      for (let c = 0; c < channels.length; c++) samples[i * channels.length + c] = channels[c][i]
    return {
      rateHz: rate,
      data: {
        times: Float64Array.from({ length: n }, (_, i) => FEATURE_T0 + (i * 1000) / rate),
        samples,
        channelCount: channels.length
      }
    }
  }
  return {
    eda: stream(RATES.eda, [d.eda]),
    bvp: stream(RATES.bvp, [d.bvp]),
    temp: stream(RATES.temp, [d.temp]),
    acc: stream(RATES.acc, [d.accX, d.accY, d.accZ])
  }
}

function featureWindows(seconds) {
  const count = Math.floor(seconds / WINDOW_SECONDS)
  return Array.from({ length: count }, (_, w) => ({
    startMs: FEATURE_T0 + w * WINDOW_SECONDS * 1000,
    endMs: FEATURE_T0 + (w + 1) * WINDOW_SECONDS * 1000
  }))
}

function runOurs(dataPath, outPath, repeats) {
  const dsp = createRequire(import.meta.url)(bundle)
  const { arrays: d } = readData(dataPath)
  const outputs = {}
  const win = (rate) => WINDOW_SECONDS * rate
  const steps = [
    ['bvp band-pass 0.5-8 Hz order 2 (ppgClean)', () => (outputs.bvp = dsp.ppgClean(d.bvp, RATES.bvp))],
    [
      'eda tonic+phasic 0.05 Hz order 2 (edaPhasic)',
      () => (outputs.phasic = dsp.edaPhasic(d.eda, RATES.eda, 'highpass'))
    ],
    [
      'eda 16 Hz low-pass 3 Hz order 4 (edaClean)',
      () => (outputs.eda16 = dsp.edaClean(d.eda16, RATES.eda16).cleaned)
    ],
    [
      'ppg Elgendi peaks + heart rate',
      () => {
        const peaks = dsp.ppgFindPeaks(outputs.bvp, RATES.bvp)
        outputs.ppgPeaks = peaks
        return dsp.heartRate(peaks, RATES.bvp, outputs.bvp.length).perSample.length
      }
    ],
    ['eda SCR peaks (edaPeaks)', () => (outputs.edaPeaks = dsp.edaPeaks(outputs.phasic.phasic).peaks)],
    [
      'quality per 5-s window (BVP with beats, EDA)',
      () => {
        const bvp = dsp.windowQuality(
          d.bvp,
          RATES.bvp,
          { windowSeconds: WINDOW_SECONDS, flatSeconds: 1 },
          outputs.ppgPeaks
        )
        const eda = dsp.windowQuality(d.eda, RATES.eda, {
          windowSeconds: WINDOW_SECONDS,
          validMin: 0.01,
          validMax: 100,
          flatSeconds: 5
        })
        outputs.quality = { bvp: bvp.map((w) => w.index), eda: eda.map((w) => w.index) }
        return bvp.length + eda.length
      }
    ],
    [
      'motion flags + fraction per 5-s window',
      () => {
        const flags = dsp.motionFlags(dsp.accMagnitude(d.accX, d.accY, d.accZ), RATES.acc)
        const size = win(RATES.acc)
        const fractions = new Float64Array(Math.ceil(flags.length / size))
        for (let i = 0; i < flags.length; i++) fractions[Math.floor(i / size)] += flags[i]
        for (let w = 0; w < fractions.length; w++) fractions[w] /= Math.min(size, flags.length - w * size)
        outputs.motion = fractions
        outputs.motionCount = flags.reduce((a, b) => a + b, 0)
        return fractions.length
      }
    ],
    [
      '(ours only) EDA 4 -> 16 Hz resampleLinear',
      () => dsp.resampleLinear(d.eda, RATES.eda, RATES.eda16).length
    ],
    ['(ours only) temperatureSmooth 5 s', () => dsp.temperatureSmooth(d.temp, RATES.temp, 5).length],
    [
      'window features, every 5-s window (windowFeatures)',
      () => {
        const result = dsp.windowFeatures(featureStreams(d), featureWindows(d.eda.length / RATES.eda))
        outputs.features = result.features
        return result.features.length
      }
    ]
  ]
  const results = timeSteps(steps, repeats)
  for (const r of Object.values(results)) delete r.value
  const outputArrays = {
    bvp: outputs.bvp,
    tonic: outputs.phasic.tonic,
    phasic: outputs.phasic.phasic,
    eda16: outputs.eda16,
    ppgPeaks: Float64Array.from(outputs.ppgPeaks),
    edaPeaks: Float64Array.from(outputs.edaPeaks),
    qualityBvp: Float64Array.from(outputs.quality.bvp),
    qualityEda: Float64Array.from(outputs.quality.eda),
    motion: outputs.motion,
    ...Object.fromEntries(
      FEATURE_KEYS.map((key) => [`feature_${key}`, Float64Array.from(outputs.features, (f) => f[key] ?? NaN)])
    )
  }
  writeData(outPath, outputArrays, {})
  const usage = process.resourceUsage()
  console.log(
    JSON.stringify({
      steps: results,
      motionCount: outputs.motionCount,
      peakMegabytes: usage.maxRSS / 1024,
      cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6
    })
  )
}

// ------------------------------------------------------------------------------------------ comparison
function compare(ours, theirs) {
  const agreement = {}
  for (const name of ['bvp', 'tonic', 'phasic', 'eda16']) {
    const a = ours[name]
    const b = theirs[name]
    let max = 0
    let lo = Infinity
    let hi = -Infinity
    for (let i = 0; i < b.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]))
      lo = Math.min(lo, b[i])
      hi = Math.max(hi, b[i])
    }
    agreement[name] = { maxDifferenceOfRange: a.length === b.length ? max / (hi - lo) : null }
  }
  for (const name of ['ppgPeaks', 'edaPeaks']) {
    const a = new Set(ours[name])
    const b = theirs[name]
    let common = 0
    for (const v of b) if (a.has(v)) common++
    agreement[name] = { ours: ours[name].length, scipy: b.length, common }
  }
  for (const key of FEATURE_KEYS) {
    const a = ours[`feature_${key}`]
    const b = theirs[`feature_${key}`]
    let worst = 0
    let nullsDiffer = 0
    let present = 0
    for (let i = 0; i < b.length; i++) {
      if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) nullsDiffer++
      else if (!Number.isNaN(a[i])) {
        present++
        worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])))
      }
    }
    agreement[`feature ${key}`] = {
      windows: [a.length, b.length],
      present,
      nullsDiffer,
      maxRelativeDifference: worst
    }
  }
  for (const name of ['qualityBvp', 'qualityEda', 'motion']) {
    const a = ours[name]
    const b = theirs[name]
    let max = 0
    for (let i = 0; i < b.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]))
    agreement[name] = { windows: [a.length, b.length], maxDifference: max }
  }
  return agreement
}

// ------------------------------------------------------------------------------------------ main
async function main() {
  const hours = Number(argument('hours', '10'))
  const repeats = Number(argument('repeats', '5'))
  const jsonPath = resolve(root, argument('json', 'test-output/bench-dsp.json'))
  const python = argument('python', '/usr/bin/python3')
  const seed = 20261201
  await bundleForNode({
    outfile: bundle,
    stdin: {
      contents: `
        export { butter } from './src-main/signal/dsp/butter'
        export { sosfiltfilt } from './src-main/signal/dsp/sosfilt'
        export { edaClean, edaPhasic, edaPeaks } from './src-main/signal/dsp/eda'
        export { ppgClean, ppgFindPeaks, heartRate } from './src-main/signal/dsp/ppg'
        export { windowQuality } from './src-main/signal/dsp/quality'
        export { accMagnitude, motionFlags } from './src-main/signal/dsp/acc'
        export { resampleLinear } from './src-main/signal/dsp/resample'
        export { temperatureSmooth } from './src-main/signal/dsp/temp'
        export { windowFeatures } from './src-main/signal/window-features'
        export { exportSessionEdf } from './src-main/export/edf'
        export { StudyStore } from './src-main/store/study-store'
        export { buildViewerStudy } from './bench/viewer.study'`,
      resolveDir: root,
      loader: 'ts'
    }
  })
  const dsp = createRequire(import.meta.url)(bundle)
  const work = mkdtempSync(join(tmpdir(), 'emoheal-bench-dsp-'))
  const dataPath = join(work, 'data.bin')
  let started = performance.now()
  const arrays = synthesize(hours, seed, dsp)
  writeData(dataPath, arrays, { hours, seed, rates: RATES, windowSeconds: WINDOW_SECONDS })
  const synthSeconds = (performance.now() - started) / 1000
  const samples = Object.values(arrays).reduce((n, a) => n + a.length, 0)

  const loadBefore = loadavg()
  const oursOut = join(work, 'ours.bin')
  const ours = JSON.parse(
    execFileSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--ours', dataPath, oursOut, String(repeats)],
      {
        cwd: root,
        encoding: 'utf8',
        maxBuffer: 1 << 26
      }
    )
  )
  const loadBetween = loadavg()
  const scipyOut = join(work, 'scipy.bin')
  const scipy = JSON.parse(
    execFileSync(python, [join(root, 'bench', 'dsp_scipy.py'), dataPath, scipyOut, String(repeats)], {
      encoding: 'utf8',
      maxBuffer: 1 << 26
    })
  )
  const loadAfter = loadavg()
  const edfHours = Number(argument('edf-hours', '2'))
  const edf = JSON.parse(
    execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--edf', String(edfHours)], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 1 << 26
    })
  )
  const agreement = compare(readData(oursOut).arrays, readData(scipyOut).arrays)

  const rows = []
  for (const [name, step] of Object.entries(ours.steps)) {
    const peer = scipy.steps[name]
    rows.push({
      step: name,
      ours: step.seconds,
      scipy: peer ? peer.seconds : null,
      ratio: peer ? step.seconds / peer.seconds : null,
      oursCpu: step.cpuSeconds,
      scipyCpu: peer ? peer.cpuSeconds : null,
      cpuRatio: peer ? step.cpuSeconds / peer.cpuSeconds : null,
      peer: peer ? peer.method : null
    })
  }
  const compared = rows.filter((r) => r.ratio !== null)
  const totalOurs = compared.reduce((s, r) => s + r.ours, 0)
  const totalScipy = compared.reduce((s, r) => s + r.scipy, 0)
  console.log(
    `data: ${hours} h synthetic E4 (BVP 64 Hz, EDA 4 Hz, TEMP 4 Hz, ACC 32 Hz x3, EDA resampled to 16 Hz), ${samples.toLocaleString('en')} samples, seed ${seed}; synthesis ${synthSeconds.toFixed(2)} s`
  )
  console.log(
    `median of ${repeats} runs after one warm-up; ${cpus().length} CPUs; node ${process.version}, scipy ${scipy.scipy}, numpy ${scipy.numpy} (${python})`
  )
  console.log('')
  // Wall-clock seconds and the ratio the target is read on; beside them each side's CPU seconds for the same
  // step, which a machine shared with other jobs distorts much less than the wall clock.
  const cell = (v, digits = 4) => (v === null ? '-' : v.toFixed(digits))
  console.log(
    `${'step'.padEnd(52)} ${'ours s'.padStart(8)} ${'scipy s'.padStart(8)} ${'ratio'.padStart(6)} ${'ours cpu'.padStart(8)} ${'scipy cpu'.padStart(9)} ${'ratio'.padStart(6)}  target <= 1`
  )
  for (const r of rows) {
    const met = r.ratio === null ? '' : r.ratio <= 1 ? 'met' : 'NOT met'
    console.log(
      `${r.step.padEnd(52)} ${cell(r.ours).padStart(8)} ${cell(r.scipy).padStart(8)} ${cell(r.ratio, 2).padStart(6)} ${cell(r.oursCpu).padStart(8)} ${cell(r.scipyCpu).padStart(9)} ${cell(r.cpuRatio, 2).padStart(6)}  ${met}`
    )
  }
  const cpuOurs = compared.reduce((s, r) => s + r.oursCpu, 0)
  const cpuScipy = compared.reduce((s, r) => s + r.scipyCpu, 0)
  console.log(
    `${'total of compared steps'.padEnd(52)} ${cell(totalOurs).padStart(8)} ${cell(totalScipy).padStart(8)} ${cell(totalOurs / totalScipy, 2).padStart(6)} ${cell(cpuOurs).padStart(8)} ${cell(cpuScipy).padStart(9)} ${cell(cpuOurs / cpuScipy, 2).padStart(6)}  ${totalOurs <= totalScipy ? 'met' : 'NOT met'}`
  )
  console.log('')
  console.log(
    `peak memory (maxRSS, whole process incl. data and outputs): ours ${ours.peakMegabytes.toFixed(0)} MB, scipy ${scipy.peakMegabytes.toFixed(0)} MB`
  )
  console.log(
    `CPU time of the measuring process: ours ${ours.cpuSeconds.toFixed(2)} s, scipy ${scipy.cpuSeconds.toFixed(2)} s`
  )
  const fmt = (l) => l.map((v) => v.toFixed(2)).join(' ')
  console.log(
    `load average (1/5/15 min): before ${fmt(loadBefore)}, between ${fmt(loadBetween)}, after ${fmt(loadAfter)}`
  )
  for (const [format, f] of Object.entries(edf.formats))
    console.log(
      `${format.toUpperCase()}+ export of a ${edf.hours}-h session (${edf.samples.toLocaleString('en')} samples): ${f.seconds.toFixed(2)} s, ${(f.bytes / 1048576).toFixed(1)} MB written`
    )
  console.log(
    `  export process: ${edf.beforeMegabytes.toFixed(0)} MB RSS with the study open before exporting, peak ${edf.peakMegabytes.toFixed(0)} MB (maxRSS, both exports)`
  )
  console.log('scipy peer per step:')
  for (const r of compared) console.log(`  ${r.step}: ${r.peer}`)
  console.log('agreement with the peer:')
  for (const [name, a] of Object.entries(agreement)) console.log(`  ${name}: ${JSON.stringify(a)}`)

  mkdirSync(dirname(jsonPath), { recursive: true })
  writeFileSync(
    jsonPath,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        command: `node bench/dsp.mjs${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}`,
        data: { hours, seed, rates: RATES, samples, windowSeconds: WINDOW_SECONDS },
        repeats,
        cpus: cpus().length,
        node: process.version,
        python,
        scipy: scipy.scipy,
        numpy: scipy.numpy,
        rows,
        total: { ours: totalOurs, scipy: totalScipy, ratio: totalOurs / totalScipy },
        totalCpu: {
          ours: compared.reduce((s, r) => s + r.oursCpu, 0),
          scipy: compared.reduce((s, r) => s + r.scipyCpu, 0)
        },
        peakMegabytes: { ours: ours.peakMegabytes, scipy: scipy.peakMegabytes },
        cpuSeconds: { ours: ours.cpuSeconds, scipy: scipy.cpuSeconds },
        loadAverage: { before: loadBefore, between: loadBetween, after: loadAfter },
        agreement,
        edfExport: edf,
        oursDetail: ours.steps,
        scipyDetail: scipy.steps
      },
      null,
      2
    )
  )
  console.log(`figures written to ${jsonPath}`)
  rmSync(work, { recursive: true, force: true })
}

/** In a process of its own: a study with one session of E4 signals, exported as EDF+ and as BDF+. */
async function runEdf(hours) {
  const dsp = createRequire(import.meta.url)(bundle)
  const work = mkdtempSync(join(tmpdir(), 'emoheal-bench-edf-'))
  const path = join(work, 'edf.emoheal-study')
  const built = dsp.buildViewerStudy(path, {
    minutes: hours * 60,
    reportMinutes: Math.min(60, hours * 60),
    reportsFromMinute: 0
  })
  const study = new dsp.StudyStore(path)
  const beforeMegabytes = process.memoryUsage().rss / 1048576
  const formats = {}
  for (const format of ['edf', 'bdf']) {
    const out = join(work, `session.${format}`)
    const started = performance.now()
    const summary = await dsp.exportSessionEdf(study, built.sessionId, out, { format })
    formats[format] = {
      seconds: (performance.now() - started) / 1000,
      bytes: statSync(out).size,
      signals: summary.signals.length
    }
  }
  const samples = study
    .getSession(built.sessionId)
    .streams.reduce((n, s) => n + s.sampleCount * s.channels.length, 0)
  study.close()
  rmSync(work, { recursive: true, force: true })
  console.log(
    JSON.stringify({
      hours,
      samples,
      formats,
      beforeMegabytes,
      peakMegabytes: process.resourceUsage().maxRSS / 1024
    })
  )
}

if (process.argv[2] === '--ours') runOurs(process.argv[3], process.argv[4], Number(process.argv[5]))
else if (process.argv[2] === '--edf') await runEdf(Number(process.argv[3]))
else await main()
