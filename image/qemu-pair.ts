// Boots two Twinbeat appliances in qemu (software emulation) from two copies of the raw image that
// differ only in their config partitions, linked by `-netdev socket` on loopback; checks their pages
// through loopback port forwards, the VIP on the primary, failover when the primary's qemu is killed,
// and a graceful poweroff (ACPI power button) of the survivor. Used by qemu-pair.test.ts.
// Every qemu is ended by its PID (SIGKILL) whatever happens; all files live in one temporary dir.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createConnection, createServer } from "node:net";
import { join } from "node:path";

export type Firmware = "bios" | "uefi";
export type DiskBus = "virtio" | "usb";

export interface PairMode {
  readonly firmware: Firmware;
  readonly disk: DiskBus;
}

/** The VIP of the test pair (test-pair/*​/ha.d/haresources). */
export const VIP = "198.51.100.100";
/** The console password of the test pair (lab only: image/test-pair/<node>/console-password is its hash). */
export const TEST_CONSOLE_PASSWORD = "twinbeat-lab";
/** The guest's management address (network.conf eth0; qemu user-mode network 203.0.113.0/24). */
const GUEST_MGMT = "203.0.113.15";
const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
const OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd";

/**
 * Twinbeat's own status page (status_http in twinbeat.cf, served by the daemon) is checked only when
 * this is on: set TWINBEAT_STATUS_PAGE=1 once the daemon serves it. The busybox page (first-boot
 * and appliance state, /cgi-bin/status) is always checked.
 */
export const STATUS_PAGE_ENABLED = process.env.TWINBEAT_STATUS_PAGE === "1";

export interface HttpAnswer {
  readonly status?: number;
  readonly body?: string;
  readonly error?: string;
}

/** One GET with a hard timeout; never throws. */
export function httpGet(url: string, timeoutMs = 3000): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      req.destroy();
      resolve({ error: `timeout after ${timeoutMs} ms` });
    }, timeoutMs);
    const req = request(url, { agent: false, headers: { connection: "close" } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c.length + body.length < 1 << 20 ? c : ""));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode, body });
      });
      res.on("error", (e) => {
        clearTimeout(timer);
        resolve({ error: e.message });
      });
    });
    req.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ error: e.code ?? e.message });
    });
    req.end();
  });
}

/** A free TCP port on 127.0.0.1 (bound and released; qemu binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** A sleep that does not keep the process alive (for races against an exit). */
const idleSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** Polls until `fn` returns a value (not undefined) or the time is up (then throws with `what`). */
export async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>, everyMs = 500): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface ApplianceStatus {
  readonly state: string;
  readonly node: string;
  readonly daemon: { readonly running: boolean; readonly pid: number | null; readonly starts: number };
  readonly addresses: ReadonlyArray<{ readonly ifname: string; readonly addr_info: ReadonlyArray<{ readonly local: string }> }>;
  readonly uptime_s: number;
  readonly mem_total_kb?: number;
  readonly mem_available_kb?: number;
}

export interface VmOptions {
  readonly name: string;
  readonly image: string;
  readonly workDir: string;
  readonly mode: PairMode;
  /** `listen` on the first VM, `connect` on the second. */
  readonly lan: { readonly listen: number } | { readonly connect: number };
  readonly macIndex: number;
  readonly memoryMb?: number;
  /** A second medium: a USB stick (e.g. a recovery stick), booted first when `bootFirst`. */
  readonly stick?: { readonly image: string; readonly bootFirst: boolean };
}

/** One qemu appliance: its ports, serial log and monitor. */
export class ApplianceVm {
  readonly serialLog: string;
  readonly serialSock: string;
  readonly monitorSock: string;
  proc: ChildProcess | undefined;
  startedAt = 0;
  exitedAt: number | undefined;
  ports = { mgmt: 0, status: 0, vip: 0 };
  #stderr = "";

  constructor(readonly opts: VmOptions) {
    this.serialLog = join(opts.workDir, `${opts.name}.serial.log`);
    this.monitorSock = join(opts.workDir, `${opts.name}.monitor.sock`);
    this.serialSock = join(opts.workDir, `${opts.name}.serial.sock`);
  }

