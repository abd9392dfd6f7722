// Renders corosync.conf (Corosync 3, knet) for an exported pair.

import type { PacemakerCluster } from "./pacemaker-model";

/** corosync.conf text: one knet link per Heartbeat medium, crypto on, two_node for a pair. */
export function renderCorosyncConf(c: PacemakerCluster): string {
  const out: string[] = [];
  out.push("# Written by `twinbeat export pacemaker` from ha.cf; see README.export.md.");
  out.push("totem {");
  out.push("    version: 2");
  out.push(`    cluster_name: ${c.clusterName}`);
  out.push("    transport: knet");
  out.push("    crypto_cipher: aes256");
  out.push("    crypto_hash: sha256");
  out.push(`    # deadtime: a node silent this long is lost`);
  out.push(`    token: ${c.tokenMs}`);
  for (const link of c.links) {
    out.push(`    # link ${link.linknumber} replaces ha.cf "${link.from}" (${link.at.file}:${link.at.line})`);
    if (link.mcastNote !== undefined) out.push(`    # ${link.mcastNote}`);
    out.push("    interface {");
    out.push(`        linknumber: ${link.linknumber}`);
    out.push("        knet_transport: udp");
    out.push(`        # keepalive and warntime: how often a link is probed and when it counts as down`);
    out.push(`        knet_ping_interval: ${c.knetPingIntervalMs}`);
    out.push(`        knet_ping_timeout: ${c.knetPingTimeoutMs}`);
    out.push("    }");
  }
  out.push("}");
  out.push("");
  out.push("nodelist {");
  for (const node of c.nodes) {
    out.push("    node {");
    out.push(`        name: ${node.name}`);
    out.push(`        nodeid: ${node.nodeid}`);
    node.addrs.forEach((addr, i) => out.push(`        ring${i}_addr: ${addr}`));
    out.push("    }");
  }
  out.push("}");
  out.push("");
  out.push("quorum {");
  out.push("    provider: corosync_votequorum");
  if (c.nodes.length === 2) out.push("    two_node: 1");
  out.push("}");
  out.push("");
  out.push("logging {");
  out.push("    to_logfile: no");
  out.push("    to_syslog: yes");
  out.push("    timestamp: on");
  out.push("}");
  return out.join("\n") + "\n";
}
