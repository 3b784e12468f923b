#!/usr/bin/env python3
"""Known live traffic for capture tests: send it, then check a capture of it.

Every frame is a pure function of (seed, run id, sequence number), so a
capture can be compared byte for byte with what was sent, in any order.

  livetraffic.py send -i IFACE -m MANIFEST [-n COUNT] [--seed S] [--run-id ID]
                 [--min-size 60] [--max-size 1514] [--vlan 0.2] [--qinq 0.1]
                 [--ipv4 0.5] [--bcast 0.25] [--pps RATE]
                 [--cpu N | --spread CPU,CPU...] [--qdisc] [--dry-run] [-q]
  livetraffic.py check -m MANIFEST [-m MANIFEST...] [--snaplen N]
                 [--allow-missing] [--monotonic] [--in-order] [--json OUT]
                 [--max-report K] FILE...
  livetraffic.py expect -m MANIFEST -o OUT.pcap
  livetraffic.py isb FILE...

send: COUNT frames (default 1000) through an AF_PACKET SOCK_RAW socket bound
to IFACE (run it inside the sender's namespace), then writes MANIFEST (JSON:
run id, seed, count, the generator's parameters, which sender sent which
sequence numbers, what was sent, how fast).  Sizes (whole frame, no FCS) are
spread over MIN..MAX: 1/8 exactly MIN, 1/8 exactly MAX, 1/4 in MIN..127, 1/4
in MIN..1514, 1/4 in MIN..MAX (jumbo frames only when MAX > 1514: give the
veth that MTU).  A share of frames carry an 802.1Q tag (--vlan), or an
802.1ad outer tag 0x88a8 plus an 802.1Q inner one (--qinq); a share are
IPv4/UDP (--ipv4; 198.18.0.0/15 addresses, many ports, so that a flow hash
spreads them), the others EtherType 0x88b5 (local experimental).  The
destination is ff:ff:ff:ff:ff:ff (--bcast share) or 02:cb:00:00:00:02 (locally
administered unicast); the source 02:cb:00:00:00:01.  The payload starts
with the 20-byte marker  "capLIVE1" | run id (4 bytes) | sequence (8 bytes),
big endian, followed by filler (random or repetitive, from the seed).
  --pps RATE        pace to RATE frames/s in total (default: as fast as it goes)
  --cpu N           pin to CPU N.  The socket bypasses the qdisc (unless
                    --qdisc), so the kernel picks TX queue N mod the number of
                    queues, and on a veth that is the peer's RX queue
  --spread 0,1      one sending process per CPU listed, each pinned, each
                    sending a contiguous share of the sequence numbers
                    (process k: the k-th block), concurrently
  --qdisc           go through the qdisc path (TX queue by flow hash)
  --dry-run         write the manifest, send nothing (for offline checks)
Exit status 0 when every frame was handed to the kernel.  The kernel may
still drop frames silently (compare the veth counters: netns.sh ns_ifstats).

check: reads each FILE (pcap or pcapng, plain or zstd-compressed: .zst and
.zst.part go through "zstd -dc"; "-" is stdin), picks out the frames that
carry the marker with a manifest's run id and ignores all others (counted
as foreign), and verifies that every expected frame is there exactly once,
byte for byte, and nothing else of the run: missing, duplicated, modified
(the first K are shown with a hex context around the first differing byte)
and unknown sequence numbers are failures.
  --snaplen N       frames are expected cut to N bytes (original length kept)
  --allow-missing   missing frames are reported but are no failure (lossy runs)
  --monotonic       timestamps must not go backwards within each file
  --in-order        within each file, each sender's frames in sequence order
  --json OUT        also write the full result as JSON: totals, first missing
                    numbers, per run the frames found per sender, per file
                    packets, ours, foreign, timestamps backwards, frames per
                    sender, 802.1Q-tagged (vlan) and QinQ (qinq) frames and the
                    longest original length (max_len) of the run frames in it
Prints one summary line "check: OK ..." or "check: FAIL ..." last; exit 0
when OK, 1 on a failed check, 2 on a usage error or when a file could not be
read to its end (its frames up to there are still checked and reported).

expect: the expected frames in sequence order as a nanosecond pcap (packet
i stamped i ns after the epoch), e.g. to test the checker without a network.

isb: the Interface Statistics Blocks of pcapng files (zstd-compressed ones
too) as JSON: per file, its interfaces (link type, snaplen, name, packets
counted in the file; "id" is the interface id within its "section") and
its ISBs (timestamp_ns, isb_starttime, isb_endtime
in ns, converted with the interface's if_tsresol as the pcapng spec says;
dumpcap 4.0 writes them in microseconds whatever its if_tsresol, so its
values come out 1000 times too small;
isb_ifrecv, isb_ifdrop, isb_filteraccept, isb_osdrop, isb_usrdeliv as found);
"totals" sums over the files the last ISB of each interface (of each
section), and the packets.

Python 3 standard library only.
"""

