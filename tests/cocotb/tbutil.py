"""Small testbench pieces shared by the MAC/FIFO cocotb tests.

Convention: monitors and drivers read DUT outputs right at ``RisingEdge``
(the values that the flops sampled, as cocotbext-axi/eth do) and write DUT
inputs after it. Every wait is bounded in clock cycles.
"""

from __future__ import annotations

import struct
import zlib
from collections import deque
from dataclasses import dataclass, field

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge

CLK_NS = 8  # 125 MHz, one GMII byte per clock


async def start(dut, cycles: int = 4) -> None:
    """Start the 125 MHz clock and apply a synchronous reset."""
    cocotb.start_soon(Clock(dut.clk, CLK_NS, unit="ns").start())
    dut.rst.value = 1
    for _ in range(cycles):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    await RisingEdge(dut.clk)


async def wait_until(dut, cond, limit: int, what: str) -> int:
    """Wait (at most ``limit`` clocks) until ``cond()`` is true; return clocks."""
    for n in range(limit):
        if cond():
            return n
        await RisingEdge(dut.clk)
    raise AssertionError(f"timeout after {limit} clocks waiting for {what}")


def fcs(data: bytes) -> bytes:
    """IEEE 802.3 clause 3.2.9 FCS as sent on the wire (LSB first)."""
    return struct.pack("<L", zlib.crc32(data))


def csum16(data: bytes, start: int) -> int:
    """16-bit ones-complement sum (not complemented) of data[start:],
    big-endian words counted from ``start`` (RFC 1071)."""
    s = 0
    body = data[start:] if start < len(data) else b""
    for i in range(0, len(body), 2):
        hi = body[i]
        lo = body[i + 1] if i + 1 < len(body) else 0
        s += (hi << 8) | lo
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


class PulseCounter:
    """Counts 1-clock pulses of a DUT signal; optionally records a value
    sampled with each pulse."""

    def __init__(self, dut, sig, value=None):
        self.dut = dut
        self.sig = sig
        self.value = value
        self.count = 0
        self.values: list[int] = []
        cocotb.start_soon(self._run())

    async def _run(self):
        while True:
            await RisingEdge(self.dut.clk)
            if self.sig.value.is_resolvable and int(self.sig.value):
                self.count += 1
                if self.value is not None:
                    self.values.append(int(self.value.value))


@dataclass
class WireFrame:
    data: bytes
    er: list[int]
    start: int  # clock index of the first tx_en byte
    end: int  # clock index of the last tx_en byte


@dataclass
class WireMonitor:
    """Records every GMII burst (en high) with its clock indices, so gaps
    and periods can be measured exactly in clocks."""

    dut: object
    data: object
    en: object
    er: object
    frames: list[WireFrame] = field(default_factory=list)
    cycle: int = 0

    def __post_init__(self):
        cocotb.start_soon(self._run())

    async def _run(self):
        cur = None
        while True:
            await RisingEdge(self.dut.clk)
            self.cycle += 1
            en = self.en.value
            on = en.is_resolvable and int(en) == 1
            if on:
                if cur is None:
                    cur = (bytearray(), [], self.cycle)
                cur[0].append(int(self.data.value))
                cur[1].append(int(self.er.value))
            elif cur is not None:
                self.frames.append(WireFrame(bytes(cur[0]), cur[1], cur[2], self.cycle - 1))
                cur = None

    def gaps(self) -> list[int]:
        """Idle clocks between consecutive bursts."""
        return [b.start - a.end - 1 for a, b in zip(self.frames, self.frames[1:])]


class ByteStreamSource:
    """8-bit AXI-Stream source with per-frame sideband (dict of signal ->
    value held for the whole frame). ``stall`` maps (frame index, byte
    index) -> clocks with tvalid low before that byte."""

    def __init__(self, dut, prefix: str = "s_axis", has_ready: bool = True):
        self.dut = dut
        self.tdata = getattr(dut, f"{prefix}_tdata")
        self.tvalid = getattr(dut, f"{prefix}_tvalid")
        self.tlast = getattr(dut, f"{prefix}_tlast")
        self.tready = getattr(dut, f"{prefix}_tready") if has_ready else None
        self.queue: deque = deque()
        self.sent = 0
        self.stall: dict[tuple[int, int], int] = {}
        self.tvalid.value = 0
        self.tlast.value = 0
        self.tdata.value = 0
        cocotb.start_soon(self._run())

    def send(self, data: bytes, **side) -> None:
        assert len(data) > 0
        self.queue.append((bytes(data), side))

    def idle(self) -> bool:
        return not self.queue and self._busy is False

    _busy = False

    async def _run(self):
        clk = self.dut.clk
        await RisingEdge(clk)
        while True:
            if not self.queue:
                self._busy = False
                self.tvalid.value = 0
                self.tlast.value = 0
                await RisingEdge(clk)
                continue
            self._busy = True
            data, side = self.queue.popleft()
            idx = self.sent
            for name, val in side.items():
                getattr(self.dut, name).value = val
            i = 0
            while i < len(data):
                gap = self.stall.get((idx, i), 0)
                if gap:
                    self.tvalid.value = 0
                    self.stall[(idx, i)] = 0
                    for _ in range(gap):
                        await RisingEdge(clk)
                self.tdata.value = data[i]
                self.tlast.value = int(i == len(data) - 1)
                self.tvalid.value = 1
                await RisingEdge(clk)
                if self.tready is None or int(self.tready.value):
                    i += 1
            self.sent += 1
            self.tvalid.value = 0
            self.tlast.value = 0
