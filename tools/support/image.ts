/**
 * The API image's filesystem, staged on the host as packages/api/Dockerfile
 * lays it out: the working directory holds `packages/api/` with the compiled
 * code, its production dependencies (`pnpm deploy --prod`, @fittech/shared
 * included as a copy) and nothing else. The end-to-end pod test runs the
 * containers from there, as the image's UID, so it works from any checkout:
 * a container sees its image, not the clone (which may sit in a directory
 * that only root can traverse, as `mktemp -d` makes them).
 */
import { execFileSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  mkdtempSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** The workspace root, from the sources (tests) or from tools/dist (compiled). */
const REPO_ROOT = (() => {
  for (let d = __dirname; d !== dirname(d); d = dirname(d)) {
    if (existsSync(join(d, 'pnpm-workspace.yaml'))) return d;
  }
  throw new Error(`no pnpm-workspace.yaml above ${__dirname}`);
})();

/** Files pnpm writes for itself (mode 0600): not part of what the API needs. */
const PNPM_BOOKKEEPING = [
  'pnpm-lock.yaml',
  'pnpm-workspace.yaml',
  'node_modules/.pnpm-workspace-state-v1.json',
  'node_modules/.modules.yaml',
];

/** Whether every directory from `dir` up to `/` lets any user through (o+x). */
export function traversableByAnyone(dir: string): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (d === dirname(d)) return true;
  }
}

/**
 * A new temporary directory (mode 0755) that a container's non-root user can
 * reach: under the temp directory when its ancestors allow it, else /tmp, else
 * /var/tmp. Throws, saying what to do, when none does.
 */
export function reachableTemporaryDirectory(prefix: string): string {
  for (const base of [tmpdir(), '/tmp', '/var/tmp']) {
    try {
      accessSync(base, constants.W_OK);
      if (!traversableByAnyone(base)) continue;
    } catch {
      continue;
    }
    const dir = mkdtempSync(join(base, prefix));
    chmodSync(dir, 0o755);
    return dir;
  }
  throw new Error(
    `no temporary directory that a non-root user can traverse (tried ${tmpdir()}, /tmp, /var/tmp); set TMPDIR to one`,
  );
}

/**
 * Stages the image's working directory in `root` (which plays `/app`):
 * `packages/api/` from `pnpm deploy --prod`, readable by any user, without
 * pnpm's bookkeeping. `packages/api/dist` must be built (`pnpm build`).
 * Returns `root`.
 */
export function stageApiImage(root: string): string {
  const api = join(root, 'packages', 'api');
  try {
    statSync(join(REPO_ROOT, 'packages', 'api', 'dist', 'main.js'));
  } catch {
    throw new Error('packages/api/dist is not built: run `pnpm build` first');
  }
  execFileSync('pnpm', ['--filter', '@fittech/api', 'deploy', '--prod', '--offline', api], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true' },
  });
  for (const file of PNPM_BOOKKEEPING) rmSync(join(api, file), { force: true });
  // Root-owned and read-only for everyone else, as the image's COPY leaves it.
  execFileSync('chmod', ['-R', 'u=rwX,go=rX', root]);
  return root;
}
