// esbuild options shared by the production build (scripts/build.mjs) and the bench's server child
// (bench/lib/bundle.ts), so the bench measures the code as production runs it: one bundled ESM file.
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // CommonJS packages inside an ESM bundle call require() for Node's built-ins: give them one.
  banner: { js: "import { createRequire as __opsbotRequire } from 'node:module'; const require = __opsbotRequire(import.meta.url);" },
};
