"""Small testbench pieces shared by the MAC/FIFO cocotb tests.

Convention: monitors and drivers read DUT outputs right at ``RisingEdge``
(the values that the flops sampled, as cocotbext-axi/eth do) and write DUT
inputs after it. Every wait is bounded in clock cycles.
"""

from __future__ import annotations

import random
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


@dataclass
class TxReq:
    """One frame for the TX DMA side: bytes, descriptor sideband, and the
    byte count of each 64-bit beat (random 1..8 when left empty)."""

    data: bytes
    ifcs: int = 1
    ic: int = 0
    css: int = 0
    cso: int = 0
    abort: int = 0
    chunks: list[int] = field(default_factory=list)


class Axis64Source:
    """64-bit AXI-Stream source in the TX DMA's shape (s_axis_* with tkeep
    and tuser_ifcs/ic/css/cso/abort). Beats carry 1..8 bytes from lane 0 and
    garbage above; sideband is meaningful on the first beat (abort on the
    last) and random elsewhere. valid_prob < 1 inserts seeded idle clocks."""

    def __init__(self, dut, rng: random.Random, valid_prob: float = 1.0):
        self.dut = dut
        self.rng = rng
        self.valid_prob = valid_prob
        self.queue: deque[TxReq] = deque()
        self.busy = False
        for name in ("tvalid", "tdata", "tkeep", "tlast", "tuser_ifcs", "tuser_ic",
                     "tuser_css", "tuser_cso", "tuser_abort"):
            getattr(dut, f"s_axis_{name}").value = 0

    def start(self) -> None:
        cocotb.start_soon(self._source())

    def send(self, req: TxReq) -> None:
        if not req.chunks:
            left = len(req.data)
            while left:
                c = min(left, self.rng.randint(1, 8))
                req.chunks.append(c)
                left -= c
        assert sum(req.chunks) == len(req.data) and all(1 <= c <= 8 for c in req.chunks)
        self.queue.append(req)

    async def _source(self):
        dut = self.dut
        while True:
            if not self.queue:
                self.busy = False
                dut.s_axis_tvalid.value = 0
                await RisingEdge(dut.clk)
                continue
            self.busy = True
            req = self.queue.popleft()
            pos = 0
            for i, c in enumerate(req.chunks):
                while self.rng.random() >= self.valid_prob:
                    dut.s_axis_tvalid.value = 0
                    await RisingEdge(dut.clk)
                chunk = req.data[pos : pos + c]
                dut.s_axis_tdata.value = int.from_bytes(chunk + bytes(8 - c), "little") | (
                    # garbage in the lanes above tkeep
                    int.from_bytes(bytes(self.rng.randrange(256) for _ in range(8 - c)), "little") << (8 * c)
                )
                dut.s_axis_tkeep.value = (1 << c) - 1
                last = i == len(req.chunks) - 1
                dut.s_axis_tlast.value = int(last)
                # Sideband counts on the first beat only (abort on the last):
                # other beats carry garbage to prove it.
                if i == 0:
                    dut.s_axis_tuser_ifcs.value = req.ifcs
                    dut.s_axis_tuser_ic.value = req.ic
                    dut.s_axis_tuser_css.value = req.css
                    dut.s_axis_tuser_cso.value = req.cso
                else:
                    dut.s_axis_tuser_ifcs.value = self.rng.randrange(2)
                    dut.s_axis_tuser_ic.value = self.rng.randrange(2)
                    dut.s_axis_tuser_css.value = self.rng.randrange(256)
                    dut.s_axis_tuser_cso.value = self.rng.randrange(256)
                dut.s_axis_tuser_abort.value = req.abort if last else self.rng.randrange(2)
                dut.s_axis_tvalid.value = 1
                await RisingEdge(dut.clk)
                for _ in range(100000):
                    if int(dut.s_axis_tready.value):
                        break
                    await RisingEdge(dut.clk)
                else:
                    raise AssertionError("tready stuck low")
                pos += c
            dut.s_axis_tvalid.value = 0

