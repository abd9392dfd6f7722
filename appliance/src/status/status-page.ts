// The status page: a self-contained, server-rendered HTML page (no external assets) that live-updates over SSE when JavaScript runs.

import { renderLinkHistorySection, renderResourceSection } from "./resource-status";
import { createHash } from "node:crypto";
import type { DaemonStatus, StatusGroup, StatusNode } from "./daemon-status";

/** Events shown on the page (the JSON keeps more). */
const PAGE_EVENTS = 25;

const STYLE = `
:root{--bg:#f6f7f9;--card:#fff;--fg:#1d2329;--muted:#5d6875;--line:#dde1e6;--ok:#1a7f37;--okbg:#dafbe1;--bad:#b42318;--badbg:#fee4e2;--warn:#9a6700;--warnbg:#fff8c5;--idle:#57606a;--idlebg:#eaeef2}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--fg:#e6edf3;--muted:#8d96a0;--line:#30363d;--ok:#3fb950;--okbg:#12261e;--bad:#f85149;--badbg:#2d1214;--warn:#d29922;--warnbg:#2b2111;--idle:#8d96a0;--idlebg:#21262d}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
header,main,footer{max-width:980px;margin:0 auto;padding:12px 14px}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:8px 14px}
h1{font-size:1.25rem;margin:0}
h2{font-size:1rem;margin:0 0 8px}
.muted{color:var(--muted)}
.live{font-size:.8rem;padding:1px 8px;border-radius:10px;background:var(--idlebg);color:var(--idle)}
.live.on{background:var(--okbg);color:var(--ok)}
.live.off{background:var(--warnbg);color:var(--warn)}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px;margin:0 0 12px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:12px}
.node{border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.node h3{font-size:1rem;margin:0 0 4px;word-break:break-all}
.badge{display:inline-block;font-size:.8rem;font-weight:600;padding:1px 8px;border-radius:10px;background:var(--idlebg);color:var(--idle)}
.s-active,.s-up,.s-ping,.s-running{background:var(--okbg);color:var(--ok)}
.s-dead,.s-start-failed,.s-stop-failed{background:var(--badbg);color:var(--bad)}
.s-init,.s-starting,.s-stopping,.s-transition{background:var(--warnbg);color:var(--warn)}
table{width:100%;border-collapse:collapse;font-size:.9rem}
th,td{text-align:left;padding:4px 6px;border-top:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}
th{font-weight:600;color:var(--muted);border-top:0}
.events td:first-child{white-space:nowrap}
.lv-warn{color:var(--warn)}.lv-error,.lv-crit{color:var(--bad);font-weight:600}
.summary{font-size:1.05rem}
.vip{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
footer{font-size:.85rem}
@media (max-width:640px){table.stack thead{display:none}table.stack tr{display:block;border-top:1px solid var(--line);padding:4px 0}table.stack td{display:flex;gap:10px;border:0;padding:2px 4px}table.stack td::before{content:attr(data-label);color:var(--muted);font:600 .9rem system-ui,sans-serif;min-width:5.5em;flex:none}}
a{color:inherit}
`;

const SCRIPT = `(function(){
var main=document.getElementById("main"),live=document.getElementById("live"),base=Date.now();
function fmt(ms){if(ms<0)ms=0;if(ms<10000)return (ms/1000).toFixed(1)+" s";if(ms<120000)return Math.round(ms/1000)+" s";if(ms<7200000)return Math.round(ms/60000)+" min";return Math.round(ms/3600000)+" h";}
function tick(){var dt=Date.now()-base,els=document.querySelectorAll("[data-age-ms]");for(var i=0;i<els.length;i++){els[i].textContent=fmt(Number(els[i].getAttribute("data-age-ms"))+dt)+" ago";}}
setInterval(tick,500);
if(!window.EventSource){live.textContent="static: reload to update";return;}
var es=new EventSource("/events");
es.addEventListener("status",function(ev){try{var d=JSON.parse(ev.data);main.innerHTML=d.html;base=Date.now();live.textContent="live";live.className="live on";}catch(e){}});
es.onopen=function(){live.textContent="live";live.className="live on";};
es.onerror=function(){live.textContent="reconnecting\\u2026";live.className="live off";};
})();`;

/** CSP hashes of the one inline style and the one inline script: nothing else may run or load. */
const STYLE_HASH = `sha256-${createHash("sha256").update(STYLE).digest("base64")}`;
const SCRIPT_HASH = `sha256-${createHash("sha256").update(SCRIPT).digest("base64")}`;

