import type { Command } from '@minicore/cli';
import { checkEndpointHealth } from '@minicore/kv-client';
import { action, type KvctlRun } from '../context.js';
import { formatMemberAdded, formatMemberList } from '../output-format.js';

function urlList(text: string): string[] {
  return text.split(',').map((url) => url.trim()).filter(Boolean);
}

export function registerMemberCommands(program: Command, run: KvctlRun): void {
  const member = program.command('member').description('member add, remove, update and list subcommands');

  member
    .command('list')
    .description('enumerate existing cluster members')
    .action(
      action(run, async ({ client }) => {
        const members = await client.listMembers();
        const leader = await client.leaderMember().catch(() => undefined);
        run.streams.stdout(formatMemberList(members, leader?.id));
      }),
    );

  member
    .command('add <name> <peerURLs>')
    .description('add a new member to the etcd cluster')
    .action(
      action(run, async ({ client }, name: string, peerURLs: string) => {
        const added = await client.addMember(urlList(peerURLs));
        run.streams.stdout(formatMemberAdded(name, added, await client.listMembers()));
      }),
    );

  member
    .command('remove <memberID>')
    .description('remove an existing member from the etcd cluster')
    .action(
      action(run, async ({ client }, id: string) => {
        await client.removeMember(id);
        run.streams.stdout(`Removed member ${id} from cluster\n`);
      }),
    );

  member
    .command('update <memberID> <peerURLs>')
    .description('update an existing member in the etcd cluster')
    .action(
      action(run, async ({ client }, id: string, peerURLs: string) => {
        await client.updateMember(id, urlList(peerURLs));
        run.streams.stdout(`Updated member with ID ${id} in cluster\n`);
      }),
    );

  program
    .command('cluster-health')
    .description('check the health of the etcd cluster')
    .action(
      action(run, async ({ client }) => {
        const members = await client.listMembers();
        let healthy = 0;
        for (const member of members) {
          if (member.clientURLs.length === 0) {
            run.streams.stdout(`member ${member.id} is unreachable: no available published client urls\n`);
            continue;
          }
          const checks = [];
          for (const url of member.clientURLs) {
            const check = await checkEndpointHealth(url, { timeoutMs: client.timeoutMs });
            checks.push(check);
            if (check.healthy) break;
          }
          const good = checks.find((check) => check.healthy);
          const answered = checks.find((check) => check.reason?.startsWith('HTTP'));
          if (good) {
            healthy++;
            run.streams.stdout(`member ${member.id} is healthy: got healthy result from ${good.endpoint}\n`);
          } else if (answered) {
            run.streams.stdout(`member ${member.id} is unhealthy: got unhealthy result from ${answered.endpoint}\n`);
          } else {
            run.streams.stdout(`member ${member.id} is unreachable: [${member.clientURLs.join(' ')}] are all unreachable\n`);
          }
        }
        const verdict = healthy === members.length ? 'healthy' : healthy > 0 ? 'degraded' : 'unavailable';
        run.streams.stdout(`cluster is ${verdict}\n`);
        if (verdict !== 'healthy') run.exitCode = 1;
      }),
    );
}
