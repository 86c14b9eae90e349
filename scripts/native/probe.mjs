// Checks in a child process, so that a library that aborts on load cannot take the setup down with it.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

function lastLine(error) {
  const text = String(error.stderr || error.message).trim()
  const lines = text.split('\n').filter((line) => line.trim() && !line.trim().startsWith('at '))
  const thrown = lines.find((line) => /^\s*[A-Za-z]*Error: /.test(line))
  return (
    thrown ??
    lines.find((line) => /undefined symbol|too short|cannot open/i.test(line)) ??
    lines[lines.length - 1] ??
    text
  ).trim()
}

// RTLD_NOW resolves every symbol at once, so a libtensorflow lacking one fails here, not mid-training.
const bindingProbe = `
const m = { exports: {} }
process.dlopen(m, process.argv[1], require('os').constants.dlopen.RTLD_NOW)
console.log(JSON.stringify({ tensorflow: m.exports.TF_Version }))
`

/** Loads a tfjs_binding.node on its own: { ok, tensorflow } or { ok: false, reason }. */
export async function probeBinding(path) {
  try {
    const { stdout } = await run(process.execPath, ['-e', bindingProbe, path], { timeout: 120_000 })
    return { ok: true, ...JSON.parse(stdout.trim().split('\n').pop()) }
  } catch (error) {
    return { ok: false, reason: lastLine(error) }
  }
}

const packageProbe = `
const tf = require(process.argv[1])
const sum = tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).dataSync()
if (sum[0] !== 4 || sum[1] !== 6) throw new Error('wrong arithmetic: ' + Array.from(sum))
console.log(JSON.stringify({ backend: tf.getBackend(), tensorflow: tf.backend().binding.TF_Version }))
`

/** Requires the whole package (as the app will) from the project root and computes one sum on it. */
export async function probePackage(name, projectRoot) {
  try {
    const { stdout } = await run(process.execPath, ['-e', packageProbe, name], {
      cwd: projectRoot,
      timeout: 120_000
    })
    const result = JSON.parse(stdout.trim().split('\n').pop())
    if (result.backend !== 'tensorflow')
      return { ok: false, reason: `backend is ${result.backend}, not tensorflow` }
    return { ok: true, tensorflow: result.tensorflow }
  } catch (error) {
    return { ok: false, reason: lastLine(error) }
  }
}
