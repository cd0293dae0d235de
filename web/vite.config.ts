/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const API_TARGET = process.env.ACCORD_API ?? 'http://127.0.0.1:8080';

// The Rust binary embeds web/dist and serves index.html for every non-/api path.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // The lazily loaded editor chunk (TipTap + ProseMirror + Yjs) is ~530 kB minified, ~170 kB gzipped;
    // the entry chunk that sign-in pages load stays small.
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      '/api': {
        target: API_TARGET,
        changeOrigin: true,
        // The server refuses state-changing requests with a foreign Origin; the dev
        // server's origin (localhost:5173) is foreign to it, so present the target's.
        configure: (proxy) => {
          proxy.on('proxyReq', (req) => {
            if (req.getHeader('origin')) req.setHeader('origin', API_TARGET);
          });
        },
      },
      '/healthz': { target: API_TARGET, changeOrigin: true },
    },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
});
