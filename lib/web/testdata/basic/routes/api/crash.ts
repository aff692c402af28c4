export const handler = () => {
  throw new Error("db password is hunter2");
};
