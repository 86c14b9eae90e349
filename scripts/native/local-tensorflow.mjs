// Finds a TensorFlow C library on this machine (or fetches one through pip) and stages it as tfjs-node's
// deps/ folder: lib/ with the libraries and the names binding.gyp links against, include/ with the C API
// headers. Sources, in order: $EMOHEAL_LIBTENSORFLOW, an installed Python TensorFlow, a cached or
// pip-downloaded wheel.
import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { cp, copyFile, mkdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, join } from 'node:path'
import { promisify } from 'node:util'
import { extractEntry, extractFolder, listZip, WheelError } from './zip.mjs'
import { megabytes, removeLeftovers, requireFreeSpace, temporaryPrefix } from './files.mjs'

const run = promisify(execFile)

/** The headers that tensorflow/c/c_api.h and eager/c_api.h reach; the wheel's other 260 MB of headers are not needed. */
export const headerFolders = ['tensorflow/c/', 'tensorflow/core/platform/', 'tsl/', 'xla/tsl/']

/** Library file names, by preference: the C library, then its framework companion. */
const mainLibraryNames = ['libtensorflow.so.2', 'libtensorflow_cc.so.2']
const frameworkLibraryName = 'libtensorflow_framework.so.2'

/** The flavour decides which Python distribution and wheel serve: a CUDA build for tfjs-node-gpu. */
export const flavours = {
  cpu: {
    distributions: ['tensorflow-cpu', 'tensorflow', 'tf-nightly-cpu'],
    wheel: 'tensorflow-cpu',
    wheelPrefix: 'tensorflow_cpu-'
  },
  gpu: { distributions: ['tensorflow', 'tf-nightly'], wheel: 'tensorflow', wheelPrefix: 'tensorflow-' }
}

export function cacheFolder() {
  if (process.env.EMOHEAL_CACHE_DIR) return process.env.EMOHEAL_CACHE_DIR
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache')
  return join(base, 'emoheal-workstation')
}

export function pythonCandidates() {
  return [process.env.EMOHEAL_PYTHON, 'python3', '/usr/bin/python3', 'python'].filter(Boolean)
}

function versionFromWheelName(file) {
  return basename(file).split('-')[1]
}

function compareVersions(a, b) {
  const left = a.split('.').map((part) => parseInt(part, 10) || 0)
  const right = b.split('.').map((part) => parseInt(part, 10) || 0)
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    if ((left[i] ?? 0) !== (right[i] ?? 0)) return (left[i] ?? 0) - (right[i] ?? 0)
  }
  return 0
}

/** A folder holding the libraries: a libtensorflow tarball's root, its lib/, or a wheel's tensorflow/ folder. */
function libraryFolderSource(folder, label, version) {
  for (const libraryFolder of [join(folder, 'lib'), folder]) {
    const main = mainLibraryNames.map((name) => join(libraryFolder, name)).find((path) => existsSync(path))
    const framework = join(libraryFolder, frameworkLibraryName)
    if (main && existsSync(framework)) {
      const include = join(folder, 'include')
      if (!existsSync(join(include, 'tensorflow/c/c_api.h'))) {
        throw new Error(`${label}: ${folder} has the libraries but no include/tensorflow/c/c_api.h`)
      }
      return { kind: 'folder', label, version, main, framework, include }
    }
  }
  throw new Error(
    `${label}: ${folder} holds neither ${mainLibraryNames.join(' nor ')} with ${frameworkLibraryName}`
  )
}

/** $EMOHEAL_LIBTENSORFLOW: a folder (tarball root or wheel's tensorflow/) or a .whl file. */
export function environmentSource() {
  const value = process.env.EMOHEAL_LIBTENSORFLOW
  if (!value) return undefined
  if (!existsSync(value)) throw new Error(`EMOHEAL_LIBTENSORFLOW=${value} does not exist`)
  if (value.endsWith('.whl'))
    return {
      kind: 'wheel',
      label: 'EMOHEAL_LIBTENSORFLOW',
      wheel: value,
      version: versionFromWheelName(value)
    }
  return libraryFolderSource(value, 'EMOHEAL_LIBTENSORFLOW')
}

const findTensorFlowPython = `
import importlib.util, importlib.metadata, json, sys
version = None
for name in sys.argv[1:]:
    try:
        version = importlib.metadata.version(name); break
    except Exception:
        pass
spec = importlib.util.find_spec('tensorflow')
folder = list(spec.submodule_search_locations)[0] if spec and spec.submodule_search_locations else None
print(json.dumps({'folder': folder, 'version': version}))
`

/** An installed Python tensorflow (or tensorflow-cpu): its package folder has the libraries and include/. */
export async function pythonSource(flavour) {
  for (const python of pythonCandidates()) {
    let found
    try {
      const { stdout } = await run(python, ['-c', findTensorFlowPython, ...flavours[flavour].distributions], {
        timeout: 30_000
      })
      found = JSON.parse(stdout)
    } catch {
      continue
    }
    if (!found.folder || !found.version) continue
    try {
      return libraryFolderSource(found.folder, `${python}'s tensorflow ${found.version}`, found.version)
    } catch {
      continue
    }
  }
  return undefined
}

function cachedWheel(flavour) {
  const folder = join(cacheFolder(), 'wheels')
  if (!existsSync(folder)) return undefined
  const { wheelPrefix } = flavours[flavour]
  const wheels = readdirSync(folder)
    .filter((name) => name.startsWith(wheelPrefix) && name.endsWith('.whl'))
    .sort((a, b) => compareVersions(versionFromWheelName(b), versionFromWheelName(a)))
  return wheels.length ? join(folder, wheels[0]) : undefined
}

