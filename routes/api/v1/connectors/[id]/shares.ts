import { sharesHandlers } from "../../../../../lib/rbac/shares_route.ts";

// GET who the connector is shared with; PUT {userIds} replaces the list.
export const handler = sharesHandlers("connector");
