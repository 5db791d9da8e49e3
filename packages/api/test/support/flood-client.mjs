// A pipelining client in a process of its own, so that a flood competes with the API for the
// machine as a real client does, not for the test's event loop (which also asks the probes).
// Usage: node flood-client.mjs PORT REQUEST_JSON CONNECTIONS TOTAL_PER_CONNECTION DEPTH
// Writes one JSON line: { statuses: { "200": n, ... }, answered, closedByServer }.
import { connect } from 'node:net';

const [port, requestJson, connections, total, depth] = process.argv.slice(2);
const request = JSON.parse(requestJson);

/** One connection: `depth` requests written at once, their answers awaited, repeated. */
function pipelined() {
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    const statuses = {};
    let answered = 0;
    let outstanding = 0;
    let buffer = '';
    let closedByServer = true;
    const burst = () => {
      const n = Math.min(Number(depth), Number(total) - answered);
      outstanding = n;
      socket.write(request.repeat(n));
    };
    socket.setEncoding('latin1');
    socket.on('connect', burst);
    socket.on('data', (chunk) => {
      buffer += chunk;
      const statusLine = /HTTP\/1\.1 (\d{3})/g;
      let consumed = 0;
      let counted = 0;
      for (let m = statusLine.exec(buffer); m; m = statusLine.exec(buffer)) {
        statuses[m[1]] = (statuses[m[1]] ?? 0) + 1;
        counted += 1;
        consumed = statusLine.lastIndex;
      }
      // A status line split across chunks is completed by the next one.
      buffer = buffer.slice(Math.max(consumed, buffer.length - 16));
      answered += counted;
      outstanding -= counted;
      if (answered >= Number(total)) {
        closedByServer = false;
        socket.destroy();
      } else if (outstanding <= 0) burst();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ statuses, answered, closedByServer }));
  });
}

const results = await Promise.all(Array.from({ length: Number(connections) }, pipelined));
const statuses = {};
for (const r of results)
  for (const [s, n] of Object.entries(r.statuses)) statuses[s] = (statuses[s] ?? 0) + n;
process.stdout.write(
  `${JSON.stringify({
    statuses,
    answered: results.reduce((a, r) => a + r.answered, 0),
    closedByServer: results.filter((r) => r.closedByServer).length,
  })}\n`,
);
