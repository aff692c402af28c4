import assert from "node:assert/strict";
import { can, PERMISSIONS } from "./permissions.ts";
import type { Principal, Role } from "../auth/principal.ts";

const user = (role: Role, userId = 7): Principal => ({
  userId,
  email: `${role}@example.test`,
  name: role,
  role,
  via: "session",
});
const own = { ownerId: 7, sharedWith: [] };
const shared = { ownerId: 1, sharedWith: [3, 7] };
const others = { ownerId: 1, sharedWith: [3] };
const builtin = { ownerId: null, sharedWith: [] };

Deno.test("can() lets an admin do everything, on any resource", () => {
  for (const permission of Object.keys(PERMISSIONS)) {
    assert.ok(can(user("admin"), permission as keyof typeof PERMISSIONS));
    assert.ok(
      can(user("admin"), permission as keyof typeof PERMISSIONS, others),
    );
  }
});

Deno.test("can() lets an editor edit only their own and shared resources", () => {
  const editor = user("editor");
  assert.ok(can(editor, "connector.create"));
  assert.ok(can(editor, "connector.edit", own));
  assert.ok(can(editor, "connector.edit", shared));
  assert.equal(can(editor, "connector.edit", others), false);
  assert.equal(can(editor, "connector.edit", builtin), false);
  assert.equal(can(editor, "pipeline.run", others), false);
  assert.ok(can(editor, "pipeline.run", shared));
  assert.ok(can(editor, "read", others));
  assert.equal(can(editor, "user.manage"), false);
});

Deno.test("can() lets an operator run and use anything but edit nothing", () => {
  const operator = user("operator");
  assert.ok(can(operator, "pipeline.run", others));
  assert.ok(can(operator, "run.manage", others));
  assert.ok(can(operator, "connector.use", others));
  assert.equal(can(operator, "connector.edit", own), false);
  assert.equal(can(operator, "pipeline.create"), false);
});

Deno.test("can() lets a viewer read and manage only their own tokens", () => {
  const viewer = user("viewer");
  assert.ok(can(viewer, "read", others));
  assert.ok(can(viewer, "self"));
  for (
    const permission of [
      "connector.create",
      "connector.use",
      "pipeline.run",
      "run.manage",
      "audit.read",
    ] as const
  ) {
    assert.equal(can(viewer, permission, own), false, permission);
  }
});

Deno.test("can() refuses everything to nobody", () => {
  assert.equal(can(null, "read"), false);
  assert.equal(can(undefined, "self"), false);
});

Deno.test("can() keeps sharing to owners, and built-ins usable by every editor", () => {
  const editor = user("editor");
  assert.ok(can(editor, "connector.share", own));
  assert.equal(can(editor, "connector.share", shared), false);
  assert.equal(can(editor, "pipeline.share", shared), false);
  assert.ok(can(user("admin"), "pipeline.share", others));
  const everyone = { ownerId: null, sharedWith: [], everyone: true };
  assert.ok(can(editor, "connector.use", everyone));
  assert.equal(can(user("viewer"), "connector.use", everyone), false);
});
