import path from "node:path";
import { defineConfig } from "vite";

// The page is plain static files with relative paths: an issuer hosts `web/dist` anywhere, under any path.
export default defineConfig({
  root: __dirname,
  base: "./",
  build: {
    outDir: path.join(__dirname, "dist"),
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 2048,
  },
  logLevel: "warn",
});
