// Heartbeat's classic resource names (Filesystem, MailTo, apache…): each one's positional haresources arguments mapped onto its OCF agent, as the heartbeat package's resource.d wrappers do.

/**
 * What a classic resource's arguments come to: the variables its OCF agent gets and the
 * instance name (OCF_RESOURCE_INSTANCE, which names the agent's state files), or why the
 * arguments do not fit (the wrapper would print its usage and run nothing).
 */
export type ClassicMapping =
  | { readonly ok: true; readonly params: ReadonlyArray<readonly [string, string]>; readonly instance: string }
  | { readonly ok: false; readonly message: string };

/** What a mapping may ask about the machine (only WAS does: "is the argument a file?"). */
export interface ClassicMappingProbe {
  readonly isFile: (path: string) => boolean;
}

/** One classic name: the OCF agent behind it and how its arguments map. */
export interface ClassicResource {
  /** The haresources name, which is also the agent's type under the `heartbeat` provider. */
  readonly name: string;
  /** How the arguments are written in haresources, for messages. */
  readonly usage: string;
  readonly map: (args: readonly string[], probe: ClassicMappingProbe) => ClassicMapping;
}

/** The Debian package holding the OCF agents behind the classic names. */
export const OCF_AGENTS_PACKAGE = "resource-agents";

/**
 * The classic names, with the facts read from heartbeat 3.0.6's `/etc/ha.d/resource.d/*` and
 * `hto-mapfuncs` (the wrappers shipped by the Debian package heartbeat). Every wrapper exports
 * OCF_RESKEY_* variables from its positional arguments, sets OCF_RESOURCE_INSTANCE, then runs
 * `<OCF_ROOT>/resource.d/heartbeat/<name>` with start, stop or monitor (for status). The
 * quirks are kept on purpose, so that an agent finds the state files a Heartbeat node left:
 * Delay's default start delay names the instance but is not passed to the agent, apache with
 * no config file is instance `apache_`, AudibleAlarm's node list ends in a blank.
 * IPaddr, IPaddr2 and IPv6addr are not here: Twinbeat runs those itself (ip-address-agent.ts).
 */
