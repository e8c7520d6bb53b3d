#!/usr/bin/env node
// The `llm-orchestrator` command. Written for any Node: it refuses an unsupported one with a clear message before
// loading anything else. Installed from the package it runs the built CLI (dist/); in a checkout (src/ beside it)
// it runs the TypeScript source through tsx, so the checkout needs no build step.
import { existsSync } from "node:fs"

const required = [22, 19]
const found = process.versions.node.split(".").map(Number)
if (found[0] < required[0] || (found[0] === required[0] && found[1] < required[1])) {
  process.stderr.write(
    `llm-orchestrator needs Node >= ${required.join(".")}, found ${process.versions.node} (${process.execPath}).\n` +
      "Install a newer Node (e.g. with nvm, fnm or volta) or put it first on PATH.\n"
  )
  process.exit(1)
}

// Reuse V8's compiled code across runs (Node keeps it in the OS temp dir): the bundle starts several times faster.
const { enableCompileCache } = await import("node:module")
enableCompileCache?.()

const source = new URL("../src/cli/bin.ts", import.meta.url)
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api")
  register()
  await import(source.href)
} else {
  await import(new URL("../dist/cli/llm-orchestrator.mjs", import.meta.url).href)
}