import argparse
import errno
import hashlib
import json
import os
import random
import socket
import struct
import subprocess
import sys
import time

MAGIC = b"capLIVE1"
MARK_LEN = 20                   # magic, run id, sequence
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
ETH_P_IP = 0x0800
ETH_P_LOCAL = 0x88B5
DST_UNICAST = bytes.fromhex("02cb00000002")
DST_BCAST = b"\xff" * 6
SRC = bytes.fromhex("02cb00000001")
SOL_PACKET = 263
PACKET_QDISC_BYPASS = 20
POOL_LEN = 1 << 16
MAX_FRAME = 65535


def die(msg, code=2):
    sys.stderr.write("livetraffic: %s\n" % msg)
    sys.exit(code)


def csum16(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Gen:
    """The frame of sequence number s, from the manifest's parameters."""

    def __init__(self, p):
        self.p = p
        self.seed = int(p["seed"])
        self.run_id = int(p["run_id"])
        self.min = int(p["min_size"])
        self.max = int(p["max_size"])
        self.vlan = float(p["vlan"])
        self.qinq = float(p["qinq"])
        self.ipv4 = float(p["ipv4"])
        self.bcast = float(p["bcast"])
        if not 60 <= self.min <= self.max <= MAX_FRAME:
            die("sizes must satisfy 60 <= min-size <= max-size <= %d" % MAX_FRAME)
        rnd = random.Random(self.seed)
        self.pool = rnd.randbytes(POOL_LEN + self.max)
        text = b"captured live capture test traffic, run %08x; " % self.run_id
        self.text = (text * ((POOL_LEN + self.max) // len(text) + 1))
        self.mark = MAGIC + struct.pack(">I", self.run_id)
        self.key = struct.pack(">QI", self.seed & (2**64 - 1), self.run_id)

    def size_of(self, h):
        cls = h[10]
        r = int.from_bytes(h[11:15], "big")
        lo, hi = self.min, self.max
        if cls < 32:
            return lo
        if cls < 64:
            return hi
        if cls < 128:
            top = min(127, hi)
        elif cls < 192:
            top = min(1514, hi)
        else:
            top = hi
        if top < lo:
            top = lo
        return lo + r % (top - lo + 1)

    def frame(self, seq, layout=None):
        """Bytes of frame seq.  With a list as layout, appends (offset, name)
        for each part, for error messages."""
        h = hashlib.blake2b(self.key + struct.pack(">Q", seq), digest_size=32).digest()
        size = self.size_of(h)
        u_tag = int.from_bytes(h[0:2], "big") / 65536.0
        u_ip = int.from_bytes(h[2:4], "big") / 65536.0
        dst = DST_BCAST if h[4] / 256.0 < self.bcast else DST_UNICAST
        parts = [dst, SRC]
        names = [(0, "destination MAC"), (6, "source MAC")]
        off = 12
        if u_tag < self.qinq:
            tci_o = ((h[7] >> 5) << 13) | (1 + int.from_bytes(h[5:7], "big") % 4094)
            tci_i = ((h[7] & 7) << 13) | (1 + int.from_bytes(h[8:10], "big") % 4094)
            parts.append(struct.pack("!HHHH", ETH_P_8021AD, tci_o, ETH_P_8021Q, tci_i))
            names += [(off, "802.1ad outer tag"), (off + 4, "802.1Q inner tag")]
            off += 8
        elif u_tag < self.qinq + self.vlan:
            tci = ((h[7] >> 5) << 13) | (1 + int.from_bytes(h[5:7], "big") % 4094)
            parts.append(struct.pack("!HH", ETH_P_8021Q, tci))
            names.append((off, "802.1Q tag"))
            off += 4
        use_ip = u_ip < self.ipv4 and size >= off + 2 + 28 + MARK_LEN
        if use_ip:
            iplen = size - off - 2
            src = bytes((198, 18 | (h[15] & 1), h[16], h[17]))
            dsta = bytes((198, 18 | (h[15] >> 1 & 1), h[18], h[19]))
            iph = struct.pack("!BBHHHBBH4s4s", 0x45, h[20] & 0xFC, iplen, seq & 0xFFFF, 0x4000,
                              64, 17, 0, src, dsta)
            iph = iph[:10] + struct.pack("!H", csum16(iph)) + iph[12:]
            # Dynamic ports only: fewer dissectors claim them in Wireshark.
            sport = 49152 + int.from_bytes(h[21:23], "big") % 16384
            dport = 49152 + int.from_bytes(h[23:25], "big") % 16384
            udp = struct.pack("!HHHH", sport, dport, iplen - 20, 0)
            parts += [struct.pack("!H", ETH_P_IP), iph, udp]
            names += [(off, "EtherType"), (off + 2, "IPv4 header"), (off + 22, "UDP header")]
            off += 30
        else:
            parts.append(struct.pack("!H", ETH_P_LOCAL))
            names.append((off, "EtherType"))
            off += 2
        parts += [self.mark, struct.pack(">Q", seq)]
        names += [(off, "marker magic/run id"), (off + 12, "marker sequence number")]
        off += MARK_LEN
        n = size - off
        start = int.from_bytes(h[25:29], "big") % POOL_LEN
        src_buf = self.pool if h[29] < 128 else self.text
        parts.append(src_buf[start:start + n])
        names.append((off, "filler"))
        if layout is not None:
            layout.extend(names)
        return b"".join(parts)


def params_from_args(a, run_id):
    return {"seed": a.seed, "run_id": run_id, "min_size": a.min_size, "max_size": a.max_size,
            "vlan": a.vlan, "qinq": a.qinq, "ipv4": a.ipv4, "bcast": a.bcast}


# ---------------------------------------------------------------- send

def send_block(iface, gen, first, count, pps, cpu, bypass, out_fd=None):
    """Sends frames first..first+count-1; returns a result dict."""
    if cpu is not None:
        try:
            os.sched_setaffinity(0, {cpu})
        except OSError as e:
            die("cannot pin to CPU %d: %s" % (cpu, e))
    try:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    except PermissionError:
        die("AF_PACKET needs root (CAP_NET_RAW)")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    if bypass:
        s.setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)
    try:
        s.bind((iface, 0))
    except OSError as e:
        die("cannot bind to interface %r: %s (run this in the namespace that has it)" % (iface, e))
    send = s.send
    frame = gen.frame
    retries = 0
    nbytes = 0
    t0 = time.monotonic()
    for i in range(count):
        seq = first + i
        fr = frame(seq)
        tries = 0
        while True:
            try:
                send(fr)
                break
            except OSError as e:
                if e.errno in (errno.ENOBUFS, errno.EAGAIN):
                    retries += 1
                    tries += 1
                    if tries > 20000:
                        die("interface %s refuses frames (ENOBUFS for 4 s) at sequence %d" % (iface, seq))
                    time.sleep(0.0002)
                    continue
                if e.errno == errno.EMSGSIZE:
                    die("frame %d (%d bytes) is too big for %s: raise its MTU (--max-size %d)"
                        % (seq, len(fr), iface, gen.max))
                if e.errno == errno.ENETDOWN:
                    die("interface %s is down" % iface)
                raise
        nbytes += len(fr)
        if pps:
            ahead = t0 + (i + 1) / pps - time.monotonic()
            if ahead > 0.001:
                time.sleep(ahead)
    t1 = time.monotonic()
    s.close()
    return {"cpu": cpu, "first": first, "count": count, "sent": count, "bytes": nbytes,
            "enobufs_retries": retries, "seconds": round(t1 - t0, 6)}


def cmd_send(a):
    if a.count < 0:
        die("-n must be >= 0")
    run_id = a.run_id if a.run_id is not None else int.from_bytes(os.urandom(4), "big")
    params = params_from_args(a, run_id)
    gen = Gen(params)
    if a.cpu is not None and a.spread:
        die("--cpu and --spread exclude each other")
    cpus = [a.cpu] if a.cpu is not None else [None]
    if a.spread:
        try:
            cpus = [int(x) for x in a.spread.split(",")]
        except ValueError:
            die("--spread wants CPU numbers like 0,1")
    ncpu = os.cpu_count() or 1
    for c in cpus:
        if c is not None and not 0 <= c < ncpu:
            die("CPU %d does not exist (%d CPUs)" % (c, ncpu))
    bypass = not a.qdisc
    n = len(cpus)
    blocks = []
    for k, c in enumerate(cpus):
        lo = a.count * k // n
        hi = a.count * (k + 1) // n
        blocks.append((c, lo, hi - lo))
    t0 = time.time()
    results = []
    if a.dry_run:
        results = [{"cpu": c, "first": f, "count": cnt, "sent": 0} for c, f, cnt in blocks]
    elif n == 1:
        c, f, cnt = blocks[0]
        results.append(send_block(a.interface, gen, f, cnt, a.pps, c, bypass))
    else:
        kids = []
        for c, f, cnt in blocks:
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                code = 0
                try:
                    res = send_block(a.interface, gen, f, cnt, a.pps / n if a.pps else 0, c, bypass)
                    os.write(w, json.dumps(res).encode())
                except SystemExit as e:
                    code = e.code if isinstance(e.code, int) else 2
                except BaseException as e:  # report, never return into the parent's code
                    sys.stderr.write("livetraffic: sender on CPU %s: %r\n" % (c, e))
                    code = 2
                os._exit(code)
            os.close(w)
            kids.append((pid, r, c))
        bad = 0
        for pid, r, c in kids:
            data = b""
            while True:
                chunk = os.read(r, 65536)
                if not chunk:
                    break
                data += chunk
            os.close(r)
            _, st = os.waitpid(pid, 0)
            if st != 0 or not data:
                bad += 1
                sys.stderr.write("livetraffic: sender on CPU %s failed (wait status %d)\n" % (c, st))
            else:
                results.append(json.loads(data))
        if bad:
            die("%d of %d senders failed" % (bad, n))
    t1 = time.time()
    sent = sum(r["sent"] for r in results)
    secs = max([r.get("seconds", 0) for r in results] + [0])
    man = {"tool": "livetraffic", "version": 1, "magic": MAGIC.decode(), "count": a.count,
           "interface": a.interface, "qdisc_bypass": bypass, "pps_asked": a.pps,
           "dry_run": a.dry_run, "start_unix": round(t0, 6), "end_unix": round(t1, 6),
           "sent": sent, "seconds": secs,
           "rate_pps": round(sent / secs, 1) if secs else None,
           "senders": results}
    man.update(params)
    tmp = a.manifest + ".tmp"
    with open(tmp, "w") as f:
        json.dump(man, f, indent=1)
        f.write("\n")
    os.replace(tmp, a.manifest)
    if not a.quiet:
        retr = sum(r.get("enobufs_retries", 0) for r in results)
        print("send: %d frames (run %08x, seed %d) on %s from %s in %.3f s (%s frames/s)%s"
              % (sent, run_id, a.seed, a.interface,
                 "CPUs " + ",".join(str(c) for c in cpus) if cpus != [None] else "any CPU",
                 secs, "%.0f" % (sent / secs) if secs else "-",
                 ", %d ENOBUFS retries" % retr if retr else "") if not a.dry_run else
              "send: dry run: manifest for %d frames (run %08x, seed %d)" % (a.count, run_id, a.seed))
    return 0


# ---------------------------------------------------------------- reading captures

class ReadError(Exception):
    pass


class Capture:
    """Iterates over a pcap or pcapng file (zstd-compressed ones through
    zstd -dc).  Yields ("pkt", ifid, ts_ns, caplen, origlen, data),
    ("idb", ifid, info) and ("isb", ifid, {name: value})."""

    def __init__(self, path):
        self.path = path
        self.proc = None
        if path == "-":
            self.f = sys.stdin.buffer
        elif path.endswith(".zst") or path.endswith(".zst.part"):
            try:
                self.proc = subprocess.Popen(["zstd", "-q", "-dc", "--", path], stdout=subprocess.PIPE,
                                             stderr=subprocess.PIPE)
            except FileNotFoundError:
                raise ReadError("%s: needs zstd to decompress" % path)
            self.f = self.proc.stdout
        else:
            try:
                self.f = open(path, "rb", buffering=1 << 20)
            except OSError as e:
                raise ReadError("%s: %s" % (path, e.strerror))
        self.kind = None
        self.linktypes = {}

    def close(self):
        if self.proc:
            self.f.close()
            err = self.proc.stderr.read().decode(errors="replace").strip()
            rc = self.proc.wait()
            self.proc = None
            if rc != 0:
                raise ReadError("%s: zstd -d failed: %s" % (self.path, err or "exit %d" % rc))
        elif self.f is not sys.stdin.buffer:
            self.f.close()

    def read(self, n):
        b = self.f.read(n)
        if len(b) != n:
            raise ReadError("%s: truncated (wanted %d bytes, got %d)" % (self.path, n, len(b)))
        return b

    def __iter__(self):
        head = self.f.read(4)
        if len(head) == 0:
            raise ReadError("%s: empty file" % self.path)
        if head == b"\x0a\x0d\x0d\x0a":
            self.kind = "pcapng"
            return self._pcapng(head)
        self.kind = "pcap"
        return self._pcap(head)

    def _pcap(self, magic):
        m = {b"\xd4\xc3\xb2\xa1": ("<", 1000), b"\xa1\xb2\xc3\xd4": (">", 1000),
             b"\x4d\x3c\xb2\xa1": ("<", 1), b"\xa1\xb2\x3c\x4d": (">", 1)}.get(magic)
        if m is None:
            raise ReadError("%s: neither pcap nor pcapng (starts with %s)" % (self.path, magic.hex()))
        e, mult = m
        rest = self.read(20)
        _, _, _, _, snaplen, link = struct.unpack(e + "HHiIII", rest)
        self.linktypes[0] = link & 0x0FFFFFFF
        yield ("idb", 0, {"linktype": link & 0x0FFFFFFF, "snaplen": snaplen})
        hdr = struct.Struct(e + "IIII")
        f = self.f
        while True:
            h = f.read(16)
            if not h:
                return
            if len(h) != 16:
                raise ReadError("%s: truncated record header" % self.path)
            sec, frac, cap, orig = hdr.unpack(h)
            data = self.read(cap)
            yield ("pkt", 0, sec * 1000000000 + frac * mult, cap, orig, data)

    def _pcapng(self, first):
        e = "<"
        f = self.f
        ifs = []            # per interface: (tsresol kind, value, offset s)
        btype_b = first
        while True:
            if btype_b is None:
                btype_b = f.read(4)
                if not btype_b:
                    return
                if len(btype_b) != 4:
                    raise ReadError("%s: truncated block header" % self.path)
            if btype_b == b"\x0a\x0d\x0d\x0a":
                lenb = self.read(4)
                bom = self.read(4)
                if bom == b"\x4d\x3c\x2b\x1a":
                    e = "<"
                elif bom == b"\x1a\x2b\x3c\x4d":
                    e = ">"
                else:
                    raise ReadError("%s: bad pcapng byte-order magic %s" % (self.path, bom.hex()))
                blen = struct.unpack(e + "I", lenb)[0]
                if blen < 28 or blen % 4:
                    raise ReadError("%s: bad SHB length %d" % (self.path, blen))
                self.read(blen - 12)
                ifs = []      # a new section: new interfaces
                btype_b = None
                yield ("shb", None, None)
                continue
            btype = struct.unpack(e + "I", btype_b)[0]
            blen = struct.unpack(e + "I", self.read(4))[0]
            if blen < 12 or blen % 4:
                raise ReadError("%s: bad block length %d (type 0x%x)" % (self.path, blen, btype))
            body = self.read(blen - 8)
            if struct.unpack(e + "I", body[-4:])[0] != blen:
                raise ReadError("%s: block lengths disagree (type 0x%x)" % (self.path, btype))
            body = body[:-4]
            btype_b = None
            if btype == 1:                                     # IDB
                link, _, snap = struct.unpack(e + "HHI", body[:8])
                info = {"linktype": link, "snaplen": snap}
                res = ("dec", 6)
                tsoff = 0
                for code, val in self._opts(body[8:], e):
                    if code == 9 and val:
                        res = ("bin", val[0] & 0x7F) if val[0] & 0x80 else ("dec", val[0])
                    elif code == 14 and len(val) == 8:
                        tsoff = struct.unpack(e + "q", val)[0]
                    elif code == 2:
                        info["name"] = val.decode(errors="replace")
                info["tsresol"] = ("2^-%d" if res[0] == "bin" else "10^-%d") % res[1]
                ifs.append((res, tsoff))
                self.linktypes[len(ifs) - 1] = link
                yield ("idb", len(ifs) - 1, info)
            elif btype == 6:                                   # EPB
                ifid, hi, lo, cap, orig = struct.unpack(e + "IIIII", body[:20])
                if ifid >= len(ifs):
                    raise ReadError("%s: packet for undefined interface %d" % (self.path, ifid))
                if 20 + cap > len(body):
                    raise ReadError("%s: EPB captured length %d exceeds its block" % (self.path, cap))
                yield ("pkt", ifid, self._ns(ifs[ifid], (hi << 32) | lo), cap, orig, body[20:20 + cap])
            elif btype == 3:                                   # SPB
                if not ifs:
                    raise ReadError("%s: SPB before any IDB" % self.path)
                orig = struct.unpack(e + "I", body[:4])[0]
                cap = min(orig, len(body) - 4)
                yield ("pkt", 0, None, cap, orig, body[4:4 + cap])
            elif btype == 2:                                   # obsolete packet block
                ifid, _, hi, lo, cap, orig = struct.unpack(e + "HHIIII", body[:20])
                if ifid >= len(ifs):
                    raise ReadError("%s: packet for undefined interface %d" % (self.path, ifid))
                yield ("pkt", ifid, self._ns(ifs[ifid], (hi << 32) | lo), cap, orig, body[20:20 + cap])
            elif btype == 5:                                   # ISB
                ifid, hi, lo = struct.unpack(e + "III", body[:12])
                st = {}
                iface = ifs[ifid] if ifid < len(ifs) else (("dec", 6), 0)
                st["timestamp_ns"] = self._ns(iface, (hi << 32) | lo)
                names = {4: "isb_ifrecv", 5: "isb_ifdrop", 6: "isb_filteraccept", 7: "isb_osdrop",
                         8: "isb_usrdeliv"}
                for code, val in self._opts(body[12:], e):
                    if code in (2, 3) and len(val) == 8:
                        h2, l2 = struct.unpack(e + "II", val)
                        st["isb_starttime" if code == 2 else "isb_endtime"] = self._ns(iface, (h2 << 32) | l2)
                    elif code in names and len(val) == 8:
                        st[names[code]] = struct.unpack(e + "Q", val)[0]
                yield ("isb", ifid, st)

    @staticmethod
    def _opts(b, e):
        off = 0
        while off + 4 <= len(b):
            code, ln = struct.unpack(e + "HH", b[off:off + 4])
            if code == 0:
                return
            yield code, b[off + 4:off + 4 + ln]
            off += 4 + ((ln + 3) & ~3)

    @staticmethod
    def _ns(iface, t):
        (kind, v), off = iface
        if kind == "dec":
            ns = t * 10 ** (9 - v) if v <= 9 else t // 10 ** (v - 9)
        else:
            ns = (t * 1000000000) >> v
        return ns + off * 1000000000


# ---------------------------------------------------------------- check

def hexctx(b, at, width=16):
    lo = max(0, at - width)
    hi = min(len(b), at + width)
    return "%s[%s]%s" % (b[lo:at].hex(), b[at:at + 1].hex() or "--", b[at + 1:hi].hex())


def describe_diff(gen, seq, got, orig, snaplen, fname, idx):
    layout = []
    want = gen.frame(seq, layout)
    want_cap = want[:snaplen] if snaplen else want
    lines = ["seq %d (%s, packet #%d):" % (seq, fname, idx)]
    if orig != len(want):
        lines.append("  original length %d, expected %d" % (orig, len(want)))
    if len(got) != len(want_cap):
        lines.append("  captured length %d, expected %d" % (len(got), len(want_cap)))
    at = None
    for i in range(min(len(got), len(want_cap))):
        if got[i] != want_cap[i]:
            at = i
            break
    if at is None and len(got) != len(want_cap):
        at = min(len(got), len(want_cap))
    if at is not None:
        part = "?"
        for o, name in layout:
            if o <= at:
                part = name
        ndiff = sum(1 for x, y in zip(got, want_cap) if x != y) + abs(len(got) - len(want_cap))
        lines.append("  first difference at byte %d (%s), %d byte(s) differ" % (at, part, ndiff))
        lines.append("  expected %s" % hexctx(want_cap, at))
        lines.append("  captured %s" % hexctx(got, at))
    return "\n".join(lines)


def load_manifest(path):
    try:
        with open(path) as f:
            m = json.load(f)
    except (OSError, ValueError) as e:
        die("cannot read manifest %s: %s" % (path, e))
    if m.get("tool") != "livetraffic" or m.get("magic") != MAGIC.decode():
        die("%s is not a livetraffic manifest" % path)
    return m


def first_ranges(nums, k):
    """'a-b, c, ...' for the first k ranges of a sorted list."""
    out = []
    i = 0
    while i < len(nums) and len(out) < k:
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[i]) if i == j else "%d-%d" % (nums[i], nums[j]))
        i = j + 1
    if i < len(nums):
        out.append("...")
    return ", ".join(out)


