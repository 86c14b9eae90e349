// Builds tfjs-node's native binding from its own binding.gyp with node-gyp, against a staged deps/ folder,
// in a temporary copy of the package so that a failed or interrupted build changes nothing.
import { patchBindingSources } from './function-patch.mjs'
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { cp, mkdir, rm, symlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The N-API folder node-pre-gyp looks in: the highest of the package's napi_versions this Node supports. */
export function napiBuildVersion(packageFolder) {
  const { binary } = JSON.parse(readFileSync(join(packageFolder, 'package.json'), 'utf8'))
  const supported = Number(process.versions.napi)
  return Math.max(...binary.napi_versions.filter((version) => version <= supported))
}

export function bindingPath(packageFolder) {
  return join(packageFolder, 'lib', `napi-v${napiBuildVersion(packageFolder)}`, 'tfjs_binding.node')
}

/** node-gyp as a [command, ...leading args]: npm's own copy when npm runs us, else the one beside this Node. */
export function findNodeGyp(projectRoot) {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(projectRoot, 'node_modules/node-gyp/bin/node-gyp.js'),
    join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
    join(dirname(process.execPath), 'node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')
  ].filter(Boolean)
  const found = candidates.find((path) => existsSync(path))
  if (found) return found.endsWith('.js') ? [process.execPath, found] : [found]
  return ['node-gyp']
}

/** Node's headers shipped beside this Node (distribution packages do), so node-gyp need not download them. */
function nodeHeadersFolder() {
  const prefix = join(dirname(process.execPath), '..')
  return existsSync(join(prefix, 'include/node/common.gypi')) ? prefix : undefined
}

/**
 * Builds tfjs_binding.node into `buildFolder`/lib/napi-vN against `depsFolder` and returns its path.
 * The binary finds the libraries through its rpath, $ORIGIN/../../deps/lib, so it works once moved.
 */
export async function buildBinding({ packageFolder, depsFolder, buildFolder, projectRoot, log = () => {} }) {
  await rm(buildFolder, { recursive: true, force: true })
  await mkdir(buildFolder, { recursive: true })
  await cp(join(packageFolder, 'binding.gyp'), join(buildFolder, 'binding.gyp'))
  await cp(join(packageFolder, 'binding'), join(buildFolder, 'binding'), { recursive: true })
  try {
    await patchBindingSources(join(buildFolder, 'binding'))
    log('added emohealRegisterFunction to the binding (graph functions for the engine)')
  } catch (error) {
    log(`building the binding as published, without graph functions: ${error.message}`)
  }
  await symlink(depsFolder, join(buildFolder, 'deps'))
  const napi = napiBuildVersion(packageFolder)
  const modulePath = join(buildFolder, 'lib', `napi-v${napi}`)
  const [command, ...leading] = findNodeGyp(projectRoot)
  const headers = nodeHeadersFolder()
  const args = [
    ...leading,
    'rebuild',
    `--jobs=${Math.max(1, (await import('node:os')).availableParallelism())}`,
    ...(headers ? [`--nodedir=${headers}`] : []),
    '--module_name=tfjs_binding',
    `--module_path=${modulePath}`,
    `--napi_build_version=${napi}`
  ]
  try {
    await run(command, args, { cwd: buildFolder, timeout: 900_000, maxBuffer: 64 << 20 })
  } catch (error) {
    const output = `${error.stdout ?? ''}\n${error.stderr ?? ''}`
    const firstError =
      output.split('\n').find((line) => /error|not found|ENOENT/i.test(line)) ?? error.message
    throw new Error(`node-gyp failed to build the binding (${firstError.trim()})`)
  }
  const built = join(modulePath, 'tfjs_binding.node')
  if (!existsSync(built)) throw new Error(`node-gyp finished but ${built} is missing`)
  return built
}
