#!/usr/bin/env node
// Tokenise files with a TextMate grammar using the tokenizer VS Code itself runs
// (vscode-textmate on the Oniguruma regex engine), for tests/test_textmate.py.
//
//   node tokenize.js GRAMMAR.json FILE...   -> JSON on stdout:
//       {"regexErrors": [...], "files": {FILE: [[[start, end, [scope...]], ...], ...]}}
//
// Every regex of the grammar (match, begin, end, while) is first compiled on its own
// with Oniguruma, so a pattern VS Code would reject is reported by name rather than
// surfacing as a missing scope somewhere later.
"use strict";

const fs = require("fs");
const path = require("path");
const oniguruma = require("vscode-oniguruma");
const vsctm = require("vscode-textmate");

function regexesOf(grammar) {
  const out = [];
  const walk = (node, where) => {
    if (Array.isArray(node)) {
      node.forEach((x, i) => walk(x, `${where}[${i}]`));
    } else if (node && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) {
        if (["match", "begin", "end", "while"].includes(key) && typeof value === "string") {
          out.push({ where: `${where}.${key}`, source: value });
        } else {
          walk(value, `${where}.${key}`);
        }
      }
    }
  };
  walk(grammar, "$");
  return out;
}

async function main() {
  const [grammarPath, ...files] = process.argv.slice(2);
  const wasm = fs.readFileSync(path.join(path.dirname(require.resolve("vscode-oniguruma")), "onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));

  const raw = fs.readFileSync(grammarPath, "utf8");
  const grammarJson = JSON.parse(raw);
  const regexErrors = [];
  for (const { where, source } of regexesOf(grammarJson)) {
    try {
      new oniguruma.OnigScanner([source]).dispose();
    } catch (err) {
      regexErrors.push({ where, source, error: String(err.message || err) });
    }
  }

  if (regexErrors.length) {
    // the tokenizer would stop at the first bad pattern: report them all instead
    process.stdout.write(JSON.stringify({ regexErrors, files: {} }));
    return;
  }

  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) =>
      scopeName === grammarJson.scopeName ? vsctm.parseRawGrammar(raw, grammarPath) : null,
  });
  const grammar = await registry.loadGrammar(grammarJson.scopeName);

  const result = { regexErrors, files: {} };
  for (const file of files) {
    let state = vsctm.INITIAL;
    const lines = fs.readFileSync(file, "utf8").split(/\r?\n/);
    result.files[file] = lines.map((line) => {
      const r = grammar.tokenizeLine(line, state);
      state = r.ruleStack;
      return r.tokens.map((t) => [t.startIndex, Math.min(t.endIndex, line.length), t.scopes]);
    });
  }
  process.stdout.write(JSON.stringify(result));
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
