"""mac_tx_gmii: framing, padding, FCS, gap and underrun, checked by
cocotbext-eth's GmiiSink plus a clock-exact wire monitor."""

from __future__ import annotations

import logging
import random

import cocotb
from cocotb.triggers import RisingEdge
from cocotbext.eth import GmiiSink

from cocotb_run import RTL, run
from tbutil import ByteStreamSource, PulseCounter, WireMonitor, fcs, start, wait_until

PREAMBLE = b"\x55" * 7 + b"\xd5"


class TB:
    def __init__(self, dut):
        self.dut = dut
        dut.cfg_ipg.value = 12
        dut.cfg_pad.value = 1
        dut.cfg_enable.value = 1
        dut.s_axis_tuser_ifcs.value = 1
        self.src = ByteStreamSource(dut)
        self.sink = GmiiSink(dut.gmii_txd, dut.gmii_tx_er, dut.gmii_tx_en, dut.clk)
        self.sink.log.setLevel(logging.WARNING)
        self.wire = WireMonitor(dut, dut.gmii_txd, dut.gmii_tx_en, dut.gmii_tx_er)
        self.frames = PulseCounter(dut, dut.stat_tx_frame, dut.stat_tx_bytes)
        self.underruns = PulseCounter(dut, dut.stat_tx_underrun)

    async def drain(self, nframes: int, limit: int) -> None:
        await wait_until(
            self.dut,
            lambda: len(self.wire.frames) >= nframes and not int(self.dut.busy.value),
            limit,
            f"{nframes} frames on the wire",
        )


def expected_wire(payload: bytes, ifcs: bool, pad: bool) -> bytes:
    body = bytes(payload)
    if ifcs and pad and len(body) < 60:
        body += bytes(60 - len(body))
    if ifcs:
        body += fcs(body)
    return body


def rand_frame(rng: random.Random, n: int) -> bytes:
    return bytes(rng.randrange(256) for _ in range(n))


async def check_frames(tb: TB, sent: list[tuple[bytes, bool, bool]]) -> None:
    # The preamble is checked on our clock-exact wire capture: the installed
    # GmiiSink (cocotbext-eth 0.1.28) does not record the first byte of a
    # burst that starts after idle, so its get_preamble() has 6 x 0x55.
    for i, (payload, ifcs, pad) in enumerate(sent):
        rx = await tb.sink.recv()
        want = expected_wire(payload, ifcs, pad)
        wire = tb.wire.frames[i].data
        assert wire[:8] == PREAMBLE, f"frame {i}: preamble {wire[:8].hex()}"
        assert wire[8:] == want, f"frame {i}: wire content"
        assert rx.get_preamble()[-1] == 0xD5, f"frame {i}: SFD"
        assert rx.get_payload(strip_fcs=False) == want, f"frame {i} content"
        if ifcs:
            assert rx.check_fcs(), f"frame {i}: FCS"
        assert rx.error is None, f"frame {i}: tx_er set"
    assert tb.sink.empty()
    assert tb.frames.count == len(sent)
    assert tb.frames.values == [len(expected_wire(p, i, d)) for p, i, d in sent]
    assert tb.underruns.count == 0


@cocotb.test()
async def frames_fcs_and_padding(dut):
    """Random lengths 1..1514 with IFCS and PSP: preamble, SFD, pad, FCS."""
    tb = TB(dut)
    await start(dut)
    rng = random.Random(101)
    lens = [1, 13, 14, 59, 60, 61, 63, 64, 1514] + [rng.randrange(1, 1515) for _ in range(12)]
    sent = []
    for n in lens:
        p = rand_frame(rng, n)
        tb.src.send(p, s_axis_tuser_ifcs=1)
        sent.append((p, True, True))
    await tb.drain(len(sent), 40000)
    await check_frames(tb, sent)
    assert all(g == 12 for g in tb.wire.gaps()), tb.wire.gaps()


@cocotb.test()
async def no_pad_and_no_fcs(dut):
    """PSP off leaves short frames short; IFCS off sends neither FCS nor pad."""
    tb = TB(dut)
    await start(dut)
    rng = random.Random(202)
    sent = []
    dut.cfg_pad.value = 0
    for n in (20, 59, 100):
        p = rand_frame(rng, n)
        tb.src.send(p, s_axis_tuser_ifcs=1)
        sent.append((p, True, False))
    await tb.drain(len(sent), 4000)
    dut.cfg_pad.value = 1
    for n in (20, 64, 300):
        p = rand_frame(rng, n)
        tb.src.send(p, s_axis_tuser_ifcs=0)
        sent.append((p, False, True))
    await tb.drain(len(sent), 4000)
    await check_frames(tb, sent)


