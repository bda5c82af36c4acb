#!/usr/bin/env node
/**
 * `redthread <role>`: the one entrypoint of every deployable process. Each role parses only its
 * own environment, connects as its own database role, serves `/healthz` and `/readyz`, and drains
 * on SIGTERM. `npm start` runs one process per role under a supervisor (scripts/start.ts).
 */
import { SUBGRAPH_NAMES, type SubgraphName } from '@redthread/gateway';
import { DEFAULT_PORTS, ROLES, roleEnvironmentKeys } from './env';

const HELP = `Usage: redthread <role> [options]

Roles (each its own process; run as many replicas of the long-running ones as you need):
  gateway                 the federated GraphQL API, /auth/*, GraphiQL, the warehouse screen (port ${DEFAULT_PORTS.gateway})
                          database role: redthread_auth
  subgraph <name>         one subgraph: ${SUBGRAPH_NAMES.join(' | ')} (ports ${SUBGRAPH_NAMES.map((n) => DEFAULT_PORTS[n]).join(', ')})
                          database role: redthread_app
  workers                 the event-log workflows; health and metrics on port ${DEFAULT_PORTS.workers}
                          database role: redthread_worker
  migrate                 applies pending migrations as the database owner, sets the role passwords, exits

Admin commands (run, print, exit):
  events <command>        parked events: \`events parked\`, \`events retry <id>\`, \`events discard <id>\`
                          (\`redthread events --help\`); database role: redthread_worker

Every long-running role serves GET /healthz (alive), GET /readyz (ready; 503 while draining) and
GET /metrics, and drains on SIGTERM within SHUTDOWN_GRACE_SECONDS.

Options:
  -h, --help              this text; \`redthread <role> --help\` lists the role's environment variables

See the README (Configuration, Deployment) for every variable.
`;

function roleHelp(role: (typeof ROLES)[number]): string {
  return `Environment of \`redthread ${role}\`:\n${roleEnvironmentKeys()[role].map((key) => `  ${key}`).join('\n')}\n`;
}

async function main(argv: readonly string[]): Promise<void> {
  const [role, ...rest] = argv;
  if (!role || role === '-h' || role === '--help' || role === 'help') {
    process.stdout.write(HELP);
    process.exit(role ? 0 : 2);
  }
  if (role === 'events') {
    const code = await (await import('./roles/events')).runEventsCommand(rest);
    process.exit(code);
  }
  if (!(ROLES as readonly string[]).includes(role)) {
    process.stderr.write(`Unknown role "${role}". The roles are: ${ROLES.join(', ')}.\n\n${HELP}`);
    process.exit(2);
  }
  const knownRole = role as (typeof ROLES)[number];
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(roleHelp(knownRole));
    process.exit(0);
  }
  switch (knownRole) {
    case 'gateway':
      return (await import('./roles/gateway')).runGateway();
    case 'subgraph': {
      const name = rest[0];
      if (!name || !(SUBGRAPH_NAMES as readonly string[]).includes(name)) {
        process.stderr.write(`redthread subgraph needs a subgraph name: ${SUBGRAPH_NAMES.join(', ')}${name ? ` (got "${name}")` : ''}.\n`);
        process.exit(2);
      }
      return (await import('./roles/subgraph')).runSubgraph(name as SubgraphName);
    }
    case 'workers':
      return (await import('./roles/workers')).runWorkers();
    case 'migrate':
      return (await import('./roles/migrate')).runMigrate();
  }
}

await main(process.argv.slice(2));