/** The wheel from the cache, else fetched with pip into the cache (atomically: a temporary folder, then a rename). */
export async function wheelSource(flavour, progress) {
  const cached = cachedWheel(flavour)
  if (cached)
    return {
      kind: 'wheel',
      label: `cached wheel ${cached}`,
      wheel: cached,
      version: versionFromWheelName(cached)
    }
  const folder = join(cacheFolder(), 'wheels')
  await mkdir(folder, { recursive: true })
  await removeLeftovers(folder)
  await requireFreeSpace(folder, 350e6, `the ${flavours[flavour].wheel} wheel download`)
  const download = join(folder, `${temporaryPrefix}download-${process.pid}`)
  const failures = []
  for (const python of pythonCandidates()) {
    progress(`fetching ${flavours[flavour].wheel} with ${python} -m pip download into ${folder}`)
    try {
      await rm(download, { recursive: true, force: true })
      const args = [
        '-m',
        'pip',
        'download',
        '--no-deps',
        '--only-binary=:all:',
        '--disable-pip-version-check',
        '-d',
        download
      ]
      await run(python, [...args, flavours[flavour].wheel], { timeout: 900_000, maxBuffer: 16 << 20 })
      const name = readdirSync(download).find((file) => file.endsWith('.whl'))
      if (!name) throw new Error('pip reported success but left no .whl')
      await rename(join(download, name), join(folder, name))
      await rm(download, { recursive: true, force: true })
      return {
        kind: 'wheel',
        label: `downloaded wheel ${join(folder, name)}`,
        wheel: join(folder, name),
        version: versionFromWheelName(name)
      }
    } catch (error) {
      const lines = String(error.stderr || error.message)
        .trim()
        .split('\n')
      failures.push(`${python}: ${lines[lines.length - 1]}`)
    }
  }
  await rm(download, { recursive: true, force: true })
  throw new Error(`pip could not fetch ${flavours[flavour].wheel} (${failures.join('; ')})`)
}

async function linkLibraryNames(libraryFolder, main) {
  // binding.gyp links -ltensorflow -ltensorflow_framework; the binary then records the libraries' sonames.
  await symlink(basename(main), join(libraryFolder, 'libtensorflow.so'))
  await symlink(frameworkLibraryName, join(libraryFolder, 'libtensorflow_framework.so'))
}

/** Writes deps/ (lib/, include/, emoheal-source.json) for `source` into the empty folder `staged`. */
export async function stageDeps(source, staged) {
  const libraryFolder = join(staged, 'lib')
  const includeFolder = join(staged, 'include')
  await mkdir(libraryFolder, { recursive: true })
  await mkdir(includeFolder, { recursive: true })
  if (source.kind === 'wheel') await stageFromWheel(source.wheel, staged)
  else await stageFromFolder(source, staged)
  await writeFile(
    join(staged, 'emoheal-source.json'),
    `${JSON.stringify({ source: source.label, version: source.version ?? null, stagedAt: new Date().toISOString() }, null, 2)}\n`
  )
}

async function stageFromFolder(source, staged) {
  const sizes = (await stat(source.main)).size + (await stat(source.framework)).size
  await requireFreeSpace(staged, sizes + 20e6, `the TensorFlow libraries from ${source.label}`)
  const main = join(staged, 'lib', basename(source.main))
  await copyFile(source.main, main)
  await copyFile(source.framework, join(staged, 'lib', frameworkLibraryName))
  await linkLibraryNames(join(staged, 'lib'), main)
  for (const folder of headerFolders) {
    const from = join(source.include, folder)
    if (existsSync(from))
      await cp(from, join(staged, 'include', folder), { recursive: true, dereference: true })
  }
}

async function stageFromWheel(wheel, staged) {
  let entries
  try {
    entries = await listZip(wheel)
  } catch (error) {
    if (error instanceof WheelError) throw error
    throw new WheelError(`${wheel} cannot be read as a zip: ${error.message}`)
  }
  const byName = new Map(entries.map((entry) => [entry.name, entry]))
  const main = mainLibraryNames.map((name) => byName.get(`tensorflow/${name}`)).find(Boolean)
  const framework = byName.get(`tensorflow/${frameworkLibraryName}`)
  const header = byName.get('tensorflow/include/tensorflow/c/c_api.h')
  if (!main || !framework || !header) {
    const missing = [
      main ? undefined : `tensorflow/${mainLibraryNames.join(' or tensorflow/')}`,
      framework ? undefined : `tensorflow/${frameworkLibraryName}`,
      header ? undefined : 'tensorflow/include/tensorflow/c/c_api.h'
    ].filter(Boolean)
    throw new WheelError(`${wheel} lacks the TensorFlow C library: no ${missing.join(', no ')}`)
  }
  const headers = entries.filter((entry) =>
    headerFolders.some((folder) => entry.name.startsWith(`tensorflow/include/${folder}`))
  )
  const needed = main.size + framework.size + headers.reduce((sum, entry) => sum + entry.size, 0)
  await requireFreeSpace(
    staged,
    needed + 20e6,
    `the TensorFlow libraries from ${basename(wheel)} (${megabytes(needed)})`
  )
  const mainName = basename(main.name)
  await extractEntry(wheel, main, join(staged, 'lib', mainName))
  await extractEntry(wheel, framework, join(staged, 'lib', frameworkLibraryName))
  await linkLibraryNames(join(staged, 'lib'), mainName)
  for (const folder of headerFolders) {
    await extractFolder(wheel, headers, `tensorflow/include/${folder}`, join(staged, 'include', folder))
  }
}