def cmd_check(a):
    runs = {}
    for mp in a.manifest:
        m = load_manifest(mp)
        rid = int(m["run_id"])
        if rid in runs:
            die("two manifests with run id %08x" % rid)
        senders = sorted((int(s["first"]), int(s["count"]), k) for k, s in enumerate(m["senders"]))
        runs[rid] = {"m": m, "gen": Gen(m), "count": int(m["count"]),
                     "seen": bytearray(int(m["count"])), "senders": senders,
                     "sender_counts": [0] * len(senders)}
    snap = a.snaplen
    K = a.max_report
    mism = []           # messages
    n_mism = n_dup = n_unknown = 0
    dups = []
    unknown = []
    order_errs = []
    files = []
    read_errors = []
    for path in a.files:
        fs = {"file": path, "packets": 0, "ours": 0, "foreign": 0, "other_run": 0,
              "ts_backwards": 0, "first_ns": None, "last_ns": None, "format": None,
              "linktypes": [], "senders": {}, "out_of_order": 0,
              "vlan": 0, "qinq": 0, "max_len": 0}
        files.append(fs)
        prev_ts = None
        last_seq = {}
        fname = os.path.basename(path)
        cap = None
        try:
            cap = Capture(path)
            for ev in cap:
                if ev[0] == "idb":
                    fs["linktypes"].append(ev[2]["linktype"])
                    if ev[2]["linktype"] != 1:
                        raise ReadError("%s: link type %d, not Ethernet (1)" % (path, ev[2]["linktype"]))
                    continue
                if ev[0] != "pkt":
                    continue
                _, ifid, ts, caplen, orig, data = ev
                fs["packets"] += 1
                idx = fs["packets"]
                if ts is not None:
                    if prev_ts is not None and ts < prev_ts:
                        fs["ts_backwards"] += 1
                        if fs["ts_backwards"] <= K:
                            order_errs.append("%s: packet #%d: timestamp %d ns is %d ns before the previous one"
                                              % (fname, idx, ts, prev_ts - ts))
                    prev_ts = ts
                    if fs["first_ns"] is None:
                        fs["first_ns"] = ts
                    fs["last_ns"] = ts
                at = data.find(MAGIC)
                if at < 0 or at + MARK_LEN > len(data):
                    fs["foreign"] += 1
                    continue
                rid, seq = struct.unpack(">IQ", data[at + 8:at + MARK_LEN])
                run = runs.get(rid)
                if run is None:
                    fs["other_run"] += 1
                    continue
                fs["ours"] += 1
                if seq >= run["count"]:
                    n_unknown += 1
                    if len(unknown) < K:
                        unknown.append("%s: packet #%d: run %08x has no sequence number %d"
                                       % (fname, idx, rid, seq))
                    continue
                k = 0
                for first, cnt, kk in run["senders"]:
                    if first <= seq < first + cnt:
                        k = kk
                        break
                key = "%08x/%d" % (rid, k)
                fs["senders"][key] = fs["senders"].get(key, 0) + 1
                ls = last_seq.get(key)
                if ls is not None and seq < ls:
                    fs["out_of_order"] += 1
                    if a.in_order and fs["out_of_order"] <= K:
                        order_errs.append("%s: packet #%d: sequence %d after %d (sender %s)"
                                          % (fname, idx, seq, ls, key))
                last_seq[key] = seq
                seen = run["seen"]
                if seen[seq]:
                    n_dup += 1
                    if seen[seq] < 255:
                        seen[seq] += 1
                    if len(dups) < K:
                        dups.append("%s: packet #%d: sequence %d of run %08x again" % (fname, idx, seq, rid))
                    continue
                seen[seq] = 1
                run["sender_counts"][k] += 1
                et = data[12:14]
                if et == b"\x88\xa8":
                    fs["qinq"] += 1
                elif et == b"\x81\x00":
                    fs["vlan"] += 1
                if orig > fs["max_len"]:
                    fs["max_len"] = orig
                want = run["gen"].frame(seq)
                ok = orig == len(want) and data == (want[:snap] if snap else want)
                if not ok:
                    n_mism += 1
                    if len(mism) < K:
                        mism.append(describe_diff(run["gen"], seq, data, orig, snap, fname, idx))
            fs["format"] = cap.kind
            cap.close()
        except ReadError as e:
            read_errors.append(str(e))
            try:
                if cap:
                    cap.close()
            except ReadError:
                pass
    # Missing frames.
    n_missing = 0
    missing_first = []
    per_run = []
    for rid, run in runs.items():
        seen = run["seen"]
        miss = [i for i in range(run["count"]) if not seen[i]] if seen.count(0) else []
        n_missing += len(miss)
        if len(missing_first) < 1000:
            missing_first += miss[:1000]
        per_run.append({"run_id": "%08x" % rid, "expected": run["count"],
                        "found": run["count"] - len(miss), "missing": len(miss),
                        "missing_ranges": first_ranges(miss, K),
                        "per_sender_found": run["sender_counts"]})
    expected = sum(r["count"] for r in runs.values())
    found = expected - n_missing
    foreign = sum(f["foreign"] + f["other_run"] for f in files)
    backwards = sum(f["ts_backwards"] for f in files)
    out_of_order = sum(f["out_of_order"] for f in files)
    problems = []
    if read_errors:
        problems.append("%d read error(s)" % len(read_errors))
    if n_missing and not a.allow_missing:
        problems.append("%d missing" % n_missing)
    if n_dup:
        problems.append("%d duplicate(s)" % n_dup)
    if n_mism:
        problems.append("%d modified" % n_mism)
    if n_unknown:
        problems.append("%d unknown sequence number(s)" % n_unknown)
    if a.monotonic and backwards:
        problems.append("%d timestamp(s) going backwards" % backwards)
    if a.in_order and out_of_order:
        problems.append("%d frame(s) out of sequence order" % out_of_order)

    for e in read_errors:
        print("read error: %s" % e)
    for r in per_run:
        if r["missing"]:
            print("run %s: %d of %d frames missing: %s" % (r["run_id"], r["missing"], r["expected"],
                                                         r["missing_ranges"]))
    for d in dups:
        print("duplicate: %s" % d)
    for u in unknown:
        print("unknown: %s" % u)
    for m in mism:
        print("modified: %s" % m)
    if a.monotonic or a.in_order:
        for o in order_errs:
            print("order: %s" % o)
    if len(files) > 1 or a.verbose:
        for f in files:
            print("  %s: %d packets, %d ours, %d foreign, %d timestamps backwards%s" % (
                f["file"], f["packets"], f["ours"], f["foreign"] + f["other_run"], f["ts_backwards"],
                "" if not f["senders"] else ", senders " + " ".join(
                    "%s:%d" % kv for kv in sorted(f["senders"].items()))))
    summary = "%d/%d frames found once and intact, %d missing, %d duplicate, %d modified, %d unknown; " \
              "%d foreign ignored; %d file(s), %d timestamp(s) backwards" % (
                  found - n_mism, expected, n_missing, n_dup, n_mism, n_unknown, foreign, len(files), backwards)
    if a.json:
        res = {"ok": not problems, "problems": problems, "expected": expected, "found": found,
               "missing": n_missing, "duplicates": n_dup, "modified": n_mism, "unknown": n_unknown,
               "foreign": foreign, "ts_backwards": backwards, "out_of_order": out_of_order,
               "missing_first": missing_first[:1000], "runs": per_run, "files": files,
               "read_errors": read_errors}
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
            f.write("\n")
    if problems:
        print("check: FAIL (%s): %s" % (", ".join(problems), summary))
        return 2 if read_errors else 1
    print("check: OK: %s" % summary)
    return 0


