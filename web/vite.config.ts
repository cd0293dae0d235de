/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

const API_TARGET = process.env.ACCORD_API ?? 'http://127.0.0.1:8080';

/** Dev server: /live and /live/<CODE> are the audience page (the Rust server routes them to audience.html). */
function audienceRoutes(): Plugin {
  return {
    name: 'accord-audience-routes',
    configureServer(server) {
      server.middlewares.use((req, _res, next) => {
        if (req.url && /^\/live(\/[^/?#]*)?\/?(\?.*)?$/.test(req.url)) req.url = '/audience.html';
        next();
      });
    },
  };
}

/**
 * The audience page shares the app's strings but never shows agreements, the audit trail or what a
 * poll decides (the audience is never sent any of them: a poll with a subject is for participants
 * only): its build leaves those strings out of en.json and da.json.
 */
const APP_ONLY_STRINGS = /^(agreement|agreed|activity|subject)\./;
function audienceStrings(): Plugin {
  return {
    name: 'accord-audience-strings',
    enforce: 'pre',
    transform(code, id) {
      if (!/[\\/]src[\\/]i18n[\\/](en|da)\.json$/.test(id)) return null;
      const dict = JSON.parse(code) as Record<string, string>;
      const kept = Object.fromEntries(Object.entries(dict).filter(([k]) => !APP_ONLY_STRINGS.test(k)));
      return { code: JSON.stringify(kept), map: null };
    },
  };
}

// Two builds into one dist/ (`npm run build` runs both):
// - default mode: the app (index.html). The Rust binary embeds web/dist and serves index.html for
//   every non-/api path.
// - mode "audience": the conference audience page (audience.html, served at /live and /live/<CODE>),
//   compiled against Preact through preact/compat so phones on conference Wi-Fi do not download React.
export default defineConfig(({ mode }) => {
  const audience = mode === 'audience';
  return {
    plugins: audience ? [audienceStrings(), react(), audienceRoutes()] : [react(), audienceRoutes()],
    base: '/',
    resolve: audience
      ? {
          alias: [
            { find: /^react\/jsx-runtime$/, replacement: 'preact/compat/jsx-runtime' },
            { find: /^react\/jsx-dev-runtime$/, replacement: 'preact/compat/jsx-dev-runtime' },
            { find: /^react-dom\/client$/, replacement: 'preact/compat/client' },
            { find: /^react-dom$/, replacement: 'preact/compat' },
            { find: /^react$/, replacement: 'preact/compat' },
          ],
        }
      : undefined,
    build: {
      outDir: 'dist',
      // The audience build runs second and adds to the app's dist/.
      emptyOutDir: !audience,
      assetsDir: 'assets',
      // The lazily loaded editor chunk (TipTap + ProseMirror + Yjs) is ~530 kB minified, ~170 kB gzipped;
      // the entry chunk that sign-in pages load stays small.
      chunkSizeWarningLimit: 600,
      rollupOptions: { input: audience ? 'audience.html' : 'index.html' },
    },
    server: {
      proxy: {
        '/api': {
          target: API_TARGET,
          changeOrigin: true,
          ws: true,
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
  };
});
