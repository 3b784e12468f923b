#!/usr/bin/env python3
"""Small capture-file helpers for the system tests.

Deliberately independent of captured's code: it reads classic pcap (any
magic, either byte order), walks pcapng blocks and zstd frames (RFC 8878)
without decompressing.  Everything heavier (format conversion, filters,
windows, decompression) is left to editcap, tcpdump, tshark and zstd.

  pcaptool.py count FILE                   packets in a classic pcap
  pcaptool.py recs FILE                    "index ts_ns caplen origlen crc32" lines
  pcaptool.py head FILE K OUT              first K packets (OUT: nanosecond pcap)
  pcaptool.py tail FILE K OUT              last K packets
  pcaptool.py cat OUT FILE...              concatenation, in argument order
  pcaptool.py merge OUT FILE...            stable merge by timestamp: heads are
                                           compared, ties go to the earlier FILE
  pcaptool.py sorted FILE                  recs sorted (multiset comparison)
  pcaptool.py tsrange FILE                 "first_ns last_ns min_ns max_ns count"
  pcaptool.py zframes FILE                 "index offset end kind" per zstd
                                           frame; kind zstd|skip|partial|garbage
  pcaptool.py zkeep FILE OUT --upto N      whole frames that end at or before N
  pcaptool.py zkeep FILE OUT --drop I[,J]  every whole frame but frames I, J
  pcaptool.py pcapng FILE                  "whole_blocks epbs end_of_last_whole_block"
  pcaptool.py jfile JSON NAME FIELD        field of the file NAME in capctl list
                                           --json output (exact integers, unlike
                                           jq 1.6, which goes through doubles)
  pcaptool.py jsum JSON FIELD              sum of FIELD over all files
  pcaptool.py jtable JSON                  one line per file: name state packets
                                           bytes disk_bytes frames first_ns last_ns
                                           damage ("null" or the text)
  pcaptool.py info FILE...                 per classic pcap: "count first_ns last_ns
                                           min_ns max_ns sum_origlen sum_caplen"
"""

import signal
import struct
import sys
import zlib

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1000), b"\xa1\xb2\xc3\xd4": (">", 1000),
    b"\x4d\x3c\xb2\xa1": ("<", 1), b"\xa1\xb2\x3c\x4d": (">", 1),
}


def die(msg):
    sys.stderr.write("pcaptool: %s\n" % msg)
    sys.exit(2)


def read_pcap(path):
    """Returns (linktype, snaplen, [(ts_ns, caplen, origlen, data)])."""
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 24:
        die("%s: not a pcap file (%d bytes)" % (path, len(buf)))
    m = PCAP_MAGICS.get(buf[:4])
    if m is None:
        die("%s: not a classic pcap file (magic %s)" % (path, buf[:4].hex()))
    e, mult = m
    _, _, _, _, snaplen, link = struct.unpack(e + "HHiIII", buf[4:24])
    hdr = struct.Struct(e + "IIII")
    recs = []
    off = 24
    n = len(buf)
    while off < n:
        if off + 16 > n:
            die("%s: truncated record header at %d" % (path, off))
        sec, frac, cap, orig = hdr.unpack_from(buf, off)
        off += 16
        if off + cap > n:
            die("%s: truncated packet at %d" % (path, off))
        recs.append((sec * 1000000000 + frac * mult, cap, orig, buf[off:off + cap]))
        off += cap
    return link & 0x0fffffff, snaplen, recs


def write_pcap(path, link, snaplen, recs):
    out = [struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, snaplen or 262144, link)]
    pk = struct.Struct("<IIII").pack
    for ts, cap, orig, data in recs:
        s, ns = divmod(ts, 1000000000)
        out.append(pk(s, ns, cap, orig))
        out.append(data)
    with open(path, "wb") as f:
        f.write(b"".join(out))


def load_many(paths):
    files = [read_pcap(p) for p in paths]
    links = {f[0] for f in files}
    if len(links) > 1:
        die("link types differ: %s" % sorted(links))
    link = files[0][0] if files else 1
    snap = max([f[1] for f in files] or [262144])
    return link, snap, [f[2] for f in files]


def zframes(buf):
    """Yields (offset, end, kind) for the frames of a zstd stream."""
    off, n = 0, len(buf)
    while off < n:
        if n - off < 4:
            yield off, n, "partial"
            return
        magic = struct.unpack_from("<I", buf, off)[0]
        if magic & 0xFFFFFFF0 == 0x184D2A50:
            if n - off < 8:
                yield off, n, "partial"
                return
            end = off + 8 + struct.unpack_from("<I", buf, off + 4)[0]
            if end > n:
                yield off, n, "partial"
                return
            yield off, end, "skip"
            off = end
            continue
        if magic != 0xFD2FB528:
            yield off, n, "garbage"
            return
        p = off + 4
        if p >= n:
            yield off, n, "partial"
            return
        fhd = buf[p]
        fcs_flag, single, checksum, did = fhd >> 6, (fhd >> 5) & 1, (fhd >> 2) & 1, fhd & 3
        hlen = 1 + (0 if single else 1) + (0, 1, 2, 4)[did] + \
            ((1 if single else 0) if fcs_flag == 0 else (2, 4, 8)[fcs_flag - 1])
        p += hlen
        bad = False
        while True:
            if p + 3 > n:
                bad = True
                break
            b = buf[p] | buf[p + 1] << 8 | buf[p + 2] << 16
            last, btype, bsize = b & 1, (b >> 1) & 3, b >> 3
            if btype == 3:
                yield off, n, "garbage"
                return
            p += 3 + (1 if btype == 1 else bsize)
            if p > n:
                bad = True
                break
            if last:
                break
        if not bad and checksum:
            p += 4
            bad = p > n
        if bad:
            yield off, n, "partial"
            return
        yield off, p, "zstd"
        off = p


