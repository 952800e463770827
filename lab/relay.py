#!/usr/bin/env python3
"""Userspace TCP/UDP relay across network namespaces, with an optional shaped link.

The lab kernel has no netem, and a PC namespace behind "NAT" must reach the hub only
through a path the hub cannot use backwards. This relay listens in one namespace and
connects from another: the listening sockets are opened first, then the process moves
with setns(2); a socket keeps the namespace it was created in, so the outgoing sockets
made afterwards live in the other namespace.

  python3 lab/relay.py --listen-ns pc4 --listen 192.0.2.1:8448 \\
      --connect-ns hub --connect 192.0.2.1:8448 [--udp] [--rate-mbit 20 --delay-ms 40]
  python3 lab/relay.py --listen-ns pc4 --connect-ns hub \\
      --tcp 192.0.2.1:8448=192.0.2.1:8448 --udp 192.0.2.1:51820=192.0.2.1:51820

Shaping models one link per direction per connection (or per UDP client): bytes leave
at --rate-mbit (serialised back to back, like a wire) and arrive --delay-ms later, in
order. TCP is backpressured instead of dropped; UDP datagrams that would queue for more
than 200 ms are dropped, as a router would. Prints one "relay ready" line on stdout once
every listener is up; SIGTERM/SIGINT close everything and exit 0.
"""

import argparse
import asyncio
import ctypes
import os
import signal
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
UDP_IDLE_S = 180.0  # forget a UDP client after this long without traffic (WireGuard keepalives are 25 s)
UDP_MAX_QUEUE_S = 0.2  # a datagram that would wait longer than this for the wire is dropped
TCP_MAX_BACKLOG_S = 0.05  # stop reading while this much sending time is already queued


def setns(name):
    """Move this thread (the only one so far) into the named network namespace."""
    path = name if name.startswith("/") else f"/run/netns/{name}"
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({path}): {os.strerror(err)}")
    finally:
        os.close(fd)


def parse_addr(text):
    host, sep, port = text.rpartition(":")
    if not sep:
        raise argparse.ArgumentTypeError(f"{text!r}: expected HOST:PORT")
    host = host.strip("[]")
    return host, int(port)


def parse_mapping(text):
    left, sep, right = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"{text!r}: expected LISTEN_HOST:PORT=CONNECT_HOST:PORT")
    return parse_addr(left), parse_addr(right)


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class Link:
    """One direction of a shaped path: a departure clock at `rate` bytes/s plus `delay`."""

    def __init__(self, rate_bps, delay_s):
        self.rate = rate_bps
        self.delay = delay_s
        self.free_at = 0.0  # when the wire finishes sending what is already queued

    def backlog(self, now):
        return max(0.0, self.free_at - now)

    def schedule(self, size, now):
        """Reserve the wire for `size` bytes; returns when they arrive at the far end."""
        depart = now
        if self.rate:
            self.free_at = max(now, self.free_at) + size / self.rate
            depart = self.free_at
        return depart + self.delay


class Deliverer:
    """Hands items to `send` at their arrival times, strictly in order."""

    def __init__(self, send, after_last=None):
        self.queue = asyncio.Queue()
        self.send = send
        self.after_last = after_last
        self.task = asyncio.get_running_loop().create_task(self.run())

    def put(self, when, item):
        self.queue.put_nowait((when, item))

    def finish(self):
        self.queue.put_nowait(None)

    async def run(self):
        loop = asyncio.get_running_loop()
        while True:
            entry = await self.queue.get()
            if entry is None:
                break
            when, item = entry
            wait = when - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            await self.send(item)
        if self.after_last:
            await self.after_last()


