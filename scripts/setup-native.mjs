#!/usr/bin/env node
// Native TensorFlow for the engine (tfjs-node, and tfjs-node-gpu where installed). Runs as the project's
// postinstall and as `npm run setup:native` (--force). It never fails the install: where no route works,
// it says so in one paragraph and the app runs on wasm.
//
// Routes, in order:
//   1. tfjs-node's own installer (downloads libtensorflow and a prebuilt binding; needs storage.googleapis.com).
//   2. A local TensorFlow, then a binding built here with node-gyp against its headers:
//      $EMOHEAL_LIBTENSORFLOW (a folder or a .whl), an installed Python tensorflow / tensorflow-cpu,
//      a wheel fetched with `pip download` into ~/.cache/emoheal-workstation/wheels (kept for re-installs).
// Options: --force (redo even when the binding loads), --gpu (set up @tensorflow/tfjs-node-gpu, from a
// CUDA build: the `tensorflow` wheel or a libtensorflow-gpu tarball in $EMOHEAL_LIBTENSORFLOW).
// Environment: EMOHEAL_SKIP_NATIVE=1 skips everything; EMOHEAL_SKIP_TFJS_INSTALLER=1 skips route 1;
// EMOHEAL_TFJS_INSTALLER_TIMEOUT (seconds, default 300); EMOHEAL_PYTHON; EMOHEAL_CACHE_DIR.
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { cp, mkdir, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { bindingPath, buildBinding, napiBuildVersion } from './native/build-binding.mjs'
import { removeLeftovers, replaceWith, temporarySibling } from './native/files.mjs'
import { environmentSource, pythonSource, stageDeps, wheelSource } from './native/local-tensorflow.mjs'
import { probeBinding, probePackage } from './native/probe.mjs'
import { WheelError } from './native/zip.mjs'

const run = promisify(execFile)
const projectRoot = dirname(dirname(fileURLToPath(import.meta.url)))
const argv = process.argv.slice(2)
const force = argv.includes('--force')
const started = Date.now()

function progress(line) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  console.log(`[emoheal setup ${seconds.padStart(5)}s] ${line}`)
}

function oneLine(error) {
  return String(error?.message ?? error).split('\n')[0]
}

/** Moves a built deps/ and lib/napi-vN/ into the package: two renames, each atomic. */
async function install(packageFolder, depsFolder, moduleFolder) {
  await replaceWith(depsFolder, join(packageFolder, 'deps'))
  await mkdir(join(packageFolder, 'lib'), { recursive: true })
  await replaceWith(moduleFolder, join(packageFolder, 'lib', `napi-v${napiBuildVersion(packageFolder)}`))
}

/** Route 1, in a temporary copy of the package: its installer deletes deps/ and edits package.json as it goes. */
async function officialInstaller(target) {
  if (process.env.EMOHEAL_SKIP_TFJS_INSTALLER === '1')
    throw new Error('skipped (EMOHEAL_SKIP_TFJS_INSTALLER=1)')
  const copy = temporarySibling(target.folder, 'installer')
  await rm(copy, { recursive: true, force: true })
  await mkdir(copy)
  try {
    for (const name of ['package.json', 'scripts', 'binding', 'binding.gyp']) {
      await cp(join(target.folder, name), join(copy, name), { recursive: true })
    }
    const script = JSON.parse(readFileSync(join(target.folder, 'package.json'), 'utf8')).scripts.install
    const seconds = Number(process.env.EMOHEAL_TFJS_INSTALLER_TIMEOUT || 300)
    const path = `${join(projectRoot, 'node_modules/.bin')}:${process.env.PATH}`
    try {
      await run('sh', ['-c', script], {
        cwd: copy,
        env: { ...process.env, PATH: path },
        timeout: seconds * 1000,
        maxBuffer: 64 << 20
      })
    } catch (error) {
      const text = `${error.stdout ?? ''}\n${error.stderr ?? ''}`
      const reason =
        text.match(/(ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ECONNRESET)[^\n]*/)?.[0] ?? oneLine(error)
      throw new Error(`failed (${reason.trim()})`)
    }
    const built = bindingPath(copy)
    if (!existsSync(built)) throw new Error(`finished without ${built}`)
    const probe = await probeBinding(built)
    if (!probe.ok) throw new Error(`its binding does not load: ${probe.reason}`)
    await install(target.folder, join(copy, 'deps'), dirname(built))
    return probe.tensorflow
  } finally {
    await rm(copy, { recursive: true, force: true })
  }
}

/** Route 2 for one source: stage deps/, build the binding against it, load it, then move both in. */
async function buildFromSource(target, source) {
  const depsFolder = temporarySibling(join(target.folder, 'deps'), 'deps')
  const buildFolder = temporarySibling(join(target.folder, 'binding'), 'build')
  try {
    await rm(depsFolder, { recursive: true, force: true })
    let clock = Date.now()
    await stageDeps(source, depsFolder)
    progress(
      `staged the libraries and headers from ${source.label} (${((Date.now() - clock) / 1000).toFixed(1)} s)`
    )
    clock = Date.now()
    const built = await buildBinding({
      packageFolder: target.folder,
      depsFolder,
      buildFolder,
      projectRoot,
      log: progress
    })
    progress(`built tfjs_binding.node with node-gyp (${((Date.now() - clock) / 1000).toFixed(1)} s)`)
    const probe = await probeBinding(built)
    if (!probe.ok) throw new Error(`the built binding does not load: ${probe.reason}`)
    await install(target.folder, depsFolder, dirname(built))
    return probe.tensorflow
  } finally {
    await rm(depsFolder, { recursive: true, force: true })
    await rm(buildFolder, { recursive: true, force: true })
  }
}

