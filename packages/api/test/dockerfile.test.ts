/**
 * The Dockerfile cannot be built here (no Docker engine), so it is read
 * against what the manifests and the Terraform take from @fittech/shared:
 * working directory, command, numeric user, CA bundle path, and the
 * config's port; and against the workspace it is built from.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { API_IMAGE } from '@fittech/shared';

const root = resolve(__dirname, '../../..');
const dockerfile = readFileSync(resolve(__dirname, '../Dockerfile'), 'utf8');

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}
interface Stage {
  readonly name: string | undefined;
  readonly image: string;
  readonly instructions: Instruction[];
}

/** Instructions (continuations joined, comments dropped), grouped by stage, ARGs before the first FROM resolved. */
function parse(text: string): { args: Record<string, string>; stages: Stage[] } {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: rest };
    if (instruction.keyword === 'FROM') {
      const [, image = '', name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest) ?? [];
      stages.push({
        name,
        image: image.replace(/\$\{(\w+)\}/g, (_, v: string) => args[v] ?? ''),
        instructions: [],
      });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [name, value = ''] = rest.split('=');
      args[name!] = value;
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

const { stages } = parse(dockerfile);
const runtime = stages.at(-1)!;
const build = stages.find((s) => s.name === 'build')!;
const all = (stage: Stage, keyword: string) =>
  stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const last = (stage: Stage, keyword: string) => all(stage, keyword).at(-1);
/** Source paths of COPY instructions (flags and destination removed). */
const copySources = (args: string) =>
  args
    .split(/\s+/)
    .filter((a) => !a.startsWith('--'))
    .slice(0, -1);

describe('packages/api/Dockerfile', () => {
  it('is multi-stage, on pinned images of the Node major the workspace uses', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const nodeMajor = readFileSync(join(root, '.nvmrc'), 'utf8').trim();
    for (const stage of stages) {
      expect(stage.image).toMatch(new RegExp(`^node:${nodeMajor}\\.\\d+\\.\\d+-[a-z-]+$`));
    }
  });

  it('runs as the numeric non-root user the manifests set (API_IMAGE.uid:gid)', () => {
    const user = last(runtime, 'USER');
    expect(user).toBe(`${API_IMAGE.uid}:${API_IMAGE.gid}`);
    expect(API_IMAGE.uid).toBeGreaterThan(0);
  });

  it("exposes no port: the config's api.port reaches the process as PORT, and an EXPOSE could not follow an override", () => {
    expect(stages.flatMap((stage) => all(stage, 'EXPOSE'))).toEqual([]);
  });

  it('runs API_IMAGE.command from API_IMAGE.workingDir with node as PID 1', () => {
    expect(last(runtime, 'WORKDIR')).toBe(API_IMAGE.workingDir);
    expect(JSON.parse(last(runtime, 'CMD')!)).toEqual(API_IMAGE.command);
    expect(all(runtime, 'ENTRYPOINT')).toEqual([]);
    // The command and the migration Job's command are built from sources that exist.
    for (const command of [API_IMAGE.command, API_IMAGE.migrateCommand]) {
      const source = command[1]!.replace(
        /^packages\/api\/dist\/(.*)\.js$/,
        'packages/api/src/$1.ts',
      );
      expect(existsSync(join(root, source))).toBe(true);
    }
  });

  it('bakes the RDS CA bundle where DATABASE_URL’s sslrootcert points (API_IMAGE.rdsCaBundlePath), world-readable', () => {
    const add = all(runtime, 'ADD').find((a) => a.includes('rds'));
    expect(add).toBeDefined();
    expect(add!.split(/\s+/).at(-1)).toBe(API_IMAGE.rdsCaBundlePath);
    expect(add).toMatch(/--chmod=444/);
  });

  it('ships what the API needs only: the build deploys @fittech/api with production dependencies, the runtime copies that', () => {
    const runtimeRuns = all(runtime, 'RUN').join('\n');
    expect(runtimeRuns).not.toMatch(/\b(pnpm|npm|yarn)\b/);
    const buildRuns = all(build, 'RUN');
    const deploy = buildRuns.find((r) => /pnpm --filter @fittech\/api deploy/.test(r));
    expect(deploy).toMatch(/--prod\b/);
    // pnpm's own 0600 files go, and everything is readable by the runtime user.
    expect(deploy).toMatch(/rm -f .*pnpm-lock\.yaml.*\.pnpm-workspace-state/);
    expect(deploy).toMatch(/chmod -R u=rwX,go=rX/);
    // The deploy comes after the compilation, and the install before it used the lockfile.
    expect(buildRuns.findIndex((r) => /tsc -b/.test(r))).toBeLessThan(buildRuns.indexOf(deploy!));
    expect(buildRuns.find((r) => /pnpm install/.test(r))).toMatch(/--frozen-lockfile/);
    const fromBuild = all(runtime, 'COPY').filter((c) => c.includes('--from=build'));
    expect(fromBuild.map((c) => c.split(/\s+/).slice(-2))).toEqual([
      ['/out/packages/api', `${API_IMAGE.workingDir}/packages/api`],
    ]);
  });

  it('copies every workspace manifest before installing (pnpm checks the lockfile against all)', () => {
    const packages = readdirSync(join(root, 'packages')).filter((p) =>
      existsSync(join(root, 'packages', p, 'package.json')),
    );
    const copied = all(build, 'COPY').flatMap(copySources);
    for (const p of packages) expect(copied).toContain(`packages/${p}/package.json`);
    for (const file of ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml']) {
      expect(copied).toContain(file);
    }
  });

  it('copies only paths that exist in the build context (the repository root)', () => {
    const sources = all(build, 'COPY').flatMap(copySources);
    expect(sources.filter((s) => !existsSync(join(root, s)))).toEqual([]);
  });

  it("installs the pnpm version the workspace pins (package.json's packageManager)", () => {
    const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager;
    expect(all(build, 'RUN').join('\n')).toContain(`npm install --global ${pinned}`);
  });
});
