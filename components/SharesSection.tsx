// The "Shared with" part of a connector's or pipeline's page, with the form
// that changes it for those allowed to (owners and admins).

import type { Sharing } from "../lib/rbac/sharing_view.ts";

/** Props of {@linkcode SharesSection}. */
export interface SharesSectionProps {
  sharing: Sharing;
  /** What sharing lets an editor do, e.g. "change, test and browse it". */
  grants: string;
}

/** Lists who a resource is shared with; owners and admins get a form. */
export function SharesSection({ sharing, grants }: SharesSectionProps) {
  const sharedWith = new Set(sharing.shares.map((share) => share.userId));
  return (
    <>
      <h2>Shared with</h2>
      {sharing.everyone
        ? (
          <p class="hint" id="shared-with">
            Everyone: built-in connectors are everyone's.
          </p>
        )
        : sharing.shares.length === 0
        ? (
          <p class="hint" id="shared-with">
            Nobody: only its owner and admins may change it.
          </p>
        )
        : (
          <ul id="shared-with">
            {sharing.shares.map((share) => (
              <li key={share.userId}>{share.email}</li>
            ))}
          </ul>
        )}
      {sharing.choices && (
        <form method="post" class="shares" id="share-form">
          <input type="hidden" name="_action" value="share" />
          <p class="hint">
            Editors it is shared with may {grants} like its owner.
          </p>
          {sharing.choices.map((user) => (
            <label key={user.id}>
              <input
                type="checkbox"
                name="user"
                value={String(user.id)}
                checked={sharedWith.has(user.id)}
              />{" "}
              {user.email}
            </label>
          ))}
          <button type="submit" id="save-shares">Save sharing</button>
        </form>
      )}
    </>
  );
}