class Relay:
    def __init__(self, args):
        self.rate = args.rate_mbit * 1e6 / 8 if args.rate_mbit else 0.0
        self.delay = args.delay_ms / 1000.0
        # Smaller reads when shaped so the departure clock is smooth at low rates.
        self.chunk = 16384 if self.rate else 65536
        self.tasks = set()
        self.closers = []

    def link(self):
        return Link(self.rate, self.delay)

    def spawn(self, coro):
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # ---- TCP -------------------------------------------------------------------
    async def serve_tcp(self, sock, target):
        server = await asyncio.start_server(
            lambda r, w: self.spawn(self.tcp_session(r, w, target)), sock=sock
        )
        self.closers.append(server.close)

    async def tcp_session(self, c_reader, c_writer, target):
        try:
            s_reader, s_writer = await asyncio.open_connection(*target)
        except OSError as err:
            log(f"connect {target[0]}:{target[1]} failed: {err}")
            c_writer.close()
            return
        writers = (c_writer, s_writer)
        for w in writers:
            w.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def abort():
            # One side broke (a reset, a failed write): reset the other too (SO_LINGER 0 makes
            # close send RST, not FIN), rather than leave it hanging or looking like a clean end.
            for w in writers:
                if not w.transport.is_closing():
                    w.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                w.transport.abort()

        loop = asyncio.get_running_loop()
        pipes = [
            loop.create_task(self.pipe(c_reader, s_writer, abort)),
            loop.create_task(self.pipe(s_reader, c_writer, abort)),
        ]
        try:
            done, _ = await asyncio.wait(pipes, return_when=asyncio.FIRST_EXCEPTION)
            if any(not t.cancelled() and t.exception() for t in done):
                abort()  # the other direction's read returns now
            await asyncio.gather(*pipes, return_exceptions=True)
        finally:
            for t in pipes:
                t.cancel()
            for w in writers:
                w.close()

    async def pipe(self, reader, writer, abort):
        """Copy one direction: read, reserve the wire, deliver after the delay, then EOF. Raises on a broken side."""
        loop = asyncio.get_running_loop()
        link = self.link()

        async def send(data):
            writer.write(data)
            await writer.drain()

        async def eof():
            if writer.can_write_eof():
                writer.write_eof()

        deliver = Deliverer(send, eof)
        # A failed write while this side waits to read: abort, so the read returns.
        deliver.task.add_done_callback(lambda t: t.cancelled() or t.exception() is None or abort())
        try:
            while not deliver.task.done():
                data = await reader.read(self.chunk)
                if not data:
                    break
                deliver.put(link.schedule(len(data), loop.time()), data)
                # Backpressure: keep at most ~50 ms of wire time queued in the relay.
                backlog = link.backlog(loop.time())
                if backlog > TCP_MAX_BACKLOG_S:
                    await asyncio.sleep(backlog - TCP_MAX_BACKLOG_S)
            deliver.finish()
            await deliver.task
        finally:
            deliver.task.cancel()

    # ---- UDP -------------------------------------------------------------------
    async def serve_udp(self, sock, target):
        loop = asyncio.get_running_loop()
        relay = self
        clients = {}

        class Front(asyncio.DatagramProtocol):
            def connection_made(self, transport):
                self.transport = transport

            def datagram_received(self, data, addr):
                client = clients.get(addr)
                if client is None:
                    client = clients[addr] = UdpClient(relay, front.transport, addr, target, clients)
                client.to_server(data)

        transport, front = await loop.create_datagram_endpoint(Front, sock=sock)
        self.closers.append(transport.close)

        async def sweep():
            while True:
                await asyncio.sleep(UDP_IDLE_S / 4)
                now = loop.time()
                for addr, client in list(clients.items()):
                    if now - client.last_seen > UDP_IDLE_S:
                        client.close()

        self.spawn(sweep())

    async def close(self):
        for close in self.closers:
            close()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


class UdpClient:
    """One client address on the listening side: its own socket on the connecting side."""

    def __init__(self, relay, front, addr, target, table):
        self.loop = asyncio.get_running_loop()
        self.front, self.addr, self.table = front, addr, table
        self.last_seen = self.loop.time()
        self.up, self.down = relay.link(), relay.link()
        self.back = socket.socket(family(target[0]), socket.SOCK_DGRAM)
        self.back.setblocking(False)
        self.back.connect(target)
        self.loop.add_reader(self.back.fileno(), self.from_server)

        async def send_up(data):
            try:
                self.back.send(data)
            except OSError:
                pass  # ICMP unreachable and the like: UDP just loses the datagram

        async def send_down(data):
            self.front.sendto(data, self.addr)

        self.up_q, self.down_q = Deliverer(send_up), Deliverer(send_down)

    def shaped(self, link, deliverer, data):
        now = self.loop.time()
        self.last_seen = now
        if link.backlog(now) > UDP_MAX_QUEUE_S:
            return  # the queue is full: drop
        deliverer.put(link.schedule(len(data), now), data)

    def to_server(self, data):
        self.shaped(self.up, self.up_q, data)

    def from_server(self):
        while True:
            try:
                data = self.back.recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # e.g. ECONNREFUSED from an earlier datagram
            self.shaped(self.down, self.down_q, data)

    def close(self):
        self.table.pop(self.addr, None)
        self.loop.remove_reader(self.back.fileno())
        self.back.close()
        self.up_q.task.cancel()
        self.down_q.task.cancel()


