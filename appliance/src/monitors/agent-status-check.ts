// The `monitor` check: a resource's own status action (LSB status, OCF monitor at OCF_CHECK_LEVEL, resource.d status, the IP agents' test plus carrier).

import { readFile } from "node:fs/promises";
import type { ResourceAgent } from "../resources/resource-agent";
import { elapsedSince, type CheckOutcome } from "./check-outcome";

/** Reads /sys/class/net/NIC/carrier: "1" = link up; undefined when it cannot tell (no such file, a virtual device that does not say). */
export type CarrierReader = (nic: string) => Promise<boolean | undefined>;

export const readCarrier: CarrierReader = async (nic) => {
  try {
    return (await readFile(`/sys/class/net/${nic}/carrier`, "utf8")).trim() === "1";
  } catch {
    return undefined;
  }
};

/**
 * Healthy when the agent says running. For a virtual address the interface it is on must
 * also have carrier: an address on a NIC whose cable is out serves nobody. The IP agent names
 * the interface in its words ("198.51.100.100 is running on eth0"); that is where it is read.
 */
export async function runAgentStatusCheck(agent: ResourceAgent, isIpAgent: boolean, carrier: CarrierReader = readCarrier): Promise<CheckOutcome> {
  const startedAt = performance.now();
  const status = await agent.status();
  if (status.kind !== "running") return { healthy: false, words: status.words, latencyMs: elapsedSince(startedAt) };
  if (isIpAgent) {
    const nic = /running on ([A-Za-z0-9_.@-]+)/.exec(status.words)?.[1];
    if (nic !== undefined && (await carrier(nic)) === false)
      return { healthy: false, words: `${status.words}, but ${nic} has no carrier`, latencyMs: elapsedSince(startedAt) };
  }
  return { healthy: true, words: status.words, latencyMs: elapsedSince(startedAt) };
}
