// `twinbeat export pacemaker` as a pure function: a parsed config directory in, the output files and findings out.

import { renderCibXml } from "./cib-xml";
import { renderCrmConfigure, renderPcsCommands } from "./cluster-commands";
import { renderCorosyncConf } from "./corosync-conf";
import { renderExportReadme } from "./export-readme";
import { buildPacemakerCluster, type ExportFinding, type PacemakerCluster, type PacemakerExportInput } from "./pacemaker-model";

export interface ExportedFiles {
  readonly cluster?: PacemakerCluster;
  /** File name → content (text, or bytes for authkey); empty when an error stopped the export. */
  readonly files: ReadonlyMap<string, string | Uint8Array>;
  readonly findings: readonly ExportFinding[];
}

export function exportPacemaker(input: PacemakerExportInput): ExportedFiles {
  const built = buildPacemakerCluster(input);
  const c = built.cluster;
  if (c === undefined) return { files: new Map(), findings: built.findings };
  const files = new Map<string, string | Uint8Array>([
    ["corosync.conf", renderCorosyncConf(c)],
    ["authkey", c.authkey],
    ["cib.xml", renderCibXml(c)],
    ["crm-configure.txt", renderCrmConfigure(c)],
    ["pcs-commands.sh", renderPcsCommands(c)],
    ["README.export.md", renderExportReadme(c, built.findings)],
  ]);
  return { cluster: c, files, findings: built.findings };
}
