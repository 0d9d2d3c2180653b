// tools/bundle.mjs: the page's one build step. Bundles the library entry
// module (web/vendor/codemirror.js) with the pinned esbuild into one
// minified ES module, and opens it with the licence of every npm package
// whose code went into it (taken from esbuild's list of inputs, so the
// notice always matches what was bundled). The output is deterministic:
// the same lock file and entry give the same bytes.
//
//   node tools/bundle.mjs ENTRY OUTFILE

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const tools = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(tools, 'package.json'));
const esbuild = require('esbuild');

const [entry, outfile] = process.argv.slice(2);
if (!entry || !outfile) {
  console.error('usage: node tools/bundle.mjs ENTRY OUTFILE');
  process.exit(2);
}

const result = await esbuild.build({
  entryPoints: [entry],
  bundle: true,
  format: 'esm',
  minify: true,
  // What the page supports anyway: module scripts, dialog, :focus-visible.
  target: ['chrome100', 'firefox100', 'safari15.4'],
  nodePaths: [path.join(tools, 'node_modules')],
  legalComments: 'none',
  charset: 'utf8',
  metafile: true,
  write: false,
  logLevel: 'warning',
});

// Every package directory under node_modules that contributed an input.
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = /^(.*node_modules\/(@[^/]+\/[^/]+|[^@/][^/]*))\//.exec(input);
  if (m) packages.set(m[2], path.resolve(m[1]));
}
// Packages with the same licence text share one copy of it.
const byText = new Map();
for (const [name, dir] of [...packages].sort(([a], [b]) => (a < b ? -1 : 1))) {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const file = fs.readdirSync(dir).find((f) => /^licen[cs]e(\.md|\.txt)?$/i.test(f));
  const text = file ? fs.readFileSync(path.join(dir, file), 'utf8').trim() : `License: ${meta.license}`;
  if (!byText.has(text)) byText.set(text, []);
  byText.get(text).push(`${name}@${meta.version} (${meta.license})`);
}
const notices = [...byText].map(([text, names]) => `${names.join('\n')}\n\n${text}`);
const banner = `/*\n * CodeMirror 6 and its dependencies, bundled for the iotconfig page by\n * tools/bundle.mjs from web/vendor/codemirror.js. Their licences:\n *\n${
  notices.join('\n\n---\n\n').replace(/\*\//g, '* /').split('\n').map((l) => (l ? ` * ${l}` : ' *')).join('\n')}\n */\n`;

fs.mkdirSync(path.dirname(outfile), { recursive: true });
const tmp = `${outfile}.tmp`;
fs.writeFileSync(tmp, banner + result.outputFiles[0].text);
fs.renameSync(tmp, outfile);
