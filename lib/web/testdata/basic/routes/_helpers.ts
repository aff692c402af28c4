// Starts with "_": not a route.
export const helper = 1;
