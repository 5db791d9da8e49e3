import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The deploy-time Helm values the pipeline sets (the chart's values.yaml
 * documents them): the image by digest and the API's secrets, plus any chart
 * values given with `--values`/`--set` (never image or secrets). Everything
 * else keeps the chart's defaults, which come from the same config; in
 * particular `secrets.existingSecret` stays the name of the Secret the chart
 * creates.
 */
export interface ReleaseValues {
  readonly [value: string]: unknown;
  readonly image: {
    readonly repository: string;
    readonly tag: string;
    /** `sha256:…`; when set the chart references the image by digest. */
    readonly digest?: string;
  };
  /** One value per secret variable of the API's contract, named by `secretValueName` (@fittech/shared). */
  readonly secrets: Readonly<Record<string, string>>;
}

export { secretValueName } from '@fittech/shared';

/** The file name inside the private temp directory. */
export const VALUES_FILE_NAME = 'release-values.json';

/** What a dry run shows instead of the real (random) temp path. */
export const DRY_RUN_VALUES_PATH = `<private-temp-dir>/${VALUES_FILE_NAME}`;

/**
 * Writes `values` to a file readable only by this user (a fresh 0700
 * directory, the file 0600, created exclusively), runs `use(path)`, and
 * removes the directory afterwards, also when `use` throws. JSON is valid
 * YAML, and it quotes every string, so no secret can be misread as YAML.
 */
export async function withValuesFile<T>(
  values: ReleaseValues,
  use: (path: string) => Promise<T>,
  onCreated?: (cleanup: () => void) => () => void,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'fittech-deploy-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  // Lets the CLI remove the file if it is interrupted by a signal mid-command.
  const unregister = onCreated?.(cleanup);
  try {
    const path = join(dir, VALUES_FILE_NAME);
    writeFileSync(path, `${JSON.stringify(values, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    return await use(path);
  } finally {
    unregister?.();
    cleanup();
  }
}
