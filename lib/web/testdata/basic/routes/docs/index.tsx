export default function DocsIndex() {
  return <h1>Docs index</h1>;
}
