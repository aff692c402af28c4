import { define } from "../../../lib/state.ts";
import { HttpError } from "../../../lib/web/mod.ts";
import { saveUpload, UploadTooLargeError } from "../../../lib/uploads.ts";

const MAX_UPLOAD_BYTES = 10 * 1024 ** 3;

// The raw body is the file: streamed to disk, never buffered whole.
export const handler = define.handlers({
  async POST(ctx) {
    if (!ctx.req.body) {
      throw new HttpError(400, "Cannot store upload: the body is empty");
    }
    try {
      const stored = await saveUpload(
        ctx.state.services.uploadsDir,
        ctx.req.body,
        {
          filename: ctx.url.searchParams.get("filename") ?? undefined,
          maxBytes: MAX_UPLOAD_BYTES,
        },
      );
      return ctx.json(stored, { status: 201 });
    } catch (error) {
      if (error instanceof UploadTooLargeError) {
        throw new HttpError(413, error.message);
      }
      throw error;
    }
  },
});
