#!/usr/bin/env python3
# tests/firmware/fwtool.py: what the firmware tests need besides curl.
#
#   fwtool.py image OUT --version V [--chip N] [--size BYTES] [--project P]
#             [--idf I] [--secure N] [--seed N] [--no-hash] [--damage KIND]
#       writes an ESP-IDF application image in the real format (image
#       header, segments with the app descriptor first, the checksum padded
#       to 16 bytes, the appended SHA-256), or a damaged one: bad-magic,
#       bad-checksum, bad-hash, truncated, trailing, no-desc, bad-segment
#   fwtool.py ota URL [--chunk 4096] [--cut-at N] [--running V] [--out FILE]
#             [--header 'Name: value' ...]
#       behaves like ESP-IDF's esp_https_ota with partial downloads: a HEAD
#       for the length (200 wanted), then GETs of Range chunks on one
#       keep-alive connection, each answer checked (206, Content-Length,
#       Content-Range); the version is read from the first bytes' app
#       descriptor and the download stops there when it is the running
#       one; --cut-at N drops the connection once N bytes came (in the
#       middle of a chunk) and takes the rest with "Range: bytes=N-" on a
#       new one.
#       Prints one JSON line: what happened, each status seen, the bytes.
#   fwtool.py arduino URL --mac MAC [--version V] [--sha256 HEX] [--md5 HEX]
#             [--header 'Name: value' ...]
#             [--out FILE]
#       behaves like Arduino-ESP32's HTTPUpdate: one HTTP/1.0 GET with its
#       User-Agent and x-ESP32-* headers; 304 means no update; 200 needs a
#       Content-Length and an image starting with 0xE9, checked against
#       x-MD5 like Update.setMD5 does. Prints one JSON line.
#   fwtool.py desc FILE     the image's version and chip, as JSON
#
# Standard library only; loopback only (the URLs the tests give).
import argparse
import hashlib
import http.client
import json
import random
import socket
import struct
import sys
import urllib.parse

DESC_MAGIC = 0xABCD5432


def desc_bytes(version, project, idf, secure):
    def field(s, n):
        b = s.encode()
        return b[:n].ljust(n, b"\0")

    d = struct.pack("<II8x", DESC_MAGIC, secure)
    d += field(version, 32) + field(project, 32)
    d += field("12:00:00", 16) + field("Jan  1 2026", 16) + field(idf, 32)
    d += hashlib.sha256(("elf " + version).encode()).digest()
    return d.ljust(256, b"\0")


