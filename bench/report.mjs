/** The table of `npm run bench:train`: tfjs backends beside the PyTorch peer, then the targets, met or not. */

const inferenceLimitMs = 5

function pad(text, width, right = false) {
  const value = String(text)
  return right ? value.padStart(width) : value.padEnd(width)
}

function integer(value) {
  return value === null || value === undefined ? '-' : Math.round(value).toLocaleString('en')
}

function kibibytes(bytes) {
  return (bytes / 1024).toFixed(1)
}

function milliseconds(inference) {
  return `${inference.medianMs.toFixed(2)} (${inference.p10Ms.toFixed(2)}-${inference.p90Ms.toFixed(2)})`
}

const columns = [
  ['model', 12],
  ['runtime', 22],
  ['parameters', 11, true],
  ['size KiB', 9, true],
  ['kernels/step', 13, true],
  ['train windows/s', 16, true],
  ['steps', 6, true],
  ['1-window ms median (p10-p90)', 30, true]
]

function row(cells) {
  return cells.map((cell, index) => pad(cell, columns[index][1], columns[index][2])).join('  ')
}

function verdict(met) {
  return met ? 'met' : 'NOT MET'
}

/** The peer of a tfjs backend: the same threads (native: its intra-op pool; wasm and cpu: one thread). */
function peerFor(report, backend) {
  const threads = backend === 'tensorflow' ? Number(report.tfjs.threads.TF_NUM_INTRAOP_THREADS) || 0 : 1
  return report.peers.find((peer) => peer.threads === threads) ?? report.peers[0]
}

function bestTraining(peer, model) {
  return peer.results.find((entry) => entry.model === model)?.training.windowsPerSecond ?? 0
}

function bestInference(peer, model) {
  return peer.results.find((entry) => entry.model === model)?.inference.medianMs ?? Infinity
}

/** The ONNX Runtime single-window figures of a model, where onnxruntime-node loaded. */
function onnxPathOf(tfjs, model) {
  return (tfjs.onnxPath ?? []).find((entry) => entry.model === model && entry.inference)
}

/**
 * Every way one window of a model can be classified: each tfjs backend, the graph predictor and ONNX Runtime.
 * `backend` picks the peer of the same threads: ONNX Runtime runs one thread, as wasm does.
 */
function inferencePaths(tfjs, model) {
  const paths = tfjs.results
    .filter((entry) => entry.model === model)
    .map((entry) => ({ name: `tfjs ${entry.backend}`, backend: entry.backend, inference: entry.inference }))
  for (const entry of tfjs.results.filter((result) => result.model === model && result.graphInference))
    paths.push({
      name: `${entry.backend} graph predictor`,
      backend: entry.backend,
      inference: entry.graphInference
    })
  const onnx = onnxPathOf(tfjs, model)
  if (onnx) paths.push({ name: 'onnxruntime', backend: 'onnxruntime', inference: onnx.inference })
  return paths
}

