import { execFile } from 'node:child_process';
import { join } from 'node:path';

export interface PipelinedResult {
  /** Answers by status. */
  readonly statuses: Record<string, number>;
  readonly answered: number;
  /** Connections the server closed before every answer came. */
  readonly closedByServer: number;
}

/**
 * Floods `port` from a process of its own: `connections` connections, each
 * writing `depth` copies of `request` at once and awaiting their answers,
 * until `total` answers per connection came or the server closed it.
 */
export function pipelined(
  port: number,
  request: string,
  o: { connections: number; total: number; depth: number },
): Promise<PipelinedResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        join(__dirname, 'flood-client.mjs'),
        String(port),
        JSON.stringify(request),
        String(o.connections),
        String(o.total),
        String(o.depth),
      ],
      { encoding: 'utf8' },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`flood client: ${error.message}\n${stderr}`))
          : resolve(JSON.parse(stdout) as PipelinedResult),
    );
  });
}
