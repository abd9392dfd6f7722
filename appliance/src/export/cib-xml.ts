// Renders the exported cluster as a CIB (Pacemaker's XML), ready for `cibadmin --replace` or crm_verify.

import type { PacemakerCluster, PacemakerGroup, PingClone, Primitive } from "./pacemaker-model";

/** The CIB schema the export is written against (Pacemaker 2.1 in Debian 12 validates pacemaker-3.x). */
export const CIB_SCHEMA = "pacemaker-3.0";

/** A complete CIB document (configuration only, empty status). */
export function renderCibXml(c: PacemakerCluster): string {
  const x: string[] = [];
  // admin_epoch 1: newer than any CIB a fresh cluster made for itself (admin_epoch 0), so `cibadmin --replace` takes it.
  x.push(`<cib validate-with="${CIB_SCHEMA}" admin_epoch="1" epoch="1" num_updates="0">`);
  x.push("  <configuration>");
  x.push("    <crm_config>");
  x.push('      <cluster_property_set id="cib-bootstrap-options">');
  x.push('        <nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/>');
  x.push(`        <nvpair id="cib-bootstrap-options-cluster-name" name="cluster-name" value="${esc(c.clusterName)}"/>`);
  x.push("      </cluster_property_set>");
  x.push("    </crm_config>");
  x.push("    <nodes>");
  for (const n of c.nodes) x.push(`      <node id="${n.nodeid}" uname="${esc(n.name)}"/>`);
  x.push("    </nodes>");
  x.push("    <resources>");
  for (const g of c.groups) renderGroup(g, x);
  for (const p of c.pingClones) renderPingClone(p, c, x);
  x.push("    </resources>");
  x.push("    <constraints>");
  for (const g of c.groups) {
    x.push(`      <rsc_location id="loc_${g.id}_home" rsc="${g.id}" node="${esc(g.homeNode)}" score="${c.homeScore}"/>`);
    for (const p of c.pingClones) {
      const ruleId = `loc_${g.id}_${p.id}`;
      x.push(`      <rsc_location id="${ruleId}" rsc="${g.id}">`);
      if (p.anyOf) {
        x.push(`        <rule id="${ruleId}-rule" score="${c.pingMultiplier}">`);
        x.push(`          <expression id="${ruleId}-expr" attribute="${p.attribute}" operation="gt" value="0" type="number"/>`);
      } else {
        x.push(`        <rule id="${ruleId}-rule" score-attribute="${p.attribute}">`);
        x.push(`          <expression id="${ruleId}-expr" attribute="${p.attribute}" operation="defined"/>`);
      }
      x.push("        </rule>");
      x.push("      </rsc_location>");
    }
  }
  x.push("    </constraints>");
  x.push("    <rsc_defaults>");
  x.push('      <meta_attributes id="rsc-options">');
  x.push(`        <nvpair id="rsc-options-resource-stickiness" name="resource-stickiness" value="${c.stickiness}"/>`);
  if (c.migrationThreshold !== undefined)
    x.push(`        <nvpair id="rsc-options-migration-threshold" name="migration-threshold" value="${c.migrationThreshold}"/>`);
  if (c.failureTimeoutMs !== undefined)
    x.push(`        <nvpair id="rsc-options-failure-timeout" name="failure-timeout" value="${seconds(c.failureTimeoutMs)}"/>`);
  x.push("      </meta_attributes>");
  x.push("    </rsc_defaults>");
  x.push("  </configuration>");
  x.push("  <status/>");
  x.push("</cib>");
  return x.join("\n") + "\n";
}

function renderGroup(g: PacemakerGroup, x: string[]): void {
  x.push(`      <group id="${g.id}">`);
  for (const p of g.primitives) renderPrimitive(p, x, "        ");
  x.push("      </group>");
}

function renderPrimitive(p: Primitive, x: string[], indent: string): void {
  const provider = p.provider !== undefined ? ` provider="${esc(p.provider)}"` : "";
  x.push(`${indent}<primitive id="${p.id}" class="${p.cls}"${provider} type="${esc(p.type)}">`);
  if (p.params.length > 0) {
    x.push(`${indent}  <instance_attributes id="${p.id}-instance_attributes">`);
    for (const [k, v] of p.params) x.push(`${indent}    <nvpair id="${p.id}-instance_attributes-${k}" name="${esc(k)}" value="${esc(v)}"/>`);
    x.push(`${indent}  </instance_attributes>`);
  }
  if (p.monitor !== undefined) {
    const m = p.monitor;
    const interval = seconds(m.intervalMs);
    x.push(`${indent}  <operations>`);
    x.push(
      `${indent}    <op id="${p.id}-monitor-interval-${interval}" name="monitor" interval="${interval}"` +
        (m.timeoutMs !== undefined ? ` timeout="${seconds(m.timeoutMs)}"` : "") +
        (m.onFail !== undefined ? ` on-fail="${esc(m.onFail)}"` : "") +
        "/>",
    );
    x.push(`${indent}  </operations>`);
  }
  x.push(`${indent}</primitive>`);
}

function renderPingClone(p: PingClone, c: PacemakerCluster, x: string[]): void {
  x.push(`      <clone id="${p.id}-clone">`);
  renderPrimitive(
    {
      id: p.id,
      cls: "ocf",
      provider: "pacemaker",
      type: "ping",
      raw: "",
      params: [
        ["name", p.attribute],
        ["host_list", p.hosts.join(" ")],
        ["multiplier", String(p.anyOf ? 1 : c.pingMultiplier)],
        ["dampen", seconds(c.pingDampenMs)],
      ],
      monitor: { resource: p.id, intervalMs: 10_000, timeoutMs: 60_000, at: p.at },
    },
    x,
    "        ",
  );
  x.push("      </clone>");
}

/** Pacemaker's duration syntax: whole seconds as `Ns`, else `Nms`. */
export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