  get urls() {
    return {
      /** The busybox page: first-boot instructions or the appliance's state. */
      page: `http://127.0.0.1:${this.ports.mgmt}/`,
      applianceStatus: `http://127.0.0.1:${this.ports.mgmt}/cgi-bin/status`,
      log: `http://127.0.0.1:${this.ports.mgmt}/cgi-bin/log`,
      /** Twinbeat's own status page (status_http 0.0.0.0:8080 in the test's twinbeat.cf). */
      twinbeatStatus: `http://127.0.0.1:${this.ports.status}/status.json`,
      /** http://VIP/ as seen by this VM's user-mode network: answers only where the VIP is. */
      vip: `http://127.0.0.1:${this.ports.vip}/`,
    };
  }

  argv(): string[] {
    const o = this.opts;
    const mac = (lan: number) => `52:54:00:7b:${lan.toString(16).padStart(2, "0")}:${o.macIndex.toString(16).padStart(2, "0")}`;
    const args = [
      "-name",
      `twinbeat-${o.name}`,
      "-m",
      String(o.memoryMb ?? 256),
      "-smp",
      "1",
      "-display",
      "none",
      "-no-user-config",
      "-nodefaults",
      // The serial console: written to a file, and a socket to type into (the console shell).
      "-chardev",
      `socket,id=ser,path=${this.serialSock},server=on,wait=off,logfile=${this.serialLog}`,
      "-serial",
      "chardev:ser",
      "-monitor",
      `unix:${this.monitorSock},server=on,wait=off`,
      "-vga",
      "none",
      // Management: qemu's user-mode network, restricted (no way out), only the port forwards in.
      "-netdev",
      `user,id=mgmt,net=203.0.113.0/24,host=203.0.113.2,dhcpstart=${GUEST_MGMT},restrict=on,` +
        `hostfwd=tcp:127.0.0.1:${this.ports.mgmt}-${GUEST_MGMT}:80,hostfwd=tcp:127.0.0.1:${this.ports.status}-${GUEST_MGMT}:8080,` +
        `hostfwd=tcp:127.0.0.1:${this.ports.vip}-${VIP}:80`,
      "-device",
      `virtio-net-pci,netdev=mgmt,mac=${mac(1)}`,
      // The pair's LAN: a socket on loopback between the two qemus.
      "-netdev",
      "listen" in o.lan ? `socket,id=lan,listen=127.0.0.1:${o.lan.listen}` : `socket,id=lan,connect=127.0.0.1:${o.lan.connect}`,
      "-device",
      `virtio-net-pci,netdev=lan,mac=${mac(2)}`,
    ];
    if (o.mode.firmware === "uefi") {
      const vars = join(o.workDir, `${o.name}.OVMF_VARS.fd`);
      copyFileSync(OVMF_VARS, vars);
      args.push("-drive", `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`, "-drive", `if=pflash,format=raw,unit=1,file=${vars}`);
    }
    if (o.mode.disk === "usb" || o.stick) args.push("-device", "qemu-xhci,id=xhci");
    const first = o.stick?.bootFirst ? 1 : 0;
    if (o.mode.disk === "usb") {
      args.push("-drive", `if=none,id=disk,format=raw,file=${o.image}`, "-device", `usb-storage,bus=xhci.0,drive=disk,removable=on,bootindex=${first}`);
    } else {
      args.push("-drive", `if=none,id=disk,format=raw,file=${o.image}`, "-device", `virtio-blk-pci,drive=disk,bootindex=${first}`);
    }
    if (o.stick) {
      args.push(
        "-drive",
        `if=none,id=stick,format=raw,file=${o.stick.image}`,
        "-device",
        `usb-storage,bus=xhci.0,drive=stick,removable=on,bootindex=${o.stick.bootFirst ? 0 : 1}`,
      );
    }
    return args;
  }