# ---------------------------------------------------------------- expect, isb

def cmd_expect(a):
    m = load_manifest(a.manifest)
    gen = Gen(m)
    with open(a.output, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, MAX_FRAME, 1))
        for seq in range(int(m["count"])):
            fr = gen.frame(seq)
            f.write(struct.pack("<IIII", 0, seq, len(fr), len(fr)))
            f.write(fr)
    return 0


def cmd_isb(a):
    out = {"files": [], "totals": {}}
    tot = {"packets": 0}
    keys = ("isb_ifrecv", "isb_ifdrop", "isb_filteraccept", "isb_osdrop", "isb_usrdeliv")
    rc = 0
    for path in a.files:
        entry = {"file": path, "interfaces": [], "isb": []}
        last = {}
        section = -1
        base = 0            # index in entry["interfaces"] of the section's interface 0
        try:
            cap = Capture(path)
            for ev in cap:
                if ev[0] == "shb":
                    section += 1
                    base = len(entry["interfaces"])
                elif ev[0] == "idb":
                    info = {"section": max(section, 0), "id": ev[1]}
                    info.update(ev[2])
                    info["packets"] = 0
                    entry["interfaces"].append(info)
                elif ev[0] == "pkt":
                    if base + ev[1] < len(entry["interfaces"]):
                        entry["interfaces"][base + ev[1]]["packets"] += 1
                    tot["packets"] += 1
                elif ev[0] == "isb":
                    st = {"section": max(section, 0), "interface": ev[1]}
                    st.update(ev[2])
                    entry["isb"].append(st)
                    last[(section, ev[1])] = ev[2]
            cap.close()
            if cap.kind != "pcapng":
                entry["error"] = "not pcapng: no ISBs"
        except ReadError as e:
            entry["error"] = str(e)
            rc = 1
        for st in last.values():
            for k in keys:
                if k in st:
                    tot[k] = tot.get(k, 0) + st[k]
        out["files"].append(entry)
    out["totals"] = tot
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")
    for e in out["files"]:
        if "error" in e:
            sys.stderr.write("livetraffic: %s\n" % e["error"])
    return rc


