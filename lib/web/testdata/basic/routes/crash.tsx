export const handler = () => {
  throw new Error("db password is hunter2");
};

export default function Never() {
  return <p>never</p>;
}
