import assert from "node:assert/strict";
import { formatSseEvent, type SseEvent, sseResponse } from "./sse.ts";

Deno.test("formatSseEvent() writes event, id and one JSON data line", () => {
  assert.equal(
    formatSseEvent({ event: "log", id: "7", data: { line: "a\nb" } }),
    'event: log\nid: 7\ndata: {"line":"a\\nb"}\n\n',
  );
  assert.equal(formatSseEvent({ data: undefined }), "data: null\n\n");
  assert.throws(
    () => formatSseEvent({ event: "a\nb", data: 1 }),
    /contains a line break/,
  );
});

Deno.test("sseResponse() streams events with event-stream headers", async () => {
  async function* events(): AsyncGenerator<SseEvent> {
    yield { event: "status", data: { status: "running" } };
    yield { data: 42, id: "2" };
  }
  const response = sseResponse(events());
  assert.equal(
    response.headers.get("content-type"),
    "text/event-stream; charset=utf-8",
  );
  assert.equal(response.headers.get("cache-control"), "no-cache");
  assert.equal(
    await response.text(),
    'event: status\ndata: {"status":"running"}\n\nid: 2\ndata: 42\n\n',
  );
});

Deno.test("sseResponse() sends keep-alive comments while the source is idle", async () => {
  const controller = new AbortController();
  let finished = false;
  async function* idle(): AsyncGenerator<SseEvent> {
    try {
      await new Promise((resolve) => setTimeout(resolve, 60));
      yield { data: "late" };
    } finally {
      finished = true;
    }
  }
  const response = sseResponse(idle(), {
    signal: controller.signal,
    keepAliveMs: 10,
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream())
    .getReader();
  let text = "";
  while (!text.includes("late")) text += (await reader.read()).value;
  assert.match(text, /^(: keep-alive\n\n)+data: "late"\n\n$/);
  controller.abort();
  assert.equal((await reader.read()).done, true);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.ok(finished, "the source generator was closed");
});

Deno.test("sseResponse() closes the source when the client disconnects", async () => {
  let closed = false;
  async function* forever(): AsyncGenerator<SseEvent> {
    try {
      for (let i = 0;; i++) yield { data: i };
    } finally {
      closed = true;
    }
  }
  const response = sseResponse(forever());
  const reader = response.body!.getReader();
  await reader.read();
  await reader.cancel();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.ok(closed);
});
