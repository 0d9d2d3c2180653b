#!/usr/bin/env python3
"""tests/mqtt/v311_broker.py PORT OUTDIR: a broker that speaks only MQTT 3.1.1.

As such a broker does (MQTT 3.1.1 section 3.1.2.2), it answers a CONNECT of
any other protocol level with CONNACK return code 1 (unacceptable protocol
version) and closes the connection. A 3.1.1 CONNECT is accepted; each QoS 1
PUBLISH is acknowledged and its payload appended as a line to
OUTDIR/messages. OUTDIR/levels gets the protocol level of every CONNECT.
Enough of MQTT to be a test double, nothing more.
"""
import os
import socket
import sys
import threading


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def read_packet(conn):
    first = read_exact(conn, 1)[0]
    length, shift = 0, 0
    while True:
        byte = read_exact(conn, 1)[0]
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return first, read_exact(conn, length)


def append(path, line):
    with open(path, "a") as f:
        f.write(line + "\n")


def serve(conn, outdir):
    try:
        kind, body = read_packet(conn)
        if kind >> 4 != 1:
            return
        name_len = int.from_bytes(body[0:2], "big")
        level = body[2 + name_len]
        append(os.path.join(outdir, "levels"), str(level))
        if level != 4:
            conn.sendall(bytes([0x20, 0x02, 0x00, 0x01]))
            return
        conn.sendall(bytes([0x20, 0x02, 0x00, 0x00]))
        while True:
            kind, body = read_packet(conn)
            if kind >> 4 == 3:  # PUBLISH
                qos = (kind >> 1) & 3
                topic_len = int.from_bytes(body[0:2], "big")
                pos = 2 + topic_len
                if qos:
                    packet_id = body[pos:pos + 2]
                    pos += 2
                append(os.path.join(outdir, "messages"), body[pos:].decode())
                if qos == 1:
                    conn.sendall(bytes([0x40, 0x02]) + packet_id)
            elif kind >> 4 == 12:  # PINGREQ
                conn.sendall(bytes([0xD0, 0x00]))
            elif kind >> 4 == 14:  # DISCONNECT
                return
    except (EOFError, OSError):
        pass
    finally:
        conn.close()


def main():
    port, outdir = int(sys.argv[1]), sys.argv[2]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(16)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn, outdir), daemon=True).start()


if __name__ == "__main__":
    main()