def pcapng_walk(buf):
    """(whole blocks, EPBs among them, end of the last whole block)."""
    off, n, blocks, epbs = 0, len(buf), 0, 0
    e = "<"
    while off + 12 <= n:
        btype = struct.unpack_from(e + "I", buf, off)[0]
        if btype == 0x0A0D0D0A:
            bom = buf[off + 8:off + 12]
            e = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
        blen = struct.unpack_from(e + "I", buf, off + 4)[0]
        if blen < 12 or blen % 4 or off + blen > n:
            break
        if struct.unpack_from(e + "I", buf, off + blen - 4)[0] != blen:
            break
        blocks += 1
        if btype in (6, 3, 2):
            epbs += 1
        off += blen
    return blocks, epbs, off


def main(argv):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if len(argv) < 2:
        die(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "count":
        print(len(read_pcap(args[0])[2]))
    elif cmd in ("recs", "sorted"):
        recs = read_pcap(args[0])[2]
        lines = ["%d %d %d %08x" % (r[0], r[1], r[2], zlib.crc32(r[3])) for r in recs]
        if cmd == "sorted":
            lines.sort()
            print("\n".join(lines))
        else:
            print("\n".join("%d %s" % (i + 1, l) for i, l in enumerate(lines)))
    elif cmd in ("head", "tail"):
        link, snap, recs = read_pcap(args[0])
        k = int(args[1])
        if k < 0 or k > len(recs):
            die("%s: %d packets, asked for %d" % (args[0], len(recs), k))
        write_pcap(args[2], link, snap, recs[:k] if cmd == "head" else recs[len(recs) - k:])
    elif cmd == "cat":
        link, snap, lists = load_many(args[1:])
        write_pcap(args[0], link, snap, [r for l in lists for r in l])
    elif cmd == "merge":
        link, snap, lists = load_many(args[1:])
        # Repeatedly take the head with the smallest timestamp; on ties the
        # earliest file wins.  (heapq.merge would also do, but this makes the
        # rule obvious.)
        import heapq
        heap = [(l[0][0], i, 0) for i, l in enumerate(lists) if l]
        heapq.heapify(heap)
        out = []
        while heap:
            ts, i, j = heapq.heappop(heap)
            out.append(lists[i][j])
            if j + 1 < len(lists[i]):
                heapq.heappush(heap, (lists[i][j + 1][0], i, j + 1))
        write_pcap(args[0], link, snap, out)
    elif cmd == "tsrange":
        recs = read_pcap(args[0])[2]
        if not recs:
            print("0 0 0 0 0")
        else:
            ts = [r[0] for r in recs]
            print(ts[0], ts[-1], min(ts), max(ts), len(ts))
    elif cmd == "zframes":
        with open(args[0], "rb") as f:
            buf = f.read()
        for i, (o, e, k) in enumerate(zframes(buf)):
            print(i, o, e, k)
    elif cmd == "zkeep":
        with open(args[0], "rb") as f:
            buf = f.read()
        frames = list(zframes(buf))
        if args[2] == "--upto":
            lim = int(args[3])
            keep = [(o, e) for o, e, k in frames if k in ("zstd", "skip") and e <= lim]
            # stop at the first frame that does not fit
            out, pos = [], 0
            for o, e in keep:
                if o != pos:
                    break
                out.append(buf[o:e])
                pos = e
        elif args[2] == "--drop":
            drop = {int(x) for x in args[3].split(",")}
            out = [buf[o:e] for i, (o, e, k) in enumerate(frames)
                   if k in ("zstd", "skip") and i not in drop]
        else:
            die("zkeep: --upto N or --drop I")
        with open(args[1], "wb") as f:
            f.write(b"".join(out))
    elif cmd == "info":
        for path in args:
            recs = read_pcap(path)[2]
            ts = [r[0] for r in recs] or [0]
            print(len(recs), ts[0], ts[-1], min(ts), max(ts),
                  sum(r[2] for r in recs), sum(r[1] for r in recs))
    elif cmd == "jtable":
        import json
        with open(args[0]) as f:
            doc = json.load(f)
        for f in doc["files"]:
            d = f.get("damage")
            print(f["name"], f["state"], f["packets"], f["bytes"], f["disk_bytes"], f["frames"],
                  f["first_ns"], f["last_ns"], "null" if d is None else str(d).replace("\n", " "))
    elif cmd in ("jfile", "jsum"):
        import json
        with open(args[0]) as f:
            doc = json.load(f)
        files = doc["files"]
        if cmd == "jsum":
            print(sum(f[args[1]] for f in files))
        else:
            m = [f for f in files if f["name"] == args[1]]
            if len(m) != 1:
                die("%s: %d files named %s" % (args[0], len(m), args[1]))
            v = m[0][args[2]]
            print("null" if v is None else v)
    elif cmd == "pcapng":
        with open(args[0], "rb") as f:
            print(*pcapng_walk(f.read()))
    else:
        die("unknown command %r\n%s" % (cmd, __doc__))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
