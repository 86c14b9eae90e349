import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { registerKernelOverrides } from './execution-policy'
import { graphFunctionsPresent } from '../executors/graph-ops'
import { execFile } from 'node:child_process'
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism, constants } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { isMainThread } from 'node:worker_threads'
import { ValidationError } from '../../errors'

/**
 * The one place the engine picks its TensorFlow.js backend. Native TensorFlow (tfjs-node-gpu, then
 * tfjs-node) is optional: it is loaded at run time, and any load failure becomes a reason string.
 */
export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu'

export interface BackendStatus {
  name: string
  available: boolean
  reason?: string
  tensorflow?: string
  devices?: string[]
  /** Native only: the binding registers TensorFlow functions, so each layer's pass runs as one op. */
  graphFunctions?: boolean
}

export interface BackendChoice {
  name: string
  why: string
}

export const backendPreferences: readonly BackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu']

type TensorflowName = 'tensorflow-gpu' | 'tensorflow'

export interface BackendOptions {
  /** Intra-op threads for native TensorFlow; set before it loads (see threadsPerJob). */
  threads?: number
  /** Package folders of the native backends, where not the installed ones (tests use broken copies). */
  packageFolders?: Partial<Record<TensorflowName, string>>
}

const tensorflowPackages: Record<TensorflowName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node'
}

interface TensorflowLoad {
  available: boolean
  reason?: string
  tensorflow?: string
  devices?: string[]
  graphFunctions?: boolean
}

// Resolve from this file where it has one (the bundle, vitest), else from the working folder.
const load = createRequire(typeof __filename === 'string' ? __filename : join(process.cwd(), 'index.js'))

const tensorflowLoads = new Map<TensorflowName, Promise<TensorflowLoad>>()
const runChild = promisify(execFile)
let lastChoice: { preference: BackendPreference; choice: BackendChoice } | undefined

/**
 * TensorFlow intra-op threads for each of `jobs` parallel trainings. One by default: this model's ops are
 * too small to split, and on 2 cores one thread trained faster than two (bench/train: paper preset 848 vs
 * 615 windows/s, native-rate 298 vs 212); the other cores serve parallel folds (--jobs). EMOHEAL_TF_THREADS
 * asks for more, never beyond cores / jobs, so that jobs do not oversubscribe the machine.
 */
export function threadsPerJob(jobs: number, cores = availableParallelism()): number {
  const fair = Math.max(1, Math.floor(cores / Math.max(1, jobs)))
  const asked = Number(process.env.EMOHEAL_TF_THREADS)
  return Number.isInteger(asked) && asked > 0 ? Math.min(asked, fair) : 1
}

/**
 * Sizes TensorFlow's thread pools, read once when the library creates its context. A value the user
 * set in the environment wins. In a worker thread process.env is a private copy that native code
 * never sees, so the parent must call this before it starts workers (or start them with SHARE_ENV).
 */
export function configureThreadPools(threads: number): void {
  process.env.TF_NUM_INTRAOP_THREADS ??= String(threads)
  process.env.TF_NUM_INTEROP_THREADS ??= '1'
  // TensorFlow's INFO lines (oneDNN, CPU features) would otherwise land on every CLI's stderr.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2'
}

function packageFolder(name: TensorflowName, options: BackendOptions): string | undefined {
  const given = options.packageFolders?.[name]
  if (given) return existsSync(join(given, 'package.json')) ? given : undefined
  try {
    return dirname(load.resolve(`${tensorflowPackages[name]}/package.json`))
  } catch {
    return undefined
  }
}

function bindingFile(folder: string): string {
  const { binary } = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as {
    binary: { napi_versions: number[] }
  }
  const napi = Math.max(...binary.napi_versions.filter((version) => version <= Number(process.versions.napi)))
  return join(folder, 'lib', `napi-v${napi}`, 'tfjs_binding.node')
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]
}

/** Loads a native package once per process; a missing or broken library yields a reason, not a throw. */
function loadTensorflow(name: TensorflowName, options: BackendOptions): Promise<TensorflowLoad> {
  let result = tensorflowLoads.get(name)
  if (!result) {
    result = tryLoadTensorflow(name, options)
    tensorflowLoads.set(name, result)
  }
  return result
}

// RTLD_NOW resolves every symbol at once, so a libtensorflow of the wrong version fails on load with the
// missing symbol, instead of aborting at the first call into it.
const bindingProbe = `
const m = { exports: {} }
process.dlopen(m, process.argv[1], require('os').constants.dlopen.RTLD_NOW)
console.log(m.exports.TF_Version)
`

