// `deno task etl apply` as a user runs it from a git checkout: a real CLI
// process against a platform listening on loopback.

import assert from "node:assert/strict";
import { join } from "node:path";
import { runEtl } from "./test_cli.ts";
import { type Platform, startPlatform } from "../tests/harness.ts";

/** A valid minimal pipeline in YAML: read a CSV, load it into the warehouse. */
function pipelineYaml(name: string, description = "") {
  return `name: ${name}
description: "${description}"
steps:
  - id: read
    type: extract
    connector: files
    config: { path: ${name}.csv }
  - id: load
    type: load
    needs: [read]
    connector: warehouse
    config: { table: ${name} }
`;
}

function pipelineJson(name: string) {
  return JSON.stringify(
    {
      name,
      steps: [
        {
          id: "read",
          type: "extract",
          connector: "files",
          config: { path: `${name}.csv` },
        },
        {
          id: "load",
          type: "load",
          needs: ["read"],
          connector: "warehouse",
          config: { table: name },
        },
      ],
    },
    null,
    2,
  );
}

// Two errors at once: each `needs` names a step that does not exist.
const BROKEN = `name: broken
steps:
  - id: read
    type: extract
    connector: files
    config: { path: x.csv }
  - id: load
    type: load
    needs:
      - clean
    connector: warehouse
    config: { table: x }
  - id: other
    type: extract
    needs: [ghost]
    connector: files
`;

async function withFolder(
  files: Record<string, string>,
  fn: (dir: string) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "etl_apply_" });
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.mkdir(join(dir, name, ".."), { recursive: true });
      await Deno.writeTextFile(join(dir, name), text);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

interface Listed {
  id: number;
  name: string;
  current_version: number;
  description: string;
}

async function pipelines(p: Platform): Promise<Map<string, Listed>> {
  const response = await p.fetch("/api/v1/pipelines");
  assert.equal(response.status, 200);
  const list = await response.json() as Listed[];
  return new Map(list.map((item) => [item.name, item]));
}

function versionsOf(listed: Map<string, Listed>) {
  return Object.fromEntries(
    [...listed].map(([name, p]) => [name, p.current_version]).sort(),
  );
}

Deno.test("etl apply creates, leaves unchanged and updates the pipelines of a folder", async () => {
  await using p = await startPlatform();
  const server = await p.listen();
  const env = { ETL_TOKEN: p.admin.token, ETL_SERVER: server };
  await withFolder({
    "alpha.yaml": pipelineYaml("alpha"),
    "beta.yml": pipelineYaml("beta"),
    "gamma.json": pipelineJson("gamma"),
    "README.md": "not a pipeline",
    "nested/delta.yaml": pipelineYaml("delta"),
  }, async (dir) => {
    const first = await runEtl(["apply", dir], env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stderr, "");
    assert.equal(
      first.stdout,
      "+ create alpha\n+ create beta\n+ create gamma\n" +
        "Applied 3 files: 3 created, 0 updated, 0 unchanged\n",
    );
    assert.deepEqual(versionsOf(await pipelines(p)), {
      alpha: 1,
      beta: 1,
      gamma: 1,
    });
    // The version message says which file it came from.
    const alpha = (await pipelines(p)).get("alpha")!;
    const versions = await p.fetch(`/api/v1/pipelines/${alpha.id}/versions`);
    assert.equal(versions.status, 200);
    const [v1] = await versions.json();
    assert.equal(v1.message, `apply ${join(dir, "alpha.yaml")}`);

    const again = await runEtl(["apply", dir], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(
      again.stdout,
      "= unchanged alpha\n= unchanged beta\n= unchanged gamma\n" +
        "Applied 3 files: 0 created, 0 updated, 3 unchanged\n",
    );
    assert.deepEqual(versionsOf(await pipelines(p)), {
      alpha: 1,
      beta: 1,
      gamma: 1,
    });

    await Deno.writeTextFile(
      join(dir, "beta.yml"),
      pipelineYaml("beta", "now described"),
    );
    const changed = await runEtl(
      ["apply", dir, "--message", "describe beta"],
      env,
    );
    assert.equal(changed.code, 0, changed.stderr);
    assert.equal(
      changed.stdout,
      "= unchanged alpha\n~ update beta (version 1 → 2)\n= unchanged gamma\n" +
        "Applied 3 files: 0 created, 1 updated, 2 unchanged\n",
    );
    const beta = (await pipelines(p)).get("beta")!;
    assert.equal(beta.current_version, 2);
    assert.equal(beta.description, "now described");
    const history = await (await p.fetch(
      `/api/v1/pipelines/${beta.id}/versions`,
    )).json();
    assert.ok(
      history.some((v: { message: string }) => v.message === "describe beta"),
    );

    // --recursive reads the folders inside too; one file may be named alone.
    const recursive = await runEtl(["apply", "--recursive", dir], env);
    assert.equal(recursive.code, 0, recursive.stderr);
    assert.match(recursive.stdout, /^\+ create delta$/m);
    const single = await runEtl(["apply", join(dir, "alpha.yaml")], env);
    assert.equal(single.code, 0, single.stderr);
    assert.equal(
      single.stdout,
      "= unchanged alpha\nApplied 1 file: 0 created, 0 updated, 1 unchanged\n",
    );
  });
});

Deno.test("etl apply --dry-run prints the plan and changes nothing", async () => {
  await using p = await startPlatform();
  const server = await p.listen();
  const env = { ETL_TOKEN: p.admin.token };
  await withFolder({
    "alpha.yaml": pipelineYaml("alpha"),
    "beta.yaml": pipelineYaml("beta"),
  }, async (dir) => {
    const applied = await runEtl(["apply", dir, "--server", server], env);
    assert.equal(applied.code, 0, applied.stderr);
    await Deno.writeTextFile(
      join(dir, "beta.yaml"),
      pipelineYaml("beta", "changed"),
    );
    await Deno.writeTextFile(join(dir, "gamma.yaml"), pipelineYaml("gamma"));
    const before = await pipelines(p);

    const plan = await runEtl(
      ["apply", dir, "--server", server, "--dry-run"],
      env,
    );
    assert.equal(plan.code, 0, plan.stderr);
    assert.equal(
      plan.stdout,
      "= unchanged alpha\n~ update beta (version 1 → 2)\n+ create gamma\n" +
        "Plan for 3 files: 1 to create, 1 to update, 1 unchanged (dry run: nothing was changed)\n",
    );
    const after = await pipelines(p);
    assert.deepEqual(versionsOf(after), versionsOf(before));
    assert.equal(after.get("beta")!.description, "");
    assert.equal(after.has("gamma"), false);
  });
});

Deno.test("etl apply reports every error of a broken file compiler-style and still applies the others", async () => {
  await using p = await startPlatform();
  const server = await p.listen();
  const env = { ETL_TOKEN: p.admin.token, ETL_SERVER: server };
  await withFolder({
    "alpha.yaml": pipelineYaml("alpha"),
    "broken.yaml": BROKEN,
    "zeta.yaml": pipelineYaml("zeta"),
  }, async (dir) => {
    const result = await runEtl(["apply", dir], env);
    assert.equal(result.code, 1);
    const file = join(dir, "broken.yaml");
    assert.equal(
      result.stderr,
      `${file}:10:9: steps.1.needs.0: step "load" needs unknown step "clean"\n` +
        `${file}:15:13: steps.2.needs.0: step "other" needs unknown step "ghost"\n`,
    );
    assert.equal(
      result.stdout,
      "+ create alpha\n+ create zeta\n" +
        `Failed: 1 file of 3 (${file}); the other 2 files were applied: 2 created, 0 updated, 0 unchanged\n`,
    );
    assert.deepEqual(versionsOf(await pipelines(p)), { alpha: 1, zeta: 1 });

    // A YAML syntax error points at its line too.
    await Deno.writeTextFile(file, "name: broken\nsteps: [\n  - id: x\n");
    const syntax = await runEtl(["apply", file, "--dry-run"], env);
    assert.equal(syntax.code, 1);
    assert.match(
      syntax.stderr,
      new RegExp(`^${escape(file)}:\\d+:\\d+: `),
      syntax.stderr,
    );
    assert.match(syntax.stdout, /^Failed: 1 file of 1 \(.*\); no other file/m);
  });
});

Deno.test("etl apply refuses two files naming one pipeline before sending anything", async () => {
  await using p = await startPlatform();
  const server = await p.listen();
  await withFolder({
    "a.yaml": pipelineYaml("alpha"),
    "b.yaml": pipelineYaml("beta"),
    "c.json": pipelineJson("alpha"),
  }, async (dir) => {
    const result = await runEtl(["apply", dir], {
      ETL_TOKEN: p.admin.token,
      ETL_SERVER: server,
    });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `error: Cannot apply: ${join(dir, "a.yaml")} and ${
        join(dir, "c.json")
      } both define pipeline "alpha". Nothing was sent; keep one file per pipeline\n`,
    );
    assert.equal(result.stdout, "");
    assert.equal((await pipelines(p)).size, 0);
  });
});

