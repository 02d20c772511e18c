// Build the sitewatch front-end into ../src/sitewatch/web/static (served by the FastAPI app).
// Everything comes from node_modules: no CDN at run time.
import { build } from "esbuild";
import { cpSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "src", "sitewatch", "web", "static");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { app: join(here, "src", "main.js") },
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "esm",
  target: ["es2020"],
  outdir: out,
  loader: { ".png": "dataurl", ".svg": "dataurl" },
  legalComments: "linked",
  logLevel: "info",
});

for (const name of ["index.html", "favicon.svg"]) {
  cpSync(join(here, "public", name), join(out, name));
}

// Swagger UI for /docs, from the npm package (FastAPI's default page loads it from a CDN).
const swagger = join(here, "node_modules", "swagger-ui-dist");
if (existsSync(swagger)) {
  mkdirSync(join(out, "swagger"), { recursive: true });
  for (const name of ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"]) {
    cpSync(join(swagger, name), join(out, "swagger", name));
  }
}
console.log(`built ${out}`);