/** The Content-Security-Policy the page is served with. */
export const STATUS_PAGE_CSP = `default-src 'none'; style-src '${STYLE_HASH}'; script-src '${SCRIPT_HASH}'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

/** The whole page: head, the live-updated <main>, and the script. */
export function renderStatusPage(status: DaemonStatus): string {
  return (
    "<!doctype html>\n" +
    `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>Twinbeat · ${esc(status.localNode)}</title><link rel="icon" href="data:,">` +
    `<noscript><meta http-equiv="refresh" content="5"></noscript>` +
    `<style>${STYLE}</style></head><body>` +
    `<header><h1>Twinbeat · ${esc(status.localNode)}</h1><span id="live" class="live">refresh 5 s</span>` +
    `<span class="muted">${esc(status.version)}</span></header>` +
    `<main id="main">${renderStatusMain(status)}</main>` +
    `<footer class="muted">Machine-readable: <a href="/status.json">/status.json</a> · <a href="/metrics">/metrics</a>` +
    `<noscript> · JavaScript is off: this page reloads every 5 s.</noscript></footer>` +
    `<script>${SCRIPT}</script></body></html>\n`
  );
}

/** The part of the page that live updates replace (sent as `html` in each SSE event). */
export function renderStatusMain(s: DaemonStatus): string {
  const normal = s.nodes.filter((n) => n.type === "normal");
  const ping = s.nodes.filter((n) => n.type === "ping");
  const holding = s.groups.filter((g) => g.heldHere).length;
  let h = "";
  h += `<section class="summary" id="summary" data-local-status="${esc(s.localStatus)}" data-rsc="${esc(s.rscStatus)}">`;
  h += `<strong>${esc(s.localNode)}</strong> is <span class="badge s-${cls(s.localStatus)}">${esc(s.localStatus)}</span>`;
  h += s.groups.length > 0 ? ` and runs ${holding} of ${s.groups.length} resource group${s.groups.length === 1 ? "" : "s"}` : "";
  h += ` <span class="muted">(rscstatus <span class="badge s-${cls(s.rscStatus)}">${esc(s.rscStatus)}</span>)</span>`;
  h += `<div class="muted">Updated ${clock(s.generatedAt)} · up ${duration(s.uptimeMs)} · keepalive ${s.timing.keepaliveMs} ms, deadtime ${s.timing.deadtimeMs} ms · auto_failback ${esc(s.autoFailback)}</div>`;
  h += `</section>`;

  h += `<section id="nodes"><h2>Nodes</h2><div class="grid">${normal.map(renderNode).join("")}</div></section>`;

  h += `<section id="groups"><h2>Resource groups</h2>`;
  if (s.groups.length === 0) h += `<p class="muted">No resource groups (haresources is empty).</p>`;
  else {
    h += `<table class="stack"><thead><tr><th>Group</th><th>Addresses</th><th>Home</th><th>Held by</th><th>Here</th></tr></thead><tbody>`;
    for (const g of s.groups) h += renderGroup(g);
    h += `</tbody></table>`;
  }
  h += `</section>`;
  h += renderResourceSection(s.resources ?? [], esc);
  h += renderLinkHistorySection(s.nodes, s.timing.warntimeMs, esc);

  const f = s.failovers.last;
  if (f) {
    h += `<section id="failover" data-from="${esc(f.from)}" data-to="${esc(f.to)}" data-duration-ms="${f.durationMs}"><h2>Last failover</h2>`;
    h += `<p><strong>${esc(f.from)}</strong> → <strong>${esc(f.to)}</strong> at <time datetime="${esc(f.at)}">${clock(f.at)}</time>: `;
    h += `${f.cause === "shutdone" ? "the peer stopped cleanly" : f.cause === "deadtime" ? "the peer's heartbeats stopped" : "the peer went away"}; `;
    h += `its groups ran here <strong>${f.durationMs} ms</strong> after it was declared dead`;
    h += f.failedGroups.length > 0 ? `, but ${esc(f.failedGroups.join(", "))} failed to start` : "";
    h += `.</p><p class="muted">${s.failovers.total} takeover${s.failovers.total === 1 ? "" : "s"} since this daemon started.</p></section>`;
  } else {
    h += `<section id="failover"><h2>Last failover</h2><p class="muted">No takeover since this daemon started.</p></section>`;
  }

  if (ping.length > 0) {
    h += `<section id="ping"><h2>Ping nodes</h2><table><thead><tr><th>Ping node</th><th>Status</th><th>Last answer</th></tr></thead><tbody>`;
    for (const p of ping) {
      h += `<tr data-node="${esc(p.name)}" data-status="${esc(p.status)}"><td>${esc(p.name)}${p.hosts.length > 1 || (p.hosts[0] ?? p.name) !== p.name ? ` <span class="muted">(${esc(p.hosts.join(", "))})</span>` : ""}</td>`;
      h += `<td><span class="badge s-${cls(p.status)}">${esc(p.status)}</span>${p.monitored ? "" : ` <span class="muted">not probed by Twinbeat yet</span>`}</td><td>${age(p.lastHeardAgoMs)}</td></tr>`;
    }
    h += `</tbody></table></section>`;
  }

  const c = s.counters;
  h += `<section id="counters"><h2>Heartbeats</h2><table><tbody>`;
  h += `<tr><td>sent</td><td>${num(c.heartbeatsSent)}</td><td>received</td><td>${num(c.heartbeatsReceived)}</td></tr>`;
  h += `<tr><td>late</td><td>${num(c.lateHeartbeats)}</td><td>rejected</td><td>${num(c.rejected)}</td></tr>`;
  h += `<tr><td>duplicates</td><td>${num(c.duplicates)}</td><td>replays</td><td>${num(c.replays)}</td></tr>`;
  h += `</tbody></table></section>`;

  const events = s.events.slice(-PAGE_EVENTS).reverse();
  h += `<section id="events"><h2>Recent events</h2>`;
  if (events.length === 0) h += `<p class="muted">Nothing logged yet.</p>`;
  else {
    h += `<table class="events"><tbody>`;
    for (const e of events)
      h += `<tr class="lv-${cls(e.level)}"><td><time datetime="${esc(e.at)}">${clock(e.at)}</time></td><td>${esc(e.level)}</td><td>${esc(e.text)}</td></tr>`;
    h += `</tbody></table>`;
  }
  h += `</section>`;

  h += renderAppliance(s);
  return h;
}

function renderNode(n: StatusNode): string {
  let h = `<article class="node" data-node="${esc(n.name)}" data-status="${esc(n.status)}" data-local="${n.local}">`;
  h += `<h3>${esc(n.name)} <span class="muted">${n.local ? "(this node)" : "(peer)"}</span></h3>`;
  h += `<span class="badge s-${cls(n.status)}">${esc(n.status)}</span>`;
  if (!n.local) h += ` <span class="muted">last heartbeat ${age(n.lastHeardAgoMs)}</span>`;
  if (n.links.length > 0) {
    h += `<table><thead><tr><th>Link</th><th>Status</th><th>Last heard</th></tr></thead><tbody>`;
    for (const l of n.links) {
      h += `<tr data-link="${esc(l.name)}" data-status="${esc(l.status)}"><td>${esc(l.name)}</td><td><span class="badge s-${cls(l.status === "init" ? "init" : l.status === "up" ? "up" : "dead")}">${esc(l.status === "init" ? "never heard" : l.status)}</span></td>`;
      h += `<td>${n.local ? `<span class="muted">local</span>` : age(l.lastHeardAgoMs)}</td></tr>`;
    }
    h += `</tbody></table>`;
  }
  return h + `</article>`;
}

function renderGroup(g: StatusGroup): string {
  const holder =
    g.holder === null
      ? `<span class="badge s-dead">nobody</span>`
      : `<strong>${esc(g.holder)}</strong>${g.holderSource === "inferred" ? ` <span class="muted">(peer, inferred)</span>` : ""}`;
  return (
    `<tr data-group="${esc(g.key)}" data-holder="${esc(g.holder ?? "")}" data-state="${esc(g.state)}">` +
    `<td data-label="Group">${esc(g.resources.join(" "))}</td><td data-label="Addresses" class="vip">${esc(g.addresses.join(", ")) || `<span class="muted">-</span>`}</td>` +
    `<td data-label="Home">${esc(g.homeNode)}</td><td data-label="Held by">${holder}</td><td data-label="Here"><span class="badge s-${cls(g.state)}">${esc(g.state)}</span></td></tr>`
  );
}

function renderAppliance(s: DaemonStatus): string {
  const a = s.appliance;
  let h = `<section id="appliance"><h2>Appliance</h2>`;
  if (!a) return h + `<p class="muted">Not sampled yet.</p></section>`;
  const gb = (b: number) => `${(b / 1024 ** 3).toFixed(1)} GiB`;
  h += `<p>${esc(a.hostname)} · up ${duration(a.uptimeSeconds * 1000)} · load ${a.loadavg.map((x) => x.toFixed(2)).join(" ")} · memory ${gb(a.memory.availableBytes)} free of ${gb(a.memory.totalBytes)} · pid ${s.pid}</p>`;
  if (a.interfaces.length > 0) {
    h += `<table><thead><tr><th>Interface</th><th>Link</th><th>Addresses</th></tr></thead><tbody>`;
    for (const i of a.interfaces) {
      const state = i.operstate === "up" ? "up" : i.operstate === "down" || i.operstate === "lowerlayerdown" ? "dead" : "init";
      h += `<tr data-if="${esc(i.name)}"><td>${esc(i.name)}</td><td><span class="badge s-${state}">${esc(i.operstate)}</span></td>`;
      h += `<td class="vip">${esc(i.addresses.map((x) => (x.prefixLength === null ? x.address : `${x.address}/${x.prefixLength}`)).join(", ")) || `<span class="muted">-</span>`}</td></tr>`;
    }
    h += `</tbody></table>`;
  }
  return h + `<p class="muted">Sampled ${clock(a.sampledAt)}.</p></section>`;
}

/** Same words as the page's script, so a live update does not change how an age reads. */
export function formatAge(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

function age(ms: number | null): string {
  return ms === null ? `<span class="muted">never</span>` : `<span data-age-ms="${ms}">${formatAge(ms)} ago</span>`;
}

function duration(ms: number | null): string {
  if (ms === null) return "?";
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min`;
  if (s < 172_800) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** HH:MM:SS in the appliance's local time. */
function clock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return esc(iso);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function num(n: number | undefined): string {
  return String(n ?? 0);
}

/** A status word as a CSS class suffix (letters, digits and dashes only). */
function cls(word: string): string {
  return word.replace(/[^a-z0-9-]/gi, "");
}

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;"));
}