  async start(): Promise<void> {
    this.ports = { mgmt: await freePort(), status: await freePort(), vip: await freePort() };
    writeFileSync(this.serialLog, "");
    this.startedAt = Date.now();
    const proc = spawn("qemu-system-x86_64", this.argv(), { stdio: ["ignore", "ignore", "pipe"] });
    this.proc = proc;
    proc.stderr?.on("data", (c: Buffer) => (this.#stderr = (this.#stderr + c.toString()).slice(-4000)));
    proc.once("exit", () => (this.exitedAt = Date.now()));
    await sleep(300);
    if (proc.exitCode !== null) throw new Error(`qemu ${this.opts.name} exited at once: ${this.#stderr}`);
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  serial(): string {
    try {
      return readFileSync(this.serialLog, "utf8");
    } catch {
      return "";
    }
  }

  qemuStderr(): string {
    return this.#stderr;
  }

  /** The appliance's state from /cgi-bin/status, or undefined while it does not answer. */
  async status(): Promise<ApplianceStatus | undefined> {
    const r = await httpGet(this.urls.applianceStatus, 4000);
    if (r.status !== 200 || !r.body) return undefined;
    try {
      return JSON.parse(r.body) as ApplianceStatus;
    } catch {
      return undefined;
    }
  }

  /** The node named by the page on the VIP as this VM forwards it, or undefined. */
  async vipServedBy(): Promise<string | undefined> {
    const r = await httpGet(this.urls.vip, 2000);
    const m = r.status === 200 ? /served by (\S+)/.exec(r.body ?? "") : null;
    return m?.[1];
  }

  /**
   * Types lines on the serial console. The first Enter activates the console; when it asks for the
   * console password (test-pair/<node>/console-password is the hash of TEST_CONSOLE_PASSWORD), it is typed first.
   */
  type(lines: readonly string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const sock = createConnection(this.serialSock);
      sock.once("error", reject);
      sock.once("connect", async () => {
        const from = this.serial().length;
        sock.write("\n");
        await sleep(1500);
        // The shell's prompt ends with a cursor-position query (ESC [6n).
        // eslint-disable-next-line no-control-regex
        for (let i = 0; i < 20 && !/Password: $/.test(this.serial().slice(from)) && !/# (\x1b\[6n)?$/.test(this.serial().slice(from)); i++) await sleep(500);
        if (/Password: $/.test(this.serial().slice(from))) {
          sock.write(`${TEST_CONSOLE_PASSWORD}\n`);
          await sleep(1500);
        }
        for (const l of lines) {
          sock.write(`${l}\n`);
          await sleep(500);
        }
        sock.end();
        resolve();
      });
    });
  }

  /** A command for qemu's human monitor (e.g. system_powerdown). */
  monitor(command: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const sock = createConnection(this.monitorSock);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error("monitor timeout"));
      }, 5000);
      sock.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      sock.once("connect", () => {
        sock.write(`${command}\n`);
        setTimeout(() => {
          clearTimeout(timer);
          sock.end();
          resolve();
        }, 500);
      });
    });
  }

  /** SIGKILL by PID (the power cord); resolves when it is gone. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || !this.running) return;
    const gone = new Promise<void>((r) => p.once("exit", () => r()));
    p.kill("SIGKILL");
    await Promise.race([gone, idleSleep(5000)]);
  }

  async waitExit(timeoutMs: number): Promise<boolean> {
    const p = this.proc;
    if (!p || !this.running) return true;
    return Promise.race([new Promise<boolean>((r) => p.once("exit", () => r(true))), idleSleep(timeoutMs).then(() => false)]);
  }
}

/** Addresses of an appliance's status (all interfaces). */
export function addressesOf(s: ApplianceStatus | undefined): string[] {
  return (s?.addresses ?? []).flatMap((i) => i.addr_info.map((a) => a.local));
}

/**
 * A copy of the image with a config written into its config partition via config-partition.sh:
 * `config` is test-pair/<node>, or a directory path; undefined leaves the factory config.
 */
export function prepareImage(repoRoot: string, baseImage: string, config: string | undefined, dest: string): void {
  copyFileSync(baseImage, dest);
  if (config === undefined) return;
  const dir = config.includes("/") ? config : join(repoRoot, "image/test-pair", config);
  const r = spawnSync("bash", [join(repoRoot, "image/config-partition.sh"), "put", dest, dir], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`config-partition.sh put ${config}: ${r.stderr}`);
}

/** Reads a file of the config partition of an image (after the VM is off). */
export function readConfigPartition(repoRoot: string, image: string, outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  const r = spawnSync("bash", [join(repoRoot, "image/config-partition.sh"), "get", image, outDir], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`config-partition.sh get: ${r.stderr}`);
}

/** The newest raw image in dist/ (twinbeat-<version>.img). */
export function findImage(repoRoot: string, version: string): string {
  const img = join(repoRoot, "dist", `twinbeat-${version}.img`);
  if (!existsSync(img)) throw new Error(`${img} missing: run npm run image`);
  return img;
}