Deno.test("etl apply explains usage, token, permission and network failures without printing the token", async () => {
  await using p = await startPlatform();
  const server = await p.listen();
  const viewer = await p.createUser("viewer");
  await withFolder({ "alpha.yaml": pipelineYaml("alpha") }, async (dir) => {
    const noToken = await runEtl(["apply", dir, "--server", server]);
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /^error: Cannot apply: set ETL_TOKEN to/);

    const env = { ETL_TOKEN: p.admin.token, ETL_SERVER: server };
    const noPath = await runEtl(["apply"], env);
    assert.equal(noPath.code, 2);
    assert.match(noPath.stderr, /Name a folder or file to apply/);
    const missing = await runEtl(["apply", join(dir, "nope")], env);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /Cannot read ".*nope": no such file or folder/,
    );
    const bogus = await runEtl(["apply", dir, "--bogus"], env);
    assert.equal(bogus.code, 2);
    assert.match(bogus.stderr, /^error: Unknown option '--bogus'.*; see/);
    const badUrl = await runEtl(["apply", dir, "--server", "localhost"], env);
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.stderr, /Cannot use server "localhost": not an http/);

    const secret = "etl_not-a-real-token-5531";
    const wrong = await runEtl(["apply", dir], {
      ETL_TOKEN: secret,
      ETL_SERVER: server,
    });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /refused the API token: 401 .*set ETL_TOKEN/);
    assert.ok(!wrong.stderr.includes(secret) && !wrong.stdout.includes(secret));

    const forbidden = await runEtl(["apply", dir], {
      ETL_TOKEN: viewer.token,
      ETL_SERVER: server,
    });
    assert.equal(forbidden.code, 1);
    assert.match(
      forbidden.stderr,
      new RegExp(`^${escape(join(dir, "alpha.yaml"))}: 403 \\S`),
    );
    assert.ok(!forbidden.stderr.includes(viewer.token));
    assert.equal((await pipelines(p)).size, 0);

    // Nothing listens on a port that was just closed.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = listener.addr as Deno.NetAddr;
    listener.close();
    const down = await runEtl(["apply", dir], {
      ETL_TOKEN: p.admin.token,
      ETL_SERVER: `http://127.0.0.1:${port}`,
    });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^error: Cannot reach http:\/\/127\.0\.0\.1:\d+/);
    assert.ok(!down.stderr.includes(p.admin.token));
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
