export default function NewUser() {
  return <h1>New user form</h1>;
}
