#!/usr/bin/env python3
# Lab-only ICMP injector for the ping captures: answers echo requests to this namespace with copies, forged replies or ICMP errors.
# Usage (inside a lab namespace, as root): icmp-injector.py MODE [OTHER_SOURCE]
#   dup            two echo replies per request, back to back (run with icmp_echo_ignore_all=1): the pinger sees DUP!
#   other-reply    an echo reply whose source is OTHER_SOURCE (IP_HDRINCL), none from us
#   errors         for request k, an ICMP error from this host about it, cycling through
#                  port unreachable, host unreachable, source quench, parameter problem, time exceeded
# Only replies to packets it received; runs until killed. Not used by the tests (they read the captures).
import socket, struct, sys

def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return (~s) & 0xffff

def icmp(t, code, rest, body):
    h = struct.pack("!BBH", t, code, 0) + rest + body
    return h[:2] + struct.pack("!H", csum(h)) + h[4:]

ERRORS = [(3, 3), (3, 1), (4, 0), (12, 0), (11, 0)]
mode = sys.argv[1]
other = sys.argv[2] if len(sys.argv) > 2 else None
rx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
n = 0
while True:
    pkt, addr = rx.recvfrom(65535)
    ihl = (pkt[0] & 15) * 4
    if len(pkt) < ihl + 8 or pkt[ihl] != 8: continue
    src, dst = pkt[12:16], pkt[16:20]
    ident_seq, data = pkt[ihl + 4:ihl + 8], pkt[ihl + 8:]
    if mode == "dup":
        reply = icmp(0, 0, ident_seq, data)
        tx.sendto(reply, (addr[0], 0))
        tx.sendto(reply, (addr[0], 0))
    elif mode == "other-reply":
        body = icmp(0, 0, ident_seq, data)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 0, 0, 64, 1, 0, socket.inet_aton(other), src)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        raw.sendto(ip + body, (addr[0], 0))
    elif mode == "errors":
        t, code = ERRORS[n % len(ERRORS)]
        rest = struct.pack("!I", 20 << 24) if t == 12 else b"\0\0\0\0"
        tx.sendto(icmp(t, code, rest, pkt[:ihl + 8]), (addr[0], 0))
    n += 1
