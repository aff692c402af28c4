// Stored and reflected XSS: free-text fields (a pipeline's description,
// user names and emails, connector settings, data values and column names,
// a task's failure message) hold markup. Every page — enumerated from the
// app's routes, every `:id` filled with real ids — must show it escaped,
// island props included (a `</script>` must not end the JSON block), and in
// real Chromium no page may open a dialog, throw, or trip the CSP.

import assert from "node:assert/strict";
import { startPlatform } from "./harness.ts";
import { launchChromium } from "./chromium.ts";
import {
  expandPattern,
  type Fetched,
  fetchText,
  getRoutePatterns,
  htmlEscaped,
  isPage,
  knownIds,
  postJson,
  runPipeline,
} from "./web_surface.ts";
import { mysqlTestConfig } from "../connectors/mysql/test_server.ts";
import { serverConfig } from "../connectors/postgres/test_targets.ts";

const XSS = {
  script: "<script>alert(1)</script>",
  attribute: `"><img src=x onerror=alert(1)>`,
  breakout: "</script><script>alert(2)</script>",
  image: "<img src=x onerror=alert(3)>",
};
const PAYLOADS = Object.values(XSS);
const ALL = PAYLOADS.join(" ");
/** A CSV column name that makes a load fail and lands in the task's error (no `"`: JSON.stringify keeps it as is). */
const BAD_COLUMN = `${XSS.image}${XSS.breakout}`;

/** A CSV field, quoted. */
const csvField = (text: string) => `"${text.replaceAll('"', '""')}"`;

/** Island payload blocks of a page: the JSON text and its parse. */
function islandBlocks(html: string): { raw: string; parsed: unknown }[] {
  const blocks: { raw: string; parsed: unknown }[] = [];
  const open = '<script type="application/json" id="__FRSH_ISLANDS">';
  let at = html.indexOf(open);
  while (at !== -1) {
    const start = at + open.length;
    const end = html.indexOf("</script>", start);
    assert.notEqual(end, -1, "island JSON block is closed");
    const raw = html.slice(start, end);
    // A payload that closed the block early leaves unparsable JSON and
    // something other than the runtime script right after it.
    assert.ok(
      html.startsWith('</script><script type="module" src="/_frsh/js/', end),
      `the island JSON block ends where the platform ended it, not at an injected </script>: …${
        html.slice(end, end + 120)
      }`,
    );
    blocks.push({ raw, parsed: JSON.parse(raw) });
    at = html.indexOf(open, end);
  }
  return blocks;
}

/** Asserts one page carries none of the payloads unescaped. */
function assertEscaped(page: Fetched): void {
  const where = `${page.path} (${page.status})`;
  for (const payload of [ALL, BAD_COLUMN, ...PAYLOADS]) {
    assert.ok(
      !page.body.includes(payload),
      `${where} contains the raw payload ${payload}`,
    );
  }
  assert.doesNotMatch(page.body, /<img\b/i, `${where} has an <img> tag`);
  assert.doesNotMatch(
    page.body,
    /<[a-z][^>]*\sonerror\s*=/i,
    `${where} has an onerror attribute`,
  );
  // The only scripts a page may have: the island props and the runtime.
  const scripts = page.body.match(/<script\b[^>]*>/gi) ?? [];
  for (const tag of scripts) {
    assert.ok(
      tag === '<script type="application/json" id="__FRSH_ISLANDS">' ||
        /^<script type="module" src="\/_frsh\/js\/[^"<>]+">$/.test(tag),
      `${where} has an unexpected script tag ${tag}`,
    );
  }
  if (page.contentType.startsWith("text/html")) islandBlocks(page.body);
}

