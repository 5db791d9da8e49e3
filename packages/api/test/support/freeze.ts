import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

/** The pids of a PostgreSQL server: its postmaster and every process it forked (backends, writers). */
async function serverProcesses(url: string): Promise<{ postmaster: number; children: number[] }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  let dataDirectory: string;
  try {
    dataDirectory = (
      await client.query<{ d: string }>("SELECT current_setting('data_directory') AS d")
    ).rows[0]!.d;
  } finally {
    await client.end();
  }
  const postmaster = Number(
    readFileSync(join(dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0],
  );
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmaster) children.push(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return { postmaster, children };
}

export interface Frozen {
  /** SIGCONT to every process that was stopped. Idempotent. */
  thaw(): void;
}

/**
 * Freezes a PostgreSQL server the test started, as a partition or a stuck
 * failover would look to a client: SIGSTOP to the postmaster (no new
 * backends), then to every process it forked. Connections stay open and
 * the kernel still accepts new ones; nothing answers.
 */
export async function freezePostgres(url: string): Promise<Frozen> {
  const { postmaster, children } = await serverProcesses(url);
  process.kill(postmaster, 'SIGSTOP');
  const stopped = [postmaster];
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGSTOP');
      stopped.push(pid);
    } catch {
      // Ended between the scan and the signal.
    }
  }
  let thawed = false;
  return {
    thaw: () => {
      if (thawed) return;
      thawed = true;
      for (const pid of stopped.reverse()) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // Gone.
        }
      }
    },
  };
}
