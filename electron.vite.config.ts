import { resolve } from 'node:path'
import { defineConfig, externalizeDepsPlugin } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

// One build serves five hosts: the Electron main process (index), the command line (cli), the
// training worker threads (train-worker), the threads that import weight files and predict sessions
// (engine-worker) and the thread that computes the Annotate overlays (overlay-worker), all from src-main; the renderer is the same for Electron and for `emoheal serve`.
export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin()],
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src-main/index.ts'),
          cli: resolve(__dirname, 'src-main/cli/index.ts'),
          'train-worker': resolve(__dirname, 'src-main/engine/runs/train-worker.ts'),
          'engine-worker': resolve(__dirname, 'src-main/engine/tasks/engine-worker.ts'),
          'overlay-worker': resolve(__dirname, 'src-main/signal/overlay-worker.ts')
        },
        output: {
          banner: (chunk) => (chunk.name === 'cli' ? '#!/usr/bin/env node' : '')
        }
      }
    }
  },
  preload: {
    plugins: [externalizeDepsPlugin()],
    build: {
      outDir: 'out/preload',
      rollupOptions: { input: { index: resolve(__dirname, 'src-preload/index.ts') } }
    }
  },
  renderer: {
    root: 'src-renderer',
    resolve: { alias: { '@renderer': resolve(__dirname, 'src-renderer/src') } },
    plugins: [vue()],
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } }
    }
  }
})