/**
 * Loads the binding in a child process first: a truncated library kills the loader with SIGBUS, and a
 * library may abort as it initialises; neither may take the app down. Returns a reason, or undefined.
 */
async function probeInChild(binding: string): Promise<string | undefined> {
  try {
    await runChild(process.execPath, ['-e', bindingProbe, binding], {
      timeout: 120_000,
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }
    })
    return undefined
  } catch (error) {
    const failure = error as { stderr?: string; signal?: string; message: string }
    const lines = (failure.stderr ?? '')
      .split('\n')
      .filter((line) => line.trim() && !line.trim().startsWith('at '))
    const message = lines.find((line) => /Error: |undefined symbol|cannot open|too short/.test(line))
    if (message) return message.replace(/^\s*Error: /, '').trim()
    if (failure.signal) return `the loader died with ${failure.signal} (a truncated or damaged library)`
    return firstLine(failure.message)
  }
}

/** A 64-bit ELF library whose loadable segments reach past its end: the loader would die on it. */
function truncatedLibrary(folder: string): string | undefined {
  const libraries = join(folder, 'deps', 'lib')
  if (!existsSync(libraries)) return undefined
  for (const name of readdirSync(libraries)) {
    const path = join(libraries, name)
    const size = statSync(path).size
    const header = Buffer.alloc(64)
    const handle = openSync(path, 'r')
    try {
      if (
        readSync(handle, header, 0, 64, 0) < 64 ||
        header.readUInt32BE(0) !== 0x7f454c46 ||
        header[4] !== 2
      ) {
        return `${path} is not a 64-bit ELF library (${size} bytes)`
      }
      const tableOffset = Number(header.readBigUInt64LE(32))
      const entrySize = header.readUInt16LE(54)
      const table = Buffer.alloc(entrySize * header.readUInt16LE(56))
      readSync(handle, table, 0, table.length, tableOffset)
      for (let at = 0; at + entrySize <= table.length; at += entrySize) {
        const end = Number(table.readBigUInt64LE(at + 8)) + Number(table.readBigUInt64LE(at + 32))
        if (table.readUInt32LE(at) === 1 && end > size)
          return `${path} is truncated: ${size} bytes, its segments need ${end}`
      }
    } finally {
      closeSync(handle)
    }
  }
  return undefined
}

async function tryLoadTensorflow(name: TensorflowName, options: BackendOptions): Promise<TensorflowLoad> {
  const packageName = tensorflowPackages[name]
  const folder = packageFolder(name, options)
  if (!folder) return { available: false, reason: `${packageName} is not installed` }
  if (name === 'tensorflow' && (await tensorflowLoads.get('tensorflow-gpu'))?.available) {
    return {
      available: false,
      reason: `not loaded: ${tensorflowPackages['tensorflow-gpu']} already provides TensorFlow here`
    }
  }
  const binding = bindingFile(folder)
  if (!existsSync(binding)) {
    return {
      available: false,
      reason: `${packageName} has no native binding (${binding}); run "npm run setup:native"`
    }
  }
  configureThreadPools(options.threads ?? threadsPerJob(1))
  const childFailure = truncatedLibrary(folder) ?? (await probeInChild(binding))
  if (childFailure)
    return { available: false, reason: `${packageName}: the native library does not load: ${childFailure}` }
  const preflight = { exports: {} as { TF_Version?: string } }
  try {
    process.dlopen(preflight, binding, constants.dlopen.RTLD_NOW)
  } catch (error) {
    return {
      available: false,
      reason: `${packageName}: the native library does not load: ${firstLine(error)}`
    }
  }
  const previous = currentBackend()
  try {
    // The package registers the 'tensorflow' backend and switches to it as it loads.
    load(options.packageFolders?.[name] ?? packageName)
  } catch (error) {
    return { available: false, reason: `${packageName} failed to load: ${firstLine(error)}` }
  }
  if (previous && previous !== 'tensorflow') void tf.setBackend(previous)
  const backend = tf.findBackend('tensorflow') as (tf.KernelBackend & { isUsingGpuDevice?: boolean }) | null
  if (!backend)
    return { available: false, reason: `${packageName} loaded but registered no tensorflow backend` }
  const devices = backend.isUsingGpuDevice ? ['/device:CPU:0', '/device:GPU:0'] : ['/device:CPU:0']
  return {
    available: true,
    tensorflow: preflight.exports.TF_Version,
    devices,
    graphFunctions: graphFunctionsPresent()
  }
}

