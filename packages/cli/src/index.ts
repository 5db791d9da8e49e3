/**
 * @fittech/cli — the commands FitTech users run: `pnpm synth` (synth/), the
 * deploy CLI `fittech-deploy` (deploy/), and the generators of the committed
 * files (pipeline/: the GitHub Actions workflows; compose.ts: compose.yaml).
 */
export {
  synth,
  generate,
  isAdHoc,
  projectConfigs,
  REPO_ROOT,
  WORKFLOWS_DIR,
  type Files,
  type Generated,
  type SynthOptions,
  type SynthResult,
  type TerraformStage,
} from './synth/synth';
export { composeFile, COMPOSE_FILE } from './compose';
export * from './pipeline';
// The deploy CLI's building blocks (`deployment.helmUpgrade(ctx)`, `deployment.checkHealth(...)`;
// the executable is bin `fittech-deploy`).
export * as deployment from './deploy';
