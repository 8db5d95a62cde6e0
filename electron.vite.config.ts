import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';

const root = import.meta.dirname;

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // The stall explorer maps the frames it catches back to the TypeScript a person edits.
      sourcemap: true,
      rollupOptions: {
        // Worker thread and child process entries are bundled beside the shell so the engine can
        // find them next to itself (see main/engine/entry-points.ts).
        input: {
          index: resolve(root, 'main/index.ts'),
          'load-generator': resolve(root, 'main/load/child.ts'),
          'attach-watcher': resolve(root, 'main/attach/child.ts'),
          'bcrypt-worker': resolve(root, 'main/engine/bcrypt/worker.ts'),
          'stall-watchdog': resolve(root, 'main/stalls/watchdog-worker.ts'),
          'server-worker': resolve(root, 'main/engine/cluster/worker-entry.ts'),
        },
        // Keep shared chunks in the same folder as the entries so relative lookups hold.
        output: { entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload can require only 'electron': the shared API module (and zod) is bundled in.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(root, 'preload/index.ts') },
        // A sandboxed preload cannot be an ES module.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    build: {
      outDir: resolve(root, 'out/renderer'),
      rollupOptions: { input: { index: resolve(root, 'renderer/index.html') } },
    },
  },
});