/** The backend in use, without making tfjs pick one as tf.getBackend() would. */
function currentBackend(): string | undefined {
  return (tf.engine() as unknown as { backendName?: string }).backendName ?? undefined
}

async function jsBackendStatus(name: 'wasm' | 'cpu'): Promise<BackendStatus> {
  if (!tf.findBackendFactory(name))
    return { name, available: false, reason: `the ${name} backend is not registered` }
  const previous = currentBackend()
  try {
    const ready = await tf.setBackend(name)
    if (!ready) return { name, available: false, reason: `the ${name} backend failed to initialise` }
    return { name, available: true }
  } catch (error) {
    return { name, available: false, reason: `the ${name} backend failed to initialise: ${firstLine(error)}` }
  } finally {
    if (previous && previous !== name) await tf.setBackend(previous)
  }
}

async function tensorflowStatus(name: TensorflowName, options: BackendOptions): Promise<BackendStatus> {
  const loaded = await loadTensorflow(name, options)
  return { name, ...loaded }
}

/** Every backend the engine knows, in the order `auto` tries them, with why any is unavailable. */
export async function listBackends(options: BackendOptions = {}): Promise<BackendStatus[]> {
  return [
    await tensorflowStatus('tensorflow-gpu', options),
    await tensorflowStatus('tensorflow', options),
    await jsBackendStatus('wasm'),
    await jsBackendStatus('cpu')
  ]
}

function describeTensorflow(status: BackendStatus): string {
  const intra = process.env.TF_NUM_INTRAOP_THREADS ?? 'default'
  const inter = process.env.TF_NUM_INTEROP_THREADS ?? 'default'
  const where = isMainThread ? '' : ' (set by the parent: worker thread)'
  return `${tensorflowPackages[status.name as TensorflowName]} on TensorFlow ${status.tensorflow ?? '?'}, ${
    status.devices?.join(' ') ?? ''
  }, threads intra-op ${intra} inter-op ${inter}${where}, ${
    status.graphFunctions
      ? 'layers as graph functions'
      : 'layers op by op (this binding registers no functions)'
  }`
}

function unavailable(statuses: BackendStatus[]): string {
  return statuses.map((status) => `${status.name}: ${status.reason ?? 'unavailable'}`).join('; ')
}

/**
 * Switches tfjs to the preferred backend. `auto` takes the first available of tensorflow-gpu, tensorflow,
 * wasm, cpu; a named backend that is unavailable is an error, never a silent fallback. Idempotent.
 */
export async function useBackend(
  preference: BackendPreference,
  options: BackendOptions = {}
): Promise<BackendChoice> {
  if (!backendPreferences.includes(preference)) {
    throw new ValidationError(
      `unknown backend "${preference}"; choose one of ${backendPreferences.join(', ')}`,
      'backend'
    )
  }
  if (lastChoice?.preference === preference && currentBackend() === lastChoice.choice.name)
    return lastChoice.choice
  configureThreadPools(options.threads ?? threadsPerJob(1))
  const skipped: BackendStatus[] = []
  const candidates: (TensorflowName | 'wasm' | 'cpu')[] =
    preference === 'auto'
      ? ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']
      : preference === 'tensorflow'
        ? ['tensorflow-gpu', 'tensorflow']
        : [preference]
  for (const candidate of candidates) {
    const status =
      candidate === 'wasm' || candidate === 'cpu'
        ? await jsBackendStatus(candidate)
        : await tensorflowStatus(candidate, options)
    if (!status.available) {
      skipped.push(status)
      continue
    }
    const name = candidate === 'wasm' || candidate === 'cpu' ? candidate : 'tensorflow'
    if (!(await tf.setBackend(name))) {
      skipped.push({ name: candidate, available: false, reason: 'tf.setBackend refused it' })
      continue
    }
    registerKernelOverrides(name)
    const what =
      name === 'tensorflow'
        ? describeTensorflow(status)
        : name === 'wasm'
          ? 'WebAssembly, one thread'
          : 'plain JavaScript (slowest)'
    const passed = skipped.length ? `; skipped ${unavailable(skipped)}` : ''
    const choice = { name, why: `${preference === 'auto' ? 'auto' : 'requested'}: ${what}${passed}` }
    lastChoice = { preference, choice }
    return choice
  }
  throw new ValidationError(`backend "${preference}" is not available: ${unavailable(skipped)}`, 'backend')
}
