// PGlite has no file lock of its own: two processes on one data directory
// silently corrupt it. The running process holds an exclusive lock on a file
// in the directory; the OS drops it when the process dies, so no stale locks.

const LOCK_FILE = "etl.lock";
// Deno has no try-lock; a lock not granted within this time is held elsewhere.
const LOCK_WAIT_MS = 300;

/** Thrown when another process holds the data directory. */
export class DataDirLockedError extends Error {
  constructor(dataDir: string, holder: string) {
    super(
      `Cannot open data directory "${dataDir}": it is in use by another process${holder}. Stop that process, or set ETL_DATA_DIR to another directory`,
    );
    this.name = "DataDirLockedError";
  }
}

/** A held lock; `release()` frees it (the OS frees it at exit anyway). */
export interface DataDirLock {
  release(): void;
}

/** Takes the exclusive lock on `dataDir`, creating the directory if needed. */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  await Deno.mkdir(dataDir, { recursive: true });
  const path = `${dataDir}/${LOCK_FILE}`;
  const file = await Deno.open(path, { read: true, write: true, create: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const granted = await Promise.race([
    file.lock(true).then(() => true, () => false),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), LOCK_WAIT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (!granted) {
    const holder = (await Deno.readTextFile(path).catch(() => "")).trim();
    // The pending lock() call must not keep the process alive.
    file.close();
    throw new DataDirLockedError(
      dataDir,
      /^\d+$/.test(holder) ? ` (pid ${holder})` : "",
    );
  }
  await file.truncate(0);
  await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
  return {
    release() {
      try {
        file.unlockSync();
        file.close();
      } catch {
        // Already closed.
      }
    },
  };
}
