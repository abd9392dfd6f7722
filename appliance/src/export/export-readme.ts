// Renders README.export.md: what was converted, what was not (with the line it came from), and the cut-over steps.

import type { ExportFinding, PacemakerCluster } from "./pacemaker-model";

/** `path:line` of a finding, or the file alone for a whole-file finding. */
export function findingPlace(f: ExportFinding): string {
  if (f.at === undefined) return "(cluster)";
  return f.at.line > 0 ? `${f.at.file}:${f.at.line}` : f.at.file;
}

export function renderExportReadme(c: PacemakerCluster, findings: readonly ExportFinding[]): string {
  const out: string[] = [];
  out.push("# Pacemaker + Corosync configuration exported from a Twinbeat/Heartbeat pair", "");
  out.push("**WARNING: STONITH is disabled (`stonith-enabled=false`).** Heartbeat v1 had no fencing, so there was nothing to convert.");
  out.push("Before relying on this cluster, configure one fence device per node (`fence_ipmilan` for each box's BMC,");
  out.push("or `fence_sbd` with a shared disk) and set `stonith-enabled=true`.", "");
  out.push("## Files", "");
  out.push("| file | what |", "| --- | --- |");
  out.push("| `corosync.conf` | /etc/corosync/corosync.conf on every node (Corosync 3, knet) |");
  out.push(
    `| \`authkey\` | /etc/corosync/authkey on every node, mode 400 (${c.authkeyDerived ? "derived from the authkeys secret" : "random: authkeys was crc"}) |`,
  );
  out.push("| `cib.xml` | the resources and constraints: `cibadmin --replace --xml-file cib.xml` on one node |");
  out.push("| `crm-configure.txt` | the same with crmsh: `crm configure load update crm-configure.txt` |");
  out.push("| `pcs-commands.sh` | the same with pcs |", "");
  out.push("## Converted", "");
  out.push(`- nodes: ${c.nodes.map((n) => `${n.name} (nodeid ${n.nodeid}; ${n.addrs.join(", ")})`).join("; ")}`);
  for (const l of c.links) out.push(`- ${l.at.file}:${l.at.line} \`${l.from}\` → knet link ${l.linknumber}`);
  out.push(
    `- deadtime → token ${c.tokenMs} ms; keepalive → knet_ping_interval ${c.knetPingIntervalMs} ms; warntime → knet_ping_timeout ${c.knetPingTimeoutMs} ms`,
  );
  out.push(`- auto_failback → resource-stickiness ${c.stickiness} (home node preference ${c.homeScore})`);
  for (const g of c.groups)
    out.push(`- ${g.at.file}:${g.at.line} group on ${g.homeNode} → group \`${g.id}\` (${g.primitives.map((p) => p.id).join(", ")}), preferring ${g.homeNode}`);
  for (const r of c.converted) out.push(`  - \`${r.from}\` → ${r.to}`);
  for (const p of c.pingClones)
    out.push(
      `- ${p.at.file}:${p.at.line} ${p.anyOf ? "ping_group" : "ping"} ${p.hosts.join(" ")} → clone \`${p.id}-clone\` (ocf:pacemaker:ping, attribute ${p.attribute}) and a location rule per group (what ipfail did)`,
    );
  out.push("");
  out.push("## Not converted, or changed", "");
  if (findings.length === 0) out.push("Nothing.");
  for (const f of findings) out.push(`- ${findingPlace(f)}: ${f.severity}: ${f.message}`);
  out.push("");
  out.push("## Cut-over from the running pair", "");
  out.push("1. On both nodes: `apt-get install corosync pacemaker crmsh` (keep them stopped: `systemctl disable --now corosync pacemaker`).");
  out.push("2. Copy `corosync.conf` and `authkey` to /etc/corosync/ on both nodes (authkey mode 400, owner root).");
  out.push("3. Install on both nodes every init script and agent the groups use (resource-agents for ocf:heartbeat:*).");
  out.push(
    "4. In a maintenance window, stop Twinbeat/Heartbeat on the standby node first, then on the active node (`heartbeat -k`): the services stop; from here they are down.",
  );
  out.push("5. Disable it at boot on both nodes (`systemctl disable heartbeat` or remove the appliance's service).");
  out.push("6. Start the stack on both nodes: `systemctl start corosync pacemaker`; `crm_mon -1` shows both nodes online.");
  out.push("7. On one node: `cibadmin --replace --xml-file cib.xml` (or `crm configure load update crm-configure.txt`).");
  out.push("8. Check with `crm_mon -1` that each group runs on its home node; test a failover with `crm node standby NODE` and `crm node online NODE`.");
  out.push("9. Configure fencing (see the warning above) and enable it: `crm configure property stonith-enabled=true`.");
  out.push("Rolling back: stop pacemaker and corosync on both nodes, then start heartbeat again; /etc/ha.d was not changed.");
  return out.join("\n") + "\n";
}
