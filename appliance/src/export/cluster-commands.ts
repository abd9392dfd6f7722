// Renders the exported cluster as `crm configure` input and as the equivalent `pcs` commands.

import { seconds } from "./cib-xml";
import { agentName, type PacemakerCluster, type Primitive } from "./pacemaker-model";

/** A word for crmsh or a POSIX shell: quoted when it holds anything but safe characters. */
function q(word: string): string {
  return /^[A-Za-z0-9_.,:/@%+=-]+$/.test(word) ? word : `"${word.replace(/(["\\$`])/g, "\\$1")}"`;
}

function opText(p: Primitive): string {
  const m = p.monitor;
  if (m === undefined) return "";
  return (
    ` op monitor interval=${seconds(m.intervalMs)}` +
    (m.timeoutMs !== undefined ? ` timeout=${seconds(m.timeoutMs)}` : "") +
    (m.onFail !== undefined ? ` on-fail=${q(m.onFail)}` : "")
  );
}

/** Input for `crm configure load update FILE` (or paste into `crm configure`). */
export function renderCrmConfigure(c: PacemakerCluster): string {
  // No comment lines: crmsh would keep them in the CIB, attached to the next element.
  const out: string[] = [`property stonith-enabled=false cluster-name=${q(c.clusterName)}`];
  out.push(
    `rsc_defaults resource-stickiness=${c.stickiness}` +
      (c.migrationThreshold !== undefined ? ` migration-threshold=${c.migrationThreshold}` : "") +
      (c.failureTimeoutMs !== undefined ? ` failure-timeout=${seconds(c.failureTimeoutMs)}` : ""),
  );
  for (const g of c.groups) {
    for (const p of g.primitives) {
      const params = p.params.length > 0 ? ` params ${p.params.map(([k, v]) => `${k}=${q(v)}`).join(" ")}` : "";
      out.push(`primitive ${p.id} ${agentName(p)}${params}${opText(p)}`);
    }
    out.push(`group ${g.id} ${g.primitives.map((p) => p.id).join(" ")}`);
    out.push(`location loc_${g.id}_home ${g.id} ${c.homeScore}: ${g.homeNode}`);
  }
  for (const p of c.pingClones) {
    out.push(
      `primitive ${p.id} ocf:pacemaker:ping params name=${p.attribute} host_list=${q(p.hosts.join(" "))} multiplier=${p.anyOf ? 1 : c.pingMultiplier} dampen=${seconds(c.pingDampenMs)} op monitor interval=10s timeout=60s`,
    );
    out.push(`clone ${p.id}-clone ${p.id}`);
    for (const g of c.groups) {
      out.push(
        p.anyOf
          ? `location loc_${g.id}_${p.id} ${g.id} rule ${c.pingMultiplier}: ${p.attribute} number:gt 0`
          : `location loc_${g.id}_${p.id} ${g.id} rule ${p.attribute}: defined ${p.attribute}`,
      );
    }
  }
  return out.join("\n") + "\n";
}

/** The same configuration as pcs commands (a shell script, run once on one node). */
export function renderPcsCommands(c: PacemakerCluster): string {
  const out: string[] = ["#!/bin/sh", "# pcs: run once on one node after both nodes are up (pcs cluster start --all)", "set -e"];
  out.push(`pcs property set stonith-enabled=false cluster-name=${q(c.clusterName)}`);
  out.push(
    `pcs resource defaults update resource-stickiness=${c.stickiness}` +
      (c.migrationThreshold !== undefined ? ` migration-threshold=${c.migrationThreshold}` : "") +
      (c.failureTimeoutMs !== undefined ? ` failure-timeout=${seconds(c.failureTimeoutMs)}` : ""),
  );
  for (const g of c.groups) {
    for (const p of g.primitives) {
      const params = p.params.map(([k, v]) => ` ${q(`${k}=${v}`)}`).join("");
      out.push(`pcs resource create ${p.id} ${agentName(p)}${params}${opText(p)} --group ${g.id}`);
    }
    out.push(`pcs constraint location ${g.id} prefers ${g.homeNode}=${c.homeScore}`);
  }
  for (const p of c.pingClones) {
    out.push(
      `pcs resource create ${p.id} ocf:pacemaker:ping name=${p.attribute} ${q(`host_list=${p.hosts.join(" ")}`)} multiplier=${p.anyOf ? 1 : c.pingMultiplier} dampen=${seconds(c.pingDampenMs)} op monitor interval=10s timeout=60s clone`,
    );
    for (const g of c.groups) {
      out.push(
        p.anyOf
          ? `pcs constraint location ${g.id} rule score=${c.pingMultiplier} ${p.attribute} gt integer 0`
          : `pcs constraint location ${g.id} rule score-attribute=${p.attribute} defined ${p.attribute}`,
      );
    }
  }
  return out.join("\n") + "\n";
}