Deno.test("markup in every free-text field is escaped on every page, island props included, and never runs in Chromium", async () => {
  const root = await Deno.makeTempDir({ prefix: "etl_xss_files_" });
  // Records whose values are markup, under a column named with markup.
  await Deno.writeTextFile(
    `${root}/xss_values.csv`,
    `id,${csvField(XSS.attribute)},note\n` +
      PAYLOADS.map((payload, i) =>
        `${i + 1},${csvField(payload)},${csvField(ALL)}`
      ).join("\n") + "\n",
  );
  // A header naming a column the target lacks: the load fails with its name.
  await Deno.writeTextFile(`${root}/xss_bad.csv`, `id,${BAD_COLUMN}\n1,2\n`);
  await using rest = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json({ data: [{ id: 1, note: ALL, [XSS.image]: 1 }] }),
  );
  await using p = await startPlatform({ fileRoots: [root] });
  try {
    // People: the admin's own name, another user's name and email.
    await postJson(p, `/api/v1/users/${p.admin.id}`, { name: ALL }, "PUT");
    await postJson(p, "/api/v1/users", {
      email: `${XSS.script}@xss.test`,
      name: ALL,
      role: "viewer",
      password: "correct horse battery staple",
    });

    // Connectors whose text settings are markup. GET /connectors/:id/schema
    // connects, so the servers' own errors quote these values back.
    await postJson(p, "/api/v1/connectors", {
      name: "xss_rest",
      kind: "rest",
      config: {
        url: `http://127.0.0.1:${rest.addr.port}/items`,
        headers: { "X-Note": ALL },
        query: { q: ALL },
        records_path: "data",
        retries: 0,
      },
    });
    await postJson(p, "/api/v1/connectors", {
      name: "xss_rest_basic",
      kind: "rest",
      config: {
        url: `http://127.0.0.1:${rest.addr.port}/items`,
        auth_type: "basic",
        username: ALL,
        password: "xss-basic-password",
        records_path: ALL,
        retries: 0,
      },
    });
    await postJson(p, "/api/v1/connectors", {
      name: "xss_rest_url",
      kind: "rest",
      config: {
        url: `http://127.0.0.1:${rest.addr.port}/${XSS.script}?x=${XSS.image}`,
        records_path: "data",
        retries: 0,
      },
    });
    await postJson(p, "/api/v1/connectors", {
      name: "xss_csv",
      kind: "csv",
      config: { path: ALL },
    });
    await postJson(p, "/api/v1/connectors", {
      name: "xss_csv_url",
      kind: "csv",
      config: { url: `http://127.0.0.1:9/${XSS.breakout}` },
    });
    await postJson(p, "/api/v1/connectors", {
      name: "xss_pg",
      kind: "postgres",
      config: serverConfig(ALL, { schema: ALL }),
    });
    await postJson(p, "/api/v1/connectors", {
      name: "xss_mysql",
      kind: "mysql",
      config: mysqlTestConfig(ALL),
    });
    await postJson(p, "/api/v1/connectors", {
      name: "xss_s3",
      kind: "s3",
      config: {
        bucket: "xss-bucket",
        endpoint: `http://127.0.0.1:${rest.addr.port}`,
        access_key_id: "AKIAXSS",
        secret_access_key: "xss-secret-key",
        prefix: ALL,
        timeout_seconds: 2,
      },
    });

    // A pipeline described with markup that loads markup values.
    const described = await runPipeline(p, {
      name: "xss_described",
      description: ALL,
      steps: [
        {
          id: "values",
          type: "extract",
          connector: "files",
          config: { path: `${root}/xss_values.csv` },
        },
        {
          id: "load",
          type: "load",
          needs: ["values"],
          connector: "warehouse",
          config: { table: "xss_values" },
        },
      ],
    });
    assert.equal(
      described.run.status,
      "SUCCESS",
      JSON.stringify(described.run.tasks.map((t) => t.error)),
    );

    // A load that fails with the markup column's name in its error.
    await p.services.db.query(
      "create table warehouse.xss_target (id bigint)",
    );
    const failing = await runPipeline(p, {
      name: "xss_failing",
      description: XSS.attribute,
      steps: [
        {
          id: "bad",
          type: "extract",
          connector: "files",
          config: { path: `${root}/xss_bad.csv` },
        },
        {
          id: "load",
          type: "load",
          needs: ["bad"],
          connector: "warehouse",
          config: { table: "xss_target" },
        },
      ],
    });
    assert.equal(failing.run.status, "FAILURE");
    const failedTask = failing.run.tasks.find((t) => t.status === "FAILURE");
    assert.ok(
      failedTask?.error?.includes(BAD_COLUMN),
      `the failure quotes the column: ${failedTask?.error}`,
    );

    // Every GET page with real ids, plus pages that echo the request:
    // unknown ids and preview queries made of markup.
    const ids = await knownIds(p.services.db);
    const patterns = (await getRoutePatterns(p)).filter(isPage);
    const paths = new Set(
      patterns.flatMap((pattern) => expandPattern(pattern, ids)),
    );
    const encoded = encodeURIComponent(ALL);
    for (const pattern of patterns) {
      if (pattern.includes(":")) {
        paths.add(pattern.replace(/:[A-Za-z]+\*?/g, encoded));
      } else {
        paths.add(`${pattern}?q=${encoded}`);
      }
    }
    const [warehouse] = await p.services.db.query<{ id: number }>(
      "select id from connector where name = 'warehouse'",
    );
    const [files] = await p.services.db.query<{ id: number }>(
      "select id from connector where name = 'files'",
    );
    paths.add(`/connectors/${warehouse.id}/preview?table=xss_values`);
    paths.add(`/connectors/${warehouse.id}/preview?table=${encoded}`);
    paths.add(
      `/connectors/${files.id}/preview?path=${
        encodeURIComponent(`${root}/xss_values.csv`)
      }`,
    );
    paths.add(`/connectors/${files.id}/preview?path=${encoded}`);
    paths.add(`/connectors/new?kind=${encoded}`);
    paths.add(`/${encoded}`);

    const pages: Fetched[] = [];
    for (const path of paths) {
      const fetched = await fetchText(p.fetch, path);
      assert.ok(
        fetched.status !== 500, // 502/504: the connector's server refused, as expected
        `${path} answered ${fetched.status}: ${fetched.body.slice(0, 300)}`,
      );
      pages.push(fetched);
      assertEscaped(fetched);
    }
    const page = (path: string) => pages.find((f) => f.path === path)!;

    // Test connection without JavaScript: the page re-renders with the
    // answer, which the ConnectorTest island also gets as a prop. The
    // servers' errors quote the markup settings back (database names…).
    const testAnswers: Fetched[] = [];
    for (const id of ids.connectors) {
      const response = await p.fetch(`/connectors/${id}`, {
        method: "POST",
        body: new URLSearchParams({ _action: "test" }),
      });
      const answer = {
        path: `POST /connectors/${id} (test)`,
        status: response.status,
        contentType: response.headers.get("content-type") ?? "",
        body: await response.text(),
      };
      assert.equal(answer.status, 200, answer.body.slice(0, 300));
      assertEscaped(answer);
      testAnswers.push(answer);
    }
    assert.ok(
      testAnswers.some((a) =>
        islandBlocks(a.body).some((b) =>
          JSON.stringify(b.parsed).includes(
            JSON.stringify(XSS.script).slice(1, -1),
          )
        )
      ),
      "a Test connection answer carried markup in the island's props",
    );

    // The markup was shown, escaped, where it belongs.
    const describedPage = page(`/pipelines/${described.pipelineId}`);
    assert.ok(describedPage.body.includes(htmlEscaped(ALL)));
    const runPage = page(`/runs/${failing.runId}`);
    assert.ok(
      runPage.body.includes(htmlEscaped(BAD_COLUMN)),
      "log or error shown escaped",
    );
    const [islands] = islandBlocks(runPage.body);
    assert.ok(islands, "the run page hydrates RunLive");
    assert.ok(
      !/<\/script/i.test(islands.raw),
      "no </script> inside island JSON",
    );
    assert.ok(
      JSON.stringify(islands.parsed).includes(
        JSON.stringify(BAD_COLUMN).slice(1, -1),
      ),
      "the island props carry the failure message, markup intact as data",
    );
    const preview = page(
      `/connectors/${warehouse.id}/preview?table=xss_values`,
    );
    assert.equal(preview.status, 200, preview.body.slice(0, 300));
    for (const payload of PAYLOADS) {
      assert.ok(
        preview.body.includes(htmlEscaped(payload)),
        `preview shows ${payload} escaped`,
      );
    }
    const accountPages = pages.filter((f) =>
      /^\/(account|admin\/users)/.test(f.path) && f.status === 200
    );
    if (accountPages.length > 0) {
      assert.ok(
        accountPages.some((f) => f.body.includes(htmlEscaped(ALL))),
        "the user's name is shown, escaped",
      );
    }
    const everything = pages.map((f) => f.body).join("\n");
    for (const payload of PAYLOADS) {
      assert.ok(
        everything.includes(htmlEscaped(payload)),
        `${payload} shown escaped somewhere`,
      );
    }

    // Real Chromium: no dialog, no page error, no CSP refusal, no injected node.
    const base = await p.listen();
    const browser = await launchChromium();
    try {
      const context = await browser.newContext();
      await p.signInBrowser(context, base);
      const tab = await context.newPage();
      const problems: string[] = [];
      let current = "";
      tab.on("dialog", (dialog) => {
        problems.push(
          `${current}: a ${dialog.type()} dialog opened: ${dialog.message()}`,
        );
        dialog.dismiss().catch(() => {});
      });
      tab.on(
        "pageerror",
        (error) => problems.push(`${current}: page error ${error.message}`),
      );
      tab.on("console", (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) {
          problems.push(`${current}: ${message.text()}`);
        }
      });
      for (const path of paths) {
        current = path;
        await tab.goto(`${base}${path}`, { waitUntil: "load" });
        // Islands hydrate after load: let them finish before judging.
        if (await tab.$("#__FRSH_ISLANDS")) {
          await tab.waitForLoadState("networkidle");
        }
        const injected = await tab.evaluate(() =>
          document.querySelectorAll(
            'img, [onerror], script:not([src]):not([type="application/json"])',
          ).length
        );
        assert.equal(injected, 0, `${path}: markup became elements`);
      }
      // Hydrated Test connection: the island renders each answer inline.
      for (const id of ids.connectors) {
        current = `/connectors/${id} (Test connection)`;
        await tab.goto(`${base}/connectors/${id}`);
        await tab.waitForLoadState("networkidle");
        await tab.click("#test-connection");
        await tab.waitForSelector("#test-result[data-ok]", {
          timeout: 30_000,
        });
        const injected = await tab.evaluate(() =>
          document.querySelectorAll("img, [onerror]").length
        );
        assert.equal(injected, 0, `${current}: markup became elements`);
      }
      // Hydrated run page: the island rendered the markup as text.
      current = `/runs/${failing.runId}`;
      await tab.goto(`${base}/runs/${failing.runId}`);
      await tab.waitForLoadState("networkidle");
      assert.ok((await tab.textContent("main"))?.includes(BAD_COLUMN));
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