def log(msg):
    print(f"relay: {msg}", file=sys.stderr, flush=True)


def listening_socket(proto, addr):
    if proto == "tcp":
        sock = socket.socket(family(addr[0]), socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(128)
    else:
        sock = socket.socket(family(addr[0]), socket.SOCK_DGRAM)
        sock.bind(addr)
    sock.setblocking(False)
    return sock


async def run(args, listeners):
    relay = Relay(args)
    for proto, sock, target in listeners:
        await (relay.serve_tcp if proto == "tcp" else relay.serve_udp)(sock, target)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    parts = []
    for proto, sock, target in listeners:
        host, port = sock.getsockname()[:2]
        parts.append(f"{proto} {host}:{port} -> {target[0]}:{target[1]}")
    shaping = f"rate={f'{args.rate_mbit:g}mbit' if args.rate_mbit else 'unlimited'} delay={args.delay_ms:g}ms"
    ns = f"listen-ns={args.listen_ns or '-'} connect-ns={args.connect_ns or '-'}"
    print(f"relay ready: {'; '.join(parts)} ({ns} {shaping})", flush=True)
    await stop.wait()
    await relay.close()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--listen-ns", help="namespace (name in /run/netns or a path) to listen in")
    p.add_argument("--connect-ns", help="namespace to connect from")
    p.add_argument("--listen", type=parse_addr, help="HOST:PORT to listen on (with --connect)")
    p.add_argument("--connect", type=parse_addr, help="HOST:PORT to connect to")
    p.add_argument("--udp", action="store_true", help="--listen/--connect is UDP, not TCP")
    p.add_argument("--tcp-map", "--tcp", dest="tcp", action="append", default=[], type=parse_mapping,
                   metavar="L=C", help="a TCP mapping LISTEN_HOST:PORT=CONNECT_HOST:PORT (repeatable)")
    p.add_argument("--udp-map", dest="udp_maps", action="append", default=[], type=parse_mapping,
                   metavar="L=C", help="a UDP mapping (repeatable)")
    p.add_argument("--rate-mbit", type=float, default=0.0, help="per direction per connection; 0 = unlimited")
    p.add_argument("--delay-ms", type=float, default=0.0, help="one-way added latency per direction")
    args = p.parse_args(argv)
    # --udp is both the flag for --listen/--connect and, with a value, a mapping.
    mappings = [("tcp", m) for m in args.tcp] + [("udp", m) for m in args.udp_maps]
    if args.listen or args.connect:
        if not (args.listen and args.connect):
            p.error("--listen and --connect go together")
        mappings.append(("udp" if args.udp else "tcp", (args.listen, args.connect)))
    if not mappings:
        p.error("nothing to relay: give --listen/--connect or --tcp/--udp-map L=C")
    if args.rate_mbit < 0 or args.delay_ms < 0:
        p.error("--rate-mbit and --delay-ms must be >= 0")

    if args.listen_ns:
        setns(args.listen_ns)
    listeners = [(proto, listening_socket(proto, l), c) for proto, (l, c) in mappings]
    if args.connect_ns:
        setns(args.connect_ns)  # every socket made from here on lives in the connecting namespace
    asyncio.run(run(args, listeners))
    return 0


if __name__ == "__main__":
    # `--udp L=C` reads naturally next to `--tcp L=C`: rewrite it to --udp-map before argparse.
    argv = sys.argv[1:]
    fixed = []
    for i, a in enumerate(argv):
        if a == "--udp" and i + 1 < len(argv) and "=" in argv[i + 1] and not argv[i + 1].startswith("-"):
            fixed.append("--udp-map")
        else:
            fixed.append(a)
    sys.exit(main(fixed))
