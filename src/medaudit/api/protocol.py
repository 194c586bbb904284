"""The HTTP protocol uvicorn runs, with TCP_NODELAY set on every connection.

With several workers uvicorn binds the listening socket itself (protocol number 0), and asyncio only
sets TCP_NODELAY on sockets whose protocol is IPPROTO_TCP. Without it Nagle's algorithm meets the
client's delayed ACK and every answer waits ~40 ms — fatal for a 事前提醒 call that must feel instant.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)  # type: ignore[arg-type]
