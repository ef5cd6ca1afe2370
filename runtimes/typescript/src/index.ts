// The runtime every aiwf TypeScript SDK carries: no dependency beyond Node (18.17+): its
// own lean HTTP/1.1 client and node:http over keep-alive Agents, or a fetch you pass. The
// rules it follows on the wire are docs/wire.md's.

export * from "./client.js";
export * from "./errors.js";
export * from "./h1.js";
export * from "./http.js";
export * from "./json.js";
export * from "./order.js";
export * from "./providers.js";
export * from "./retry.js";
export * from "./router.js";
export * from "./sdk.js";
export * from "./sse.js";
export * from "./structured.js";
export * from "./testing.js";
export * from "./trace.js";
export * from "./types.js";
export * from "./validate.js";
export * from "./workflow.js";