@cocotb.test()
async def gap_follows_ipg(dut):
    """Back-to-back frames: idle clocks equal max(IPGT, 12)."""
    tb = TB(dut)
    await start(dut)
    rng = random.Random(303)
    total = 0
    for ipg in (12, 0, 5, 13, 40, 1023):
        dut.cfg_ipg.value = ipg
        first = len(tb.wire.frames)
        for _ in range(4):
            tb.src.send(rand_frame(rng, rng.randrange(60, 200)), s_axis_tuser_ifcs=1)
        total += 4
        await tb.drain(total, 20000)
        gaps = tb.wire.gaps()[first:]
        assert gaps == [max(ipg, 12)] * 3, f"IPGT {ipg}: gaps {gaps}"
    for _ in range(total):
        assert (await tb.sink.recv()).check_fcs()


@cocotb.test()
async def line_rate_1518(dut):
    """1514-byte frames + FCS back to back: one frame every 1538 clocks."""
    tb = TB(dut)
    await start(dut)
    rng = random.Random(404)
    n = 6
    for _ in range(n):
        tb.src.send(rand_frame(rng, 1514), s_axis_tuser_ifcs=1)
    await tb.drain(n, 20000)
    starts = [f.start for f in tb.wire.frames]
    assert [b - a for a, b in zip(starts, starts[1:])] == [1538] * (n - 1)
    assert all(len(f.data) == 8 + 1518 for f in tb.wire.frames)
    assert tb.frames.values == [1518] * n
    for _ in range(n):
        assert (await tb.sink.recv()).check_fcs()


@cocotb.test()
async def enable_gates_new_frames(dut):
    """TCTL.EN low holds new frames; dropping it mid-frame finishes the frame."""
    tb = TB(dut)
    dut.cfg_enable.value = 0
    await start(dut)
    rng = random.Random(505)
    p1 = rand_frame(rng, 200)
    p2 = rand_frame(rng, 80)
    tb.src.send(p1, s_axis_tuser_ifcs=1)
    tb.src.send(p2, s_axis_tuser_ifcs=1)
    for _ in range(300):
        await RisingEdge(dut.clk)
        assert not int(dut.gmii_tx_en.value)
    dut.cfg_enable.value = 1
    await wait_until(dut, lambda: int(dut.gmii_tx_en.value) == 1, 20, "tx_en")
    for _ in range(50):
        await RisingEdge(dut.clk)
    dut.cfg_enable.value = 0
    await tb.drain(1, 1000)
    for _ in range(400):
        await RisingEdge(dut.clk)
    assert len(tb.wire.frames) == 1
    rx = await tb.sink.recv()
    assert rx.get_payload() == p1 and rx.check_fcs()
    dut.cfg_enable.value = 1
    await tb.drain(2, 1000)
    rx = await tb.sink.recv()
    assert rx.get_payload() == p2 and rx.check_fcs()


@cocotb.test()
async def underrun_sets_tx_er(dut):
    """tvalid dropping inside a frame: one tx_er byte ends it, counted once;
    the next frame is clean."""
    tb = TB(dut)
    await start(dut)
    rng = random.Random(606)
    p1 = rand_frame(rng, 100)
    p2 = rand_frame(rng, 100)
    tb.src.stall[(0, 40)] = 5
    tb.src.send(p1, s_axis_tuser_ifcs=1)
    tb.src.send(p2, s_axis_tuser_ifcs=1)
    await tb.drain(2, 4000)
    bad = tb.wire.frames[0]
    assert len(bad.data) == 8 + 40 + 1
    assert bad.data[8:48] == p1[:40]
    assert bad.er == [0] * 48 + [1]
    assert tb.underruns.count == 1
    assert tb.frames.count == 1 and tb.frames.values == [104]
    assert tb.wire.gaps()[0] >= 12 + 60  # drained the rest, then the gap
    await tb.sink.recv()
    rx = await tb.sink.recv()
    assert rx.get_payload() == p2 and rx.check_fcs() and rx.error is None


def test_mac_tx_gmii(sim):
    run("mac_tx_gmii", [RTL / "mac_tx_gmii.v", RTL / "crc32_8.v"], "test_mac_tx_gmii", sim=sim)