const CLASSIC: readonly ClassicResource[] = [
  {
    name: "Filesystem",
    usage: "Filesystem::DEVICE::DIRECTORY[::FSTYPE[::OPTIONS]]",
    map: (args) =>
      args.length < 2 || args.length > 4
        ? usage("Filesystem::DEVICE::DIRECTORY[::FSTYPE[::OPTIONS]]")
        : named(`Filesystem_${args[0]!}`, ["device", "directory", "fstype", "options"], args),
  },
  {
    name: "MailTo",
    usage: "MailTo::EMAIL[,EMAIL…][::SUBJECT]",
    map: (args) => (args.length < 1 || args.length > 2 ? usage("MailTo::EMAIL[,EMAIL…][::SUBJECT]") : named("MailTo", ["email", "subject"], args)),
  },
  {
    name: "apache",
    usage: "apache[::CONFIGFILE]",
    map: (args) => (args.length > 1 ? usage("apache[::CONFIGFILE]") : named(`apache_${args[0] ?? ""}`, ["configfile"], args)),
  },
  {
    name: "Delay",
    usage: "Delay[::STARTDELAY[::STOPDELAY]]",
    // Without arguments the wrapper names the instance after its default of 10 s but does not
    // export it, so the agent uses its own default.
    map: (args) => (args.length > 2 ? usage("Delay[::STARTDELAY[::STOPDELAY]]") : named(`Delay_${args[0] ?? "10"}`, ["startdelay", "stopdelay"], args)),
  },
  { name: "IPsrcaddr", usage: "IPsrcaddr::IPADDRESS", map: (args) => exactly(args, 1, "IPsrcaddr::IPADDRESS", "IPsrcaddr", ["ipaddress"]) },
  {
    name: "SendArp",
    usage: "SendArp::IP/INTERFACE",
    map: (args) => {
      if (args.length !== 1) {
        return usage("SendArp::IP/INTERFACE");
      }
      // The wrapper cuts at the first "/"; with no "/" it passes the whole word as both.
      const arg = args[0]!;
      const slash = arg.indexOf("/");
      const ip = slash < 0 ? arg : arg.slice(0, slash);
      const nic = slash < 0 ? arg : arg.slice(slash + 1);
      return { ok: true, instance: `SendArp_${ip}`, params: [param("ip", ip), param("nic", nic)] };
    },
  },
  { name: "LVM", usage: "LVM::VOLUMEGROUP", map: (args) => exactly(args, 1, "LVM::VOLUMEGROUP", "LVM", ["volgrpname"]) },
  {
    name: "Raid1",
    usage: "Raid1::RAIDCONF::MDDEV",
    map: (args) => exactly(args, 2, "Raid1::RAIDCONF::MDDEV", `Raid1_${args[0] ?? ""}`, ["raidconf", "raiddev"]),
  },
  { name: "Xinetd", usage: "Xinetd::SERVICE", map: (args) => exactly(args, 1, "Xinetd::SERVICE", "Xinetd", ["service"]) },
  {
    name: "portblock",
    usage: "portblock::tcp|udp::PORT[,PORT…]::block|unblock",
    map: (args) => exactly(args, 3, "portblock::tcp|udp::PORT[,PORT…]::block|unblock", `portblock_${args.join("_")}`, ["protocol", "portno", "action"]),
  },
  {
    name: "AudibleAlarm",
    usage: "AudibleAlarm[::NODE…]",
    // The wrapper strips the operation off `echo $*`, which leaves the blank before it.
    map: (args) => ({ ok: true, instance: "AudibleAlarm", params: [param("nodelist", args.length === 0 ? "" : `${args.join(" ")} `)] }),
  },
  { name: "ICP", usage: "ICP::DRIVEID::DEVICE", map: (args) => exactly(args, 2, "ICP::DRIVEID::DEVICE", `ICP_${args[0] ?? ""}`, ["driveid", "device"]) },
  {
    name: "LinuxSCSI",
    usage: "LinuxSCSI::HOST:CHANNEL:TARGET[:LUN]",
    map: (args) => exactly(args, 1, "LinuxSCSI::HOST:CHANNEL:TARGET[:LUN]", `LinuxSCSI_${args[0] ?? ""}`, ["scsi"]),
  },
  {
    name: "ServeRAID",
    usage: "ServeRAID::ADAPTER::MERGEGROUP",
    map: (args) => exactly(args, 2, "ServeRAID::ADAPTER::MERGEGROUP", `ServeRAID_${args[0] ?? ""}`, ["serveraid", "mergegroup"]),
  },
  {
    name: "WAS",
    usage: "WAS[::CONFIGFILE|::PORT]",
    map: (args, probe) => {
      if (args.length > 1) {
        return usage("WAS[::CONFIGFILE|::PORT]");
      }
      const arg = args[0];
      if (arg === undefined) {
        return { ok: true, instance: "WAS", params: [] };
      }
      if (probe.isFile(arg)) {
        return { ok: true, instance: "WAS", params: [param("config", arg)] };
      }
      if (/^[0-9]*$/.test(arg)) {
        return { ok: true, instance: "WAS", params: [param("port", arg)] };
      }
      return { ok: false, message: `"${arg}" is neither a WAS configuration file nor a port number: expected WAS[::CONFIGFILE|::PORT]` };
    },
  },
  {
    name: "WinPopup",
    usage: "WinPopup[::HOSTFILE]",
    map: (args) => (args.length > 1 ? usage("WinPopup[::HOSTFILE]") : { ok: true, instance: "WinPopup", params: [param("hostfile", args[0] ?? "hosts")] }),
  },
  { name: "db2", usage: "db2::INSTANCEOWNER", map: (args) => exactly(args, 1, "db2::INSTANCEOWNER", `db2_${args[0] ?? ""}`, ["instance"]) },
  {
    name: "ids",
    usage: "ids[::INFORMIXDIR::INFORMIXSERVER::ONCONFIG]",
    map: (args) =>
      args.length !== 0 && args.length !== 3
        ? usage("ids[::INFORMIXDIR::INFORMIXSERVER::ONCONFIG]")
        : named(`ids_${args[1] ?? ""}`, ["informixdir", "informixserver", "onconfig"], args),
  },
];

const BY_NAME: ReadonlyMap<string, ClassicResource> = new Map(CLASSIC.map((c) => [c.name, c]));

/** Every classic name Twinbeat maps (for documentation and tests). */
export const CLASSIC_RESOURCE_NAMES: readonly string[] = CLASSIC.map((c) => c.name);

/** The classic resource `name` denotes (case-sensitive, like script names), if any. */
export function classicResource(name: string): ClassicResource | undefined {
  return BY_NAME.get(name);
}

/**
 * resource.d scripts that other Debian packages install and that Twinbeat does not
 * reimplement: a missing one is reported with the package that provides it.
 * drbddisk drives `drbdadm primary|secondary` itself (no OCF agent does the same for a
 * Heartbeat v1 group: ocf:linbit:drbd needs a promotable clone).
 */
const PACKAGED_SCRIPTS: Readonly<Record<string, string>> = {
  drbddisk: "drbd-utils",
  drbdupper: "drbd-utils",
};

/** The Debian package that installs `<configDir>/resource.d/<name>`, when Twinbeat knows it. */
export function packageOfResourceScript(name: string): string | undefined {
  return Object.hasOwn(PACKAGED_SCRIPTS, name) ? PACKAGED_SCRIPTS[name] : undefined;
}

function param(name: string, value: string): readonly [string, string] {
  return [`OCF_RESKEY_${name}`, value];
}

/** Arguments given in order; the missing trailing ones are simply not exported. */
function named(instance: string, names: readonly string[], args: readonly string[]): ClassicMapping {
  return { ok: true, instance, params: args.map((value, i) => param(names[i]!, value)) };
}

function exactly(args: readonly string[], count: number, usageText: string, instance: string, names: readonly string[]): ClassicMapping {
  return args.length === count ? named(instance, names, args) : usage(usageText);
}

function usage(text: string): ClassicMapping {
  return { ok: false, message: `wrong number of arguments: expected ${text}` };
}