/** The local sources, each resolved lazily so that a later one (a 274 MB download) is only fetched when needed. */
function localSources(target) {
  return [
    { name: 'EMOHEAL_LIBTENSORFLOW', resolve: async () => environmentSource() },
    { name: 'installed Python TensorFlow', resolve: () => pythonSource(target.flavour) },
    { name: 'pip wheel', resolve: () => wheelSource(target.flavour, progress), retryAfterRemoving: true }
  ]
}

async function setUp(target) {
  const attempts = []
  if (!existsSync(join(target.folder, 'package.json'))) {
    progress(`${target.name} is not installed; skipping it`)
    return { ok: false, skipped: true, attempts }
  }
  if (!force) {
    const probe = await probePackage(target.name, projectRoot)
    if (probe.ok) {
      progress(
        `${target.name} already loads TensorFlow ${probe.tensorflow}; nothing to do (--force redoes it)`
      )
      return { ok: true, attempts }
    }
    progress(`${target.name} does not load yet (${probe.reason})`)
  }
  await removeLeftovers(target.folder)
  await removeLeftovers(dirname(target.folder))

  progress(`trying ${target.name}'s own installer (downloads libtensorflow from its host)`)
  try {
    const version = await officialInstaller(target)
    progress(`${target.name}'s installer worked: TensorFlow ${version}`)
    return verify(target, attempts)
  } catch (error) {
    attempts.push(`its own installer ${oneLine(error)}`)
    progress(`its own installer ${oneLine(error)}`)
  }

  for (const candidate of localSources(target)) {
    let source
    try {
      source = await candidate.resolve()
    } catch (error) {
      attempts.push(`${candidate.name}: ${oneLine(error)}`)
      progress(`${candidate.name}: ${oneLine(error)}`)
      continue
    }
    if (!source) {
      attempts.push(`${candidate.name}: none found`)
      progress(`${candidate.name}: none found`)
      continue
    }
    progress(`using ${source.label}${source.version ? ` (TensorFlow ${source.version})` : ''}`)
    try {
      const version = await buildFromSource(target, source)
      progress(`the binding loads TensorFlow ${version}`)
      return verify(target, attempts)
    } catch (error) {
      attempts.push(`${source.label}: ${oneLine(error)}`)
      progress(`${source.label}: ${oneLine(error)}`)
      // A cached wheel that is damaged goes, so that the next source (or run) fetches a sound one.
      if (candidate.retryAfterRemoving && error instanceof WheelError && source.label.startsWith('cached')) {
        await rm(source.wheel, { force: true })
        progress(`removed the damaged cached wheel ${source.wheel}; fetching it again`)
        try {
          const fresh = await wheelSource(target.flavour, progress)
          const version = await buildFromSource(target, fresh)
          progress(`the binding loads TensorFlow ${version}`)
          return verify(target, attempts)
        } catch (retryError) {
          attempts.push(`fresh wheel: ${oneLine(retryError)}`)
          progress(`fresh wheel: ${oneLine(retryError)}`)
        }
      }
    }
  }
  return { ok: false, attempts }
}

async function verify(target, attempts) {
  const probe = await probePackage(target.name, projectRoot)
  if (probe.ok)
    progress(`${target.name} is ready: require('${target.name}') runs on TensorFlow ${probe.tensorflow}`)
  else {
    attempts.push(`installed, but require('${target.name}') fails: ${probe.reason}`)
    progress(`installed, but require('${target.name}') fails: ${probe.reason}`)
  }
  return { ok: probe.ok, attempts }
}

function explain(target, attempts) {
  const gpu = target.flavour === 'gpu'
  return [
    `No native TensorFlow for ${target.name}; the engine will run on wasm (3 to 5 times slower to train).`,
    `Tried: ${attempts.join('; ')}.`,
    `To get one: allow this machine to reach storage.googleapis.com and run "npm run setup:native";`,
    gpu
      ? 'or install a CUDA build of TensorFlow for Python ("pip install tensorflow[and-cuda]"), or unpack a libtensorflow-gpu tarball and set EMOHEAL_LIBTENSORFLOW to its folder,'
      : 'or "pip install tensorflow-cpu" for a python3 on PATH (or set EMOHEAL_PYTHON), or set EMOHEAL_LIBTENSORFLOW to a folder holding libtensorflow (lib/ and include/) or to a tensorflow-cpu .whl,',
    'then run "npm run setup:native". Building needs a C++ compiler, make and python3 (for node-gyp).'
  ].join(' ')
}

async function main() {
  if (process.env.EMOHEAL_SKIP_NATIVE === '1') {
    progress('skipped (EMOHEAL_SKIP_NATIVE=1)')
    return
  }
  const targets = [{ name: '@tensorflow/tfjs-node', flavour: 'cpu' }]
  const gpuFolder = join(projectRoot, 'node_modules/@tensorflow/tfjs-node-gpu')
  if (argv.includes('--gpu') || existsSync(gpuFolder))
    targets.push({ name: '@tensorflow/tfjs-node-gpu', flavour: 'gpu' })
  for (const target of targets) {
    target.folder = join(projectRoot, 'node_modules', target.name)
    let result
    try {
      result = await setUp(target)
    } catch (error) {
      result = { ok: false, attempts: [`unexpected failure: ${oneLine(error)}`] }
    }
    if (!result.ok && !result.skipped) console.log(`\n${explain(target, result.attempts)}\n`)
  }
}

main()
  .catch((error) =>
    console.log(`[emoheal setup] native TensorFlow setup failed unexpectedly: ${oneLine(error)}`)
  )
  .finally(() => {
    process.exitCode = 0
  })
