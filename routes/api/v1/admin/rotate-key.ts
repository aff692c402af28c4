// POST rotates the credential master key through this running server (needed
// in embedded mode, where the server holds the data directory); answers the
// new key's id, never the key. Access (admin only) is checked by authorize().

import { define } from "../../../../lib/state.ts";
import { HttpError } from "../../../../lib/web/mod.ts";
import { requestActor } from "../../../../lib/auth/request_actor.ts";
import {
  rotateProcessKey,
  UnknownCredentialKeyError,
} from "../../../../lib/secrets/rotate_key.ts";

export const handler = define.handlers({
  async POST(ctx) {
    const { services, ip } = ctx.state;
    try {
      const { keyId, rewrapped } = await rotateProcessKey(
        services.db,
        services.box.keyring,
        {
          secretKey: services.config.secretKey,
          actor: requestActor(ctx.state),
          ip,
        },
      );
      return ctx.json({ keyId, rewrapped });
    } catch (error) {
      if (error instanceof UnknownCredentialKeyError) {
        throw new HttpError(409, error.message);
      }
      throw error;
    }
  },
});
