// The Test connection button. Without JavaScript it is a plain form post that
// re-renders the page with the answer; hydrated, it asks the API and shows
// the answer inline without leaving the page.

import { useSignal } from "@preact/signals";

/** The answer of a connection test, as the API returns it. */
export type ConnectorTestAnswer =
  | { ok: true; version?: string }
  | { ok: false; error: { kind: string; message: string } };

/** Props of {@linkcode ConnectorTest}. */
export interface ConnectorTestProps {
  id: number;
  /** An answer the server already has (the no-JavaScript post). */
  initial: ConnectorTestAnswer | null;
}

/** A Test connection button with its inline result. */
export default function ConnectorTest({ id, initial }: ConnectorTestProps) {
  const answer = useSignal<ConnectorTestAnswer | null>(initial);
  const busy = useSignal(false);
  const onSubmit = async (event: Event) => {
    event.preventDefault();
    busy.value = true;
    answer.value = null;
    try {
      const response = await fetch(`/api/v1/connectors/${id}/test`, {
        method: "POST",
      });
      const body = await response.json();
      answer.value = response.ok ? body : {
        ok: false,
        error: { kind: "http", message: body.detail ?? response.statusText },
      };
    } catch (error) {
      answer.value = {
        ok: false,
        error: { kind: "network", message: String(error) },
      };
    } finally {
      busy.value = false;
    }
  };
  const result = answer.value;
  return (
    <form method="post" class="connector-test" onSubmit={onSubmit}>
      <input type="hidden" name="_action" value="test" />
      <button type="submit" id="test-connection" disabled={busy.value}>
        {busy.value ? "Testing…" : "Test connection"}
      </button>{" "}
      <output
        id="test-result"
        data-ok={result ? String(result.ok) : undefined}
        class={result ? (result.ok ? "ok" : "error") : ""}
      >
        {result?.ok === true &&
          `OK${result.version ? ` — ${result.version}` : ""}`}
        {result?.ok === false &&
          `Failed (${result.error.kind}): ${result.error.message}`}
      </output>
    </form>
  );
}
