// The pipeline page shows a schedule and its next occurrence.

import assert from "node:assert/strict";
import { startPlatform } from "./harness.ts";

Deno.test("the pipeline page shows the schedule, its time zone and the next run", async () => {
  await using p = await startPlatform();
  const response = await p.fetch("/api/v1/pipelines", {
    method: "POST",
    headers: { "content-type": "application/yaml" },
    body: [
      "name: nightly",
      'schedule: { cron: "30 2 * * *", timezone: Asia/Tokyo, catchup: all, catchup_limit: 3 }',
      "steps:",
      "  - id: read",
      "    type: extract",
      "    connector: warehouse",
      '    config: { query: "select 1 as one" }',
      "",
    ].join("\n"),
  });
  const text = await response.text();
  assert.equal(response.status, 201, text);
  const { id } = JSON.parse(text);
  const page = await (await p.fetch(`/pipelines/${id}`)).text();
  assert.match(page, /<code>30 2 \* \* \*<\/code>/);
  assert.match(page, /Asia\/Tokyo/);
  // 02:30 in Tokyo (UTC+9, no summer time) is 17:30 UTC, within a day.
  const next = page.match(/id="next-run">([^<]+)</)?.[1];
  assert.match(next ?? "", /^\d{4}-\d\d-\d\d 17:30:00$/);
  const at = Date.parse(next!.replace(" ", "T") + "Z");
  assert.ok(at > Date.now() && at <= Date.now() + 86_400_000, next);
  // And the scheduler has it.
  const [row] = await p.services.db.query<{ n: number }>(
    "select count(*)::int as n from schedule where pipeline_id = $1",
    [id],
  );
  assert.equal(row.n, 1);
});
