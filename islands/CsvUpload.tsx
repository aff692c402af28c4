// Streams the chosen CSV file to the server as the raw request body (never a
// whole-file multipart buffer), then hands the stored file's name to the form.

import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";

/** Props of {@linkcode CsvUpload}. */
export interface CsvUploadProps {
  /** Name of the hidden form field that receives the upload's name. */
  field: string;
}

/** A file picker that uploads at once and reports progress. */
export default function CsvUpload({ field }: CsvUploadProps) {
  const uploaded = useSignal("");
  const status = useSignal("");
  // Marks the picker live: before hydration a chosen file would go unnoticed.
  const hydrated = useSignal(false);
  useEffect(() => {
    hydrated.value = true;
  }, []);
  const onChange = async (event: Event) => {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (!file) return;
    uploaded.value = "";
    status.value = `Uploading ${file.name}…`;
    const response = await fetch(
      `/api/v1/uploads?filename=${encodeURIComponent(file.name)}`,
      { method: "POST", body: file, headers: { "content-type": "text/csv" } },
    );
    const body = await response.json();
    if (!response.ok) {
      status.value = `Upload failed: ${body.detail ?? response.statusText}`;
      return;
    }
    uploaded.value = body.name;
    status.value = `Uploaded ${file.name} (${
      body.bytes.toLocaleString("en-US")
    } bytes)`;
  };
  return (
    <div class="upload" data-hydrated={hydrated.value ? "yes" : "no"}>
      <label>
        CSV file
        <input
          type="file"
          accept=".csv,.gz,text/csv"
          id="csv-file"
          onChange={onChange}
        />
      </label>
      <input type="hidden" name={field} value={uploaded.value} />
      <p
        class="hint"
        id="upload-status"
        data-uploaded={uploaded.value ? "yes" : "no"}
      >
        {status.value}
      </p>
    </div>
  );
}
