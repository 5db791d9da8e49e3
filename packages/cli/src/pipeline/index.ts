/** Generation of the GitHub Actions workflows from the FitTech configs. */
export {
  generateWorkflows,
  workflowYaml,
  DEPLOY_CLI,
  DEPLOY_ROLE_VARIABLE,
  apiSecretNames,
  STALE_WORKFLOWS_MESSAGE,
  COMMITTED_GENERATED_FILES,
  type EnvironmentConfigs,
  type WorkflowOptions,
} from './workflows';
export { deployTarget, targetScript, TARGET_OUTPUTS, type DeployTarget } from './target';
export {
  ACTIONS,
  RUNNER,
  TOOL_VERSIONS,
  uses,
  type ActionName,
  type PinnedAction,
} from './actions';