def build_image(version, chip=0, size=200000, project="fwtest", idf="v5.2.1", secure=0,
                seed=1, hash_appended=True, damage=None):
    rnd = random.Random(seed)
    # Room for the header, the segment headers, checksum and hash.
    body = max(size - 24 - 3 * 8 - 16 - (32 if hash_appended else 0), 512)
    first = (body // 2) & ~3
    second = ((body - first) // 2) & ~3
    third = (body - first - second) & ~3
    seg0 = desc_bytes(version, project, idf, secure) + rnd.randbytes(first - 256)
    if damage == "no-desc":
        seg0 = b"\0" * 4 + seg0[4:]
    segs = [(0x3F400020, seg0), (0x3FFB0000, rnd.randbytes(second)), (0x40080000, rnd.randbytes(third))]
    hdr = bytearray(24)
    hdr[0] = 0xE9
    hdr[1] = len(segs)
    hdr[2] = 2  # DIO
    hdr[3] = 0x20  # 4 MB, 40 MHz
    struct.pack_into("<I", hdr, 4, 0x40081000)
    hdr[8] = 0xEE
    struct.pack_into("<H", hdr, 12, chip)
    struct.pack_into("<HH", hdr, 15, 0, 0xFFFF)
    hdr[23] = 1 if hash_appended else 0
    out = bytearray(hdr)
    csum = 0xEF
    for i, (addr, data) in enumerate(segs):
        length = len(data) + (2 if damage == "bad-segment" and i == 1 else 0)
        out += struct.pack("<II", addr, length)
        out += data
        for b in data:
            csum ^= b
    pad = (16 - (len(out) + 1) % 16) % 16
    out += b"\0" * pad
    out.append(csum ^ (0x5A if damage == "bad-checksum" else 0))
    if hash_appended:
        digest = hashlib.sha256(bytes(out)).digest()
        if damage == "bad-hash":
            digest = bytes([digest[0] ^ 1]) + digest[1:]
        out += digest
    if damage == "bad-magic":
        out[0] = 0xE8
    if damage == "truncated":
        out = out[: len(out) - 100]
    if damage == "trailing":
        out += b"junk after the image"
    return bytes(out)


def read_desc(data):
    """The version and chip of an image's first bytes, as esp_https_ota_get_img_desc reads them."""
    if len(data) < 24 + 8 + 256 or data[0] != 0xE9:
        return None
    magic, = struct.unpack_from("<I", data, 32)
    if magic != DESC_MAGIC:
        return None
    version = data[48:80].split(b"\0")[0].decode()
    chip, = struct.unpack_from("<H", data, 12)
    return {"version": version, "chip": chip}


def connect(url):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=30)
    path = u.path + ("?" + u.query if u.query else "")
    return conn, path


def cmd_image(a):
    data = build_image(a.version, a.chip, a.size, a.project, a.idf, a.secure, a.seed,
                       not a.no_hash, a.damage)
    with open(a.out, "wb") as f:
        f.write(data)


def headers_of(a):
    h = {"User-Agent": "ESP32 HTTP Client/1.0"}
    for line in a.header or []:
        k, v = line.split(":", 1)
        h[k.strip()] = v.strip()
    return h


def cmd_ota(a):
    res = {"statuses": [], "requests": 0, "reconnects": 0}
    extra = headers_of(a)
    conn, path = connect(a.url)
    conn.request("HEAD", path, headers=extra)
    r = conn.getresponse()
    r.read()
    res["requests"] += 1
    res["statuses"].append(r.status)
    if r.status != 200:
        res["result"] = "head-status"
        print(json.dumps(res))
        return 1
    if r.getheader("Content-Encoding") or r.getheader("Transfer-Encoding"):
        res["result"] = "encoded"
        print(json.dumps(res))
        return 1
    length = int(r.getheader("Content-Length"))
    res["length"] = length
    res["etag"] = r.getheader("ETag")
    res["accept_ranges"] = r.getheader("Accept-Ranges")
    got = bytearray()
    cut = a.cut_at
    while len(got) < length:
        start = len(got)
        resumed = cut is not None and start == cut
        end = min(start + a.chunk, length) - 1
        rng = f"bytes={start}-" if resumed else f"bytes={start}-{end}"
        conn.request("GET", path, headers={**extra, "Range": rng})
        r = conn.getresponse()
        res["requests"] += 1
        res["statuses"].append(r.status)
        if r.status != 206:
            res["result"] = "range-status"
            res["body"] = r.read()[:200].decode(errors="replace")
            print(json.dumps(res))
            return 1
        want = int(r.getheader("Content-Length"))
        cr = r.getheader("Content-Range")
        if cr != f"bytes {start}-{start + want - 1}/{length}":
            res["result"] = "content-range"
            res["content_range"] = cr
            print(json.dumps(res))
            return 1
        if resumed:
            res["resumed_range"] = cr
        if cut is not None and start < cut < start + want:
            # The connection drops in the middle of this chunk.
            got += r.read(cut - start)
            conn.sock.shutdown(socket.SHUT_RDWR)
            conn.close()
            conn, path = connect(a.url)
            res["reconnects"] += 1
            res["cut_at"] = len(got)
        else:
            body = r.read()
            if len(body) != want:
                res["result"] = "short-body"
                print(json.dumps(res))
                return 1
            got += body
        # esp_https_ota_get_img_desc: the version from the first bytes.
        if "version" not in res and len(got) >= 24 + 8 + 256:
            d = read_desc(bytes(got))
            if d is None:
                res["result"] = "no-desc"
                print(json.dumps(res))
                return 1
            res["version"] = d["version"]
            if a.running is not None and d["version"] == a.running:
                res["result"] = "current"
                print(json.dumps(res))
                return 0
    conn.close()
    res["bytes"] = len(got)
    res["sha256"] = hashlib.sha256(got).hexdigest()
    res["result"] = "downloaded"
    if a.out:
        with open(a.out, "wb") as f:
            f.write(got)
    print(json.dumps(res))
    return 0


def cmd_arduino(a):
    conn, path = connect(a.url)
    conn._http_vsn = 10
    conn._http_vsn_str = "HTTP/1.0"
    h = {
        "User-Agent": "ESP32-http-Update",
        "Cache-Control": "no-cache",
        "x-ESP32-STA-MAC": a.mac,
        "x-ESP32-AP-MAC": a.mac,
        "x-ESP32-free-space": "1966080",
        "x-ESP32-sketch-size": "1000000",
        "x-ESP32-chip-size": "4194304",
        "x-ESP32-sdk-version": "v4.4.7",
        "x-ESP32-mode": "sketch",
    }
    if a.sha256:
        h["x-ESP32-sketch-sha256"] = a.sha256
    if a.md5:
        h["x-ESP32-sketch-md5"] = a.md5
    if a.version:
        h["x-ESP32-version"] = a.version
    for line in a.header or []:  # what the sketch adds (setAuthorization)
        k, v = line.split(":", 1)
        h[k.strip()] = v.strip()
    conn.request("GET", path, headers=h)
    r = conn.getresponse()
    res = {"status": r.status}
    body = r.read()
    if r.status == 304:
        res["result"] = "no-updates"
    elif r.status == 200:
        length = r.getheader("Content-Length")
        md5 = r.getheader("x-MD5")
        res["length"] = int(length) if length else None
        res["x_md5"] = md5
        res["version"] = r.getheader("X-Firmware-Version")
        if not length or int(length) <= 0:
            res["result"] = "no-size"
        elif len(body) != int(length):
            res["result"] = "short-body"
        elif body[:1] != b"\xe9":
            res["result"] = "bad-magic"
        elif md5 is None or len(md5) != 32 or hashlib.md5(body).hexdigest() != md5.lower():
            res["result"] = "bad-md5"
        else:
            res["result"] = "updated"
            res["sha256"] = hashlib.sha256(body).hexdigest()
            if a.out:
                with open(a.out, "wb") as f:
                    f.write(body)
    else:
        res["result"] = "failed"
    print(json.dumps(res))
    return 0 if res["result"] in ("no-updates", "updated") else 1


def cmd_desc(a):
    with open(a.file, "rb") as f:
        data = f.read()
    d = read_desc(data)
    digest = data[-32:].hex() if d else None
    print(json.dumps({**(d or {}), "image_sha256": digest}))
    return 0 if d else 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("image")
    i.add_argument("out")
    i.add_argument("--version", required=True)
    i.add_argument("--chip", type=int, default=0)
    i.add_argument("--size", type=int, default=200000)
    i.add_argument("--project", default="fwtest")
    i.add_argument("--idf", default="v5.2.1")
    i.add_argument("--secure", type=int, default=0)
    i.add_argument("--seed", type=int, default=1)
    i.add_argument("--no-hash", action="store_true")
    i.add_argument("--damage", choices=["bad-magic", "bad-checksum", "bad-hash", "truncated",
                                        "trailing", "no-desc", "bad-segment"])
    o = sub.add_parser("ota")
    o.add_argument("url")
    o.add_argument("--chunk", type=int, default=4096)
    o.add_argument("--cut-at", type=int)
    o.add_argument("--running")
    o.add_argument("--out")
    o.add_argument("--header", action="append")
    d = sub.add_parser("arduino")
    d.add_argument("url")
    d.add_argument("--mac", required=True)
    d.add_argument("--version")
    d.add_argument("--sha256")
    d.add_argument("--md5")
    d.add_argument("--out")
    d.add_argument("--header", action="append")
    e = sub.add_parser("desc")
    e.add_argument("file")
    a = p.parse_args()
    return {"image": cmd_image, "ota": cmd_ota, "arduino": cmd_arduino, "desc": cmd_desc}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())
