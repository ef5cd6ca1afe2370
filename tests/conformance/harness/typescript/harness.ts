// The TypeScript conformance runner (tests/conformance/README.md): runs a batch of vectors on
// an SDK generated from tests/conformance/spec/, each with its routes pointed at the scripted
// server through the run-time route override, and writes every result, error and trace
// outline. Usage: node dist/harness/harness.js BATCH.json OUT.json

import { readFileSync, writeFileSync } from "node:fs";

import { createClient, type RouteOverride } from "../src/index.js";

interface VectorRun {
  id: string;
  workflow: string;
  input: unknown;
  routes: Record<string, { base_url: string }>;
}

const [batchPath, outPath] = process.argv.slice(2);
if (batchPath === undefined || outPath === undefined) {
  process.stderr.write("usage: harness BATCH.json OUT.json\n");
  process.exit(2);
}
const batch = JSON.parse(readFileSync(batchPath, "utf8")) as { vectors: VectorRun[] };
const env = { ...process.env, AIWF_CONFORMANCE_KEY: "sk-conformance" };
const results: unknown[] = [];
for (const vector of batch.vectors) {
  const routes: Record<string, RouteOverride> = {};
  for (const [alias, route] of Object.entries(vector.routes)) routes[alias] = { baseUrl: route.base_url };
  let row: Record<string, unknown>;
  try {
    const client = createClient({ routes, env, environment: null });
    const run = await client.runWorkflow(vector.workflow, vector.input);
    row = { id: vector.id, ...(run.error === null ? { result: run.result } : { error: run.error }), trace: run.trace.outline() };
  } catch (error) {
    const code = typeof (error as { code?: unknown }).code === "string" ? (error as { code: string }).code : "HARNESS";
    row = { id: vector.id, error: { code, message: error instanceof Error ? error.message : String(error) }, trace: [] };
  }
  results.push(row);
}
writeFileSync(outPath, JSON.stringify({ results }));
