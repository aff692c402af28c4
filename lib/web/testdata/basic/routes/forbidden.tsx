import { HttpError } from "../../../mod.ts";

export const handler = () => {
  throw new HttpError(403, "Only admins may see this");
};
