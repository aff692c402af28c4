// Starts the platform. By default one process is the web server, the worker
// and the scheduler (ETL_ROLE=all); ETL_ROLE=web|worker|scheduler splits them
// across processes that share one PostgreSQL.

import { loadConfig } from "./lib/config.ts";
import { openServices, type Services } from "./lib/services.ts";
import { createApp } from "./app.ts";
import { ensureFirstAdmin } from "./lib/auth/first_admin.ts";
import { Worker } from "./lib/queue/worker.ts";
import { abandonTask, taskJobHandler } from "./lib/engine/run_task.ts";
import { TASK_QUEUE } from "./lib/engine/start_run.ts";
import { taskCancels } from "./lib/engine/cancel_run.ts";
import { startScheduler } from "./lib/scheduler/scheduler.ts";
import { log } from "./lib/log/logger.ts";
import { DataDirLockedError } from "./lib/db/data_dir_lock.ts";

/** Starts the worker loop that runs TaskRuns. */
export async function startWorker(services: Services): Promise<Worker> {
  const worker = new Worker(services.db, {
    handlers: { [TASK_QUEUE]: taskJobHandler(services.engine) },
    concurrency: Number(Deno.env.get("ETL_WORKER_CONCURRENCY") ?? "4"),
    // How long a dead worker's jobs wait before the reaper re-queues them.
    leaseSeconds: positiveEnv("ETL_LEASE_SECONDS", 30),
    onAbandoned: (job) =>
      abandonTask(
        services.engine,
        job,
        "the worker running it stopped responding too many times",
      ),
    cancels: taskCancels(services.db),
  });
  await worker.start();
  return worker;
}

function positiveEnv(name: string, fallback: number): number {
  const text = Deno.env.get(name);
  if (!text) return fallback;
  const value = Number(text);
  if (!(value > 0)) {
    throw new Error(
      `Cannot start: ${name} "${text}" is not a positive number of seconds, e.g. ${fallback}`,
    );
  }
  return value;
}

async function main() {
  const config = loadConfig(Deno.env.toObject());
  let services: Services;
  try {
    services = await openServices(config);
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      console.error(error.message);
      Deno.exit(1);
    }
    throw error;
  }
  const roles = config.role === "all"
    ? ["web", "worker", "scheduler"]
    : [config.role];
  const stoppers: (() => Promise<void>)[] = [];
  if (roles.includes("worker")) {
    const worker = await startWorker(services);
    stoppers.push(() => worker.stop());
  }
  if (roles.includes("scheduler")) {
    const stopScheduler = startScheduler(
      services.db,
      `${Deno.hostname()}:${Deno.pid}`,
      { tickSeconds: config.schedulerTickSeconds },
    );
    stoppers.push(() => Promise.resolve(stopScheduler()));
  }
  if (roles.includes("web")) {
    const admin = await ensureFirstAdmin(services.db, Deno.env.toObject());
    const app = await createApp(services);
    const server = app.listen({
      port: config.port,
      hostname: config.hostname,
      onListen: ({ port }) => {
        log.info("platform started", {
          url: `http://localhost:${port}`,
          database: services.dbLocation,
          data_dir: config.dataDir,
          role: config.role,
        });
        if (admin.kind === "created") {
          console.error(`Created the admin account ${admin.email}.`);
        } else if (admin.kind === "setup-link") {
          // Printed, never logged: the link is a credential until used.
          console.error(
            `No account exists yet. Create the admin account within an hour at http://localhost:${port}/setup?token=${admin.token}`,
          );
        }
        // Last: tools wait for this line.
        console.error(
          `ETL platform on http://localhost:${port} — database: ${services.dbLocation}; data: ${config.dataDir}`,
        );
      },
    });
    stoppers.push(() => server.shutdown());
  } else {
    log.info("platform started", {
      database: services.dbLocation,
      role: config.role,
    });
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.info("stopping");
    for (const fn of stoppers) await fn().catch(() => {});
    await services.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}

if (import.meta.main) await main();