def main(argv):
    ap = argparse.ArgumentParser(prog="livetraffic.py", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send", help="send known frames, write a manifest")
    s.add_argument("-i", "--interface", required=True)
    s.add_argument("-m", "--manifest", required=True)
    s.add_argument("-n", "--count", type=int, default=1000)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--run-id", type=lambda x: int(x, 0), default=None,
                   help="32-bit run id (default: random)")
    s.add_argument("--min-size", type=int, default=60)
    s.add_argument("--max-size", type=int, default=1514)
    s.add_argument("--vlan", type=float, default=0.2)
    s.add_argument("--qinq", type=float, default=0.1)
    s.add_argument("--ipv4", type=float, default=0.5)
    s.add_argument("--bcast", type=float, default=0.25)
    s.add_argument("--pps", type=float, default=0)
    s.add_argument("--cpu", type=int, default=None)
    s.add_argument("--spread", default=None)
    s.add_argument("--qdisc", action="store_true")
    s.add_argument("--dry-run", action="store_true")
    s.add_argument("-q", "--quiet", action="store_true")
    c = sub.add_parser("check", help="check a capture against manifests")
    c.add_argument("-m", "--manifest", action="append", required=True)
    c.add_argument("--snaplen", type=int, default=0)
    c.add_argument("--allow-missing", action="store_true")
    c.add_argument("--monotonic", action="store_true")
    c.add_argument("--in-order", action="store_true")
    c.add_argument("--json", default=None)
    c.add_argument("--max-report", type=int, default=5)
    c.add_argument("-v", "--verbose", action="store_true")
    c.add_argument("files", nargs="+")
    e = sub.add_parser("expect", help="write the expected frames as a pcap")
    e.add_argument("-m", "--manifest", required=True)
    e.add_argument("-o", "--output", required=True)
    i = sub.add_parser("isb", help="print the ISB counters of pcapng files as JSON")
    i.add_argument("files", nargs="+")
    a = ap.parse_args(argv[1:])
    if a.cmd == "send":
        if a.run_id is not None and not 0 <= a.run_id < 2**32:
            die("--run-id must fit in 32 bits")
        for name in ("vlan", "qinq", "ipv4", "bcast"):
            v = getattr(a, name)
            if not 0 <= v <= 1:
                die("--%s is a share between 0 and 1" % name)
        if a.vlan + a.qinq > 1:
            die("--vlan + --qinq must not exceed 1")
        if a.min_size < 60 or a.max_size < a.min_size or a.max_size > MAX_FRAME:
            die("need 60 <= --min-size <= --max-size <= %d" % MAX_FRAME)
        if a.pps < 0:
            die("--pps must be >= 0")
        return cmd_send(a)
    if a.cmd == "check":
        if a.snaplen and a.snaplen < 14 + 8 + 30 + MARK_LEN:
            die("--snaplen below %d cuts the marker off" % (14 + 8 + 30 + MARK_LEN))
        return cmd_check(a)
    if a.cmd == "expect":
        return cmd_expect(a)
    return cmd_isb(a)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except ReadError as e:
        die(str(e))
    except BrokenPipeError:
        sys.exit(1)
