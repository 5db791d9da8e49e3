import { API_ROLLOUT, autoscalingMaxReplicas } from './capacity';
import type { FitTechConfig } from './schema';

/**
 * Connections a replica opens besides its request pool (`api.dbPoolMax`): the
 * readiness probe's own connection and the LISTEN connection that carries
 * other replicas' cache invalidations.
 */
export const API_EXTRA_CONNECTIONS_PER_REPLICA = 2;

/**
 * The most PostgreSQL connections the API can hold: its pods at the
 * autoscaler's maximum plus the rolling update's surge, each with a full pool
 * and its extra connections, plus the migration Job's one. More connections
 * than this come from something else (a leak, a forgotten client); the
 * CloudWatch alarm on DatabaseConnections fires above it unless
 * `observability.alarms.databaseConnections` says otherwise.
 */
export function apiDatabaseConnections(config: FitTechConfig): number {
  const pods = autoscalingMaxReplicas(config) + API_ROLLOUT.maxSurge;
  return pods * (config.api.dbPoolMax + API_EXTRA_CONNECTIONS_PER_REPLICA) + 1;
}