export function formatReport(report) {
  const { tfjs, peers } = report
  const lines = []
  const peerNames = peers.map(
    (peer) => `PyTorch ${peer.torch}${peer.fallback ? " (Debian's, fallback)" : ''} ${peer.threads} thread(s)`
  )
  lines.push('')
  lines.push(`bench:train  ${report.date}  ${tfjs.cores} cores, tfjs ${tfjs.tfjs}, batch ${tfjs.batchSize}`)
  lines.push(
    `threads: tensorflow intra-op ${tfjs.threads.TF_NUM_INTRAOP_THREADS ?? 'default'} inter-op ${
      tfjs.threads.TF_NUM_INTEROP_THREADS ?? 'default'
    }; wasm 1; peers: ${peerNames.join(', ') || 'none'}${tfjs.quick ? '  (QUICK smoke run: figures are not measurements)' : ''}`
  )
  for (const backend of tfjs.backends) lines.push(`${backend.name}: ${backend.why}`)
  const { before, afterTfjs, afterPeers } = report.load
  const busy = Math.max(before, afterTfjs, afterPeers) > 0.5 * tfjs.cores
  lines.push(
    `1-minute load average: ${[before, afterTfjs, afterPeers].map((value) => value.toFixed(2)).join(' / ')} ` +
      `(start / after tfjs / after PyTorch)${busy ? ': BUSY MACHINE, figures are distorted' : ''}`
  )
  lines.push('')
  lines.push(row(columns.map(([title]) => title)))
  lines.push(row(columns.map(([, width]) => '-'.repeat(width))))
  for (const model of ['paper', 'native-rate']) {
    for (const result of tfjs.results.filter((entry) => entry.model === model)) {
      lines.push(
        row([
          model,
          `tfjs ${result.backend}`,
          integer(result.parameters),
          kibibytes(result.sizeBytes),
          integer(result.kernelsPerStep),
          integer(result.training?.windowsPerSecond),
          integer(result.training?.steps),
          milliseconds(result.inference)
        ])
      )
    }
    for (const result of tfjs.results.filter((entry) => entry.model === model && entry.graphInference)) {
      lines.push(
        row([
          model,
          `${result.backend} graph predictor`,
          integer(result.parameters),
          '-',
          '-',
          '-',
          '-',
          milliseconds(result.graphInference)
        ])
      )
    }
    const onnx = onnxPathOf(tfjs, model)
    if (onnx) {
      const tfjsResult = tfjs.results.find((entry) => entry.model === model)
      lines.push(
        row([
          model,
          'onnxruntime',
          integer(tfjsResult?.parameters),
          '-',
          '-',
          '-',
          '-',
          milliseconds(onnx.inference)
        ])
      )
    }
    for (const peer of peers) {
      const result = peer.results.find((entry) => entry.model === model)
      if (!result) continue
      lines.push(
        row([
          model,
          `PyTorch ${peer.threads} thread(s)`,
          integer(result.parameters),
          kibibytes(result.sizeBytes),
          '-',
          integer(result.training.windowsPerSecond),
          integer(result.training.steps),
          milliseconds(result.inference)
        ])
      )
    }
  }
  lines.push('')
  lines.push(
    'targets (training: tfjs against the PyTorch peer of the same threads; one-window inference: the ' +
      'fastest path present (tfjs backends, the whole model as one TensorFlow function, ONNX Runtime), against the peer of its threads and ' +
      `< ${inferenceLimitMs} ms):`
  )
  for (const result of tfjs.results) {
    const peer = peerFor(report, result.backend)
    const peerResult = peer?.results.find((entry) => entry.model === result.model)
    const parts = []
    if (peerResult && result.training) {
      const ours = result.training.windowsPerSecond
      const theirs = peerResult.training.windowsPerSecond
      parts.push(`training ${integer(ours)} >= ${integer(theirs)} windows/s: ${verdict(ours >= theirs)}`)
      // On a busy machine a multi-threaded peer can fall far below its one-thread self: show its best too.
      const best = Math.max(...report.peers.map((other) => bestTraining(other, result.model)))
      if (best > theirs) parts.push(`(best peer ${integer(best)}: ${verdict(ours >= best)})`)
    }
    parts.push(`inference ${result.inference.medianMs.toFixed(2)} ms`)
    if (peerResult && peerResult.parameters !== result.parameters)
      parts.push(`PARAMETERS DIFFER (${result.parameters} vs ${peerResult.parameters})`)
    const against = peer ? ` vs PyTorch ${peer.threads} thread(s)` : ''
    lines.push(`  ${pad(result.model, 12)} ${pad(result.backend + against, 32)} ${parts.join('; ')}`)
  }
  for (const model of ['paper', 'native-rate']) {
    const fastest = inferencePaths(tfjs, model).sort((a, b) => a.inference.medianMs - b.inference.medianMs)[0]
    if (!fastest) continue
    const ours = fastest.inference.medianMs
    const parts = [`fastest one-window inference: ${fastest.name} ${ours.toFixed(2)} ms`]
    const peer = peerFor(report, fastest.backend)
    const theirs = peer?.results.find((entry) => entry.model === model)?.inference.medianMs
    if (theirs !== undefined) {
      parts.push(`<= PyTorch ${peer.threads} thread(s) ${theirs.toFixed(2)} ms: ${verdict(ours <= theirs)}`)
      const best = Math.min(...report.peers.map((other) => bestInference(other, model)))
      if (best < theirs) parts.push(`(best peer ${best.toFixed(2)}: ${verdict(ours <= best)})`)
    }
    parts.push(`< ${inferenceLimitMs} ms: ${verdict(ours < inferenceLimitMs)}`)
    lines.push(`  ${pad(model, 12)} ${parts.join('; ')}`)
  }
  lines.push('')
  return `${lines.join('\n')}\n`
}
