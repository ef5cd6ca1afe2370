// Server-sent events: the framing OpenAI, Anthropic and Chat Completions servers stream in.

/** One dispatched event: its `event:` name (`message` when absent) and its data. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Text lines of a byte stream (line endings stripped; \r\n, \n and \r all end a line). */
export async function* lines(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8");
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let at: number;
    while ((at = buffer.search(/\r\n|\n|\r/)) >= 0) {
      if (buffer[at] === "\r" && at === buffer.length - 1) break; // maybe a \r\n split in two
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + (buffer.startsWith("\r\n", at) ? 2 : 1));
      yield line;
    }
  }
  buffer += decoder.decode();
  for (const line of buffer.split(/\r\n|\n|\r/)) {
    if (line !== "") yield line;
  }
}

/** Events from text lines. */
export async function* parseSse(input: AsyncIterable<string>): AsyncGenerator<SseEvent> {
  let event = "";
  let data: string[] = [];
  for await (const raw of input) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line === "") {
      if (data.length > 0 || event) yield { event: event || "message", data: data.join("\n") };
      event = "";
      data = [];
      continue;
    }
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const name = colon >= 0 ? line.slice(0, colon) : line;
    let value = colon >= 0 ? line.slice(colon + 1) : "";
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "event") event = value;
    else if (name === "data") data.push(value);
  }
  if (data.length > 0) yield { event: event || "message", data: data.join("\n") };
}
