"""mac_rx_gmii + rx_filter + rx_fifo (tb_mac_rx_path.v): framing, error
handling, SBP/SECRC, checksum, missed frames and exact counter pulses.
Frames come from cocotbext-eth's GmiiSource."""

from __future__ import annotations

import random

import cocotb
from cocotb.triggers import RisingEdge
from cocotbext.eth import GmiiFrame

from cocotb_run import run
from rxpath_tb import (
    BCAST,
    DEPTH,
    OUR_MAC,
    PARAMS,
    SOURCES,
    STATS,
    TOPLEVEL,
    RxPathTB,
    make_frame,
)
from tbutil import csum16, wait_until


def expect(**kw) -> dict[str, int]:
    d = {k: 0 for k in STATS}
    d.update(kw)
    return d


def check_good(tb: RxPathTB, sent: list[bytes], secrc: bool, pcss: int) -> None:
    assert len(tb.frames) == len(sent), f"{len(tb.frames)} frames delivered, {len(sent)} sent"
    for i, (rx, f) in enumerate(zip(tb.frames, sent)):
        want = f[:-4] if secrc else f
        assert rx.data == want, f"frame {i} content"
        assert rx.length == len(want)
        assert rx.csum == csum16(want, pcss), f"frame {i}: csum {rx.csum:04x} != {csum16(want, pcss):04x}"
        assert rx.errors == 0 and rx.status == 0


@cocotb.test()
async def preamble_lengths(dut):
    """Any preamble length (0, 1, 2, 7, 12) before the SFD; frames kept with
    FCS, checksum from PCSS 14; exact counters and byte counts."""
    tb = RxPathTB(dut)
    await tb.start()
    rng = random.Random(11)
    sent = []
    for pre in (0, 1, 2, 7, 12):
        for n in (64, 65, 71, 200):
            f = make_frame(OUR_MAC, n, rng)
            tb.send(f, preamble=pre)
            sent.append(f)
    await tb.settle()
    check_good(tb, sent, secrc=False, pcss=14)
    assert tb.counts() == expect(total=len(sent), good=len(sent))
    assert tb.bytes.values == [len(f) for f in sent]


@cocotb.test()
async def bursts_without_frame_ignored(dut):
    """Bursts that never become a frame are neither stored nor counted:
    rx_dv falling before the SFD, right after it, a byte other than 0x55
    before the SFD, rx_er in the preamble. Frames around them are kept."""
    tb = RxPathTB(dut, seed=12)
    await tb.start()
    rng = random.Random(12)
    good = [make_frame(OUR_MAC, 80, rng) for _ in range(2)]
    tb.send(good[0])
    tb.source.send_nowait(GmiiFrame(b"\x55" * 7))  # no SFD
    tb.source.send_nowait(GmiiFrame(b"\x55" * 7 + b"\xd5"))  # SFD, no data
    tb.source.send_nowait(GmiiFrame(b"\x55\x55\x12\x55\xd5" + make_frame(OUR_MAC, 80, rng)))
    raw = b"\x55" * 7 + b"\xd5" + make_frame(OUR_MAC, 80, rng)
    err = [0] * len(raw)
    err[3] = 1
    tb.source.send_nowait(GmiiFrame(raw, err))  # rx_er in the preamble
    tb.send(good[1])
    await tb.settle()
    check_good(tb, good, secrc=False, pcss=14)
    assert tb.counts() == expect(total=2, good=2)


@cocotb.test()
async def secrc_and_pcss(dut):
    """SECRC strips the FCS from data, length and checksum; PCSS 0, odd and
    beyond the frame end."""
    tb = RxPathTB(dut, ready_prob=0.6, seed=22)
    await tb.start()
    rng = random.Random(22)
    total = 0
    for secrc, pcss in ((1, 14), (1, 0), (1, 33), (0, 0), (0, 35), (1, 250)):
        dut.cfg_secrc.value = secrc
        dut.cfg_pcss.value = pcss
        tb.frames.clear()
        sent = [make_frame(OUR_MAC, n, rng) for n in (64, 67, 128, 333, 1518)]
        for f in sent:
            tb.send(f)
        await tb.settle()
        check_good(tb, sent, secrc=bool(secrc), pcss=pcss)
        total += len(sent)
    # GORC counts DA through FCS whatever SECRC says.
    assert tb.counts() == expect(total=total, good=total)
    assert all(v >= 64 for v in tb.bytes.values)


@cocotb.test()
async def bad_frames_dropped_and_counted(dut):
    """Bad FCS, runt, oversize and rx_er frames never reach the read side;
    each counts exactly once; good frames around them are intact."""
    tb = RxPathTB(dut, ready_prob=0.8, seed=33)
    await tb.start()
    rng = random.Random(33)
    good = []

    def g(n):
        f = make_frame(OUR_MAC, n, rng)
        good.append(f)
        tb.send(f)

    g(100)
    bad = bytearray(make_frame(OUR_MAC, 100, rng))
    bad[50] ^= 0x10
    tb.send(bytes(bad))  # CRCERRS
    g(64)
    tb.send(make_frame(OUR_MAC, 63, rng))  # RUC: 63 bytes with a valid FCS
    tb.send(make_frame(OUR_MAC, 20, rng))  # RUC
    g(1518)
    tb.send(make_frame(OUR_MAC, 1519, rng))  # ROC
    tb.send(make_frame(OUR_MAC, 300, rng), error_at=120)  # RXERRC
    tb.send(make_frame(OUR_MAC, 300, rng), error_at=299)  # RXERRC, in the FCS
    # Several faults: one counter each, by priority rx_er > oversize > runt > FCS.
    short_bad = bytearray(make_frame(OUR_MAC, 40, rng))
    short_bad[30] ^= 1
    tb.send(bytes(short_bad))  # runt + FCS -> RUC
    tb.send(make_frame(OUR_MAC, 40, rng), error_at=20)  # runt + rx_er -> RXERRC
    long_bad = bytearray(make_frame(OUR_MAC, 1600, rng))
    long_bad[10] ^= 1
    tb.send(bytes(long_bad))  # oversize + FCS -> ROC
    g(65)
    await tb.settle()
    check_good(tb, good, secrc=False, pcss=14)
    assert tb.counts() == expect(total=13, good=4, crc_err=1, runt=3, oversize=2, er=3)


@cocotb.test()
async def store_bad_packets(dut):
    """SBP keeps FCS and rx_er frames with CE / RXE set, but never runts or
    oversize frames; they do not count as good."""
    tb = RxPathTB(dut, seed=44)
    await tb.start()
    dut.cfg_sbp.value = 1
    rng = random.Random(44)
    bad = bytearray(make_frame(OUR_MAC, 100, rng))
    bad[20] ^= 0x80
    tb.send(bytes(bad))
    er = make_frame(OUR_MAC, 90, rng)
    tb.send(er, error_at=40)
    both = bytearray(make_frame(OUR_MAC, 80, rng))
    both[30] ^= 2
    tb.send(bytes(both), error_at=10)
    tb.send(make_frame(OUR_MAC, 50, rng))  # runt: dropped even with SBP
    tb.send(make_frame(OUR_MAC, 1600, rng))  # oversize: dropped
    ok = make_frame(OUR_MAC, 70, rng)
    tb.send(ok)
    await tb.settle()
    assert [f.data for f in tb.frames] == [bytes(bad), er, bytes(both), ok]
    assert [f.errors for f in tb.frames] == [0x01, 0x80, 0x81, 0x00]
    assert tb.counts() == expect(total=6, good=1, crc_err=1, er=2, runt=1, oversize=1)


@cocotb.test()
async def long_packets(dut):
    """LPE raises the limit from 1518 to 16384 bytes incl. FCS."""
    tb = RxPathTB(dut, seed=55)
    await tb.start()
    rng = random.Random(55)
    dut.cfg_lpe.value = 1
    f1 = make_frame(OUR_MAC, 1519, rng)
    f2 = make_frame(OUR_MAC, 3000, rng)
    tb.send(f1)
    tb.send(f2)
    tb.send(make_frame(OUR_MAC, 16385, rng))  # over the LPE limit: ROC
    # 16384 is legal with LPE but larger than this FIFO (DEPTH 4096): missed.
    tb.send(make_frame(OUR_MAC, 16384, rng))
    await tb.settle()
    assert [f.data for f in tb.frames] == [f1, f2]
    assert tb.counts() == expect(total=4, good=2, oversize=1, missed=1)


@cocotb.test()
async def full_fifo_drops_whole_frames(dut):
    """With the DMA not reading, frames wait while they fit; the next ones
    are dropped whole (MPC); later every kept frame comes out intact, in
    order, and nothing partial is ever visible."""
    tb = RxPathTB(dut, ready_prob=0.7, seed=66)
    tb.hold = True
    await tb.start()
    rng = random.Random(66)
    sent = [make_frame(OUR_MAC, 1000, rng) for _ in range(5)]
    for f in sent:
        tb.send(f)
    await tb.settle()
    # 1000 bytes occupy 125 words: 4 frames fit in 4096 bytes (512 words).
    assert tb.frames == []
    assert tb.counts() == expect(total=5, good=4, missed=1)
    # 96 bytes left: a 64-byte frame still fits, a 100-byte one does not.
    small = make_frame(OUR_MAC, 64, rng)
    tb.send(small)
    tb.send(make_frame(OUR_MAC, 100, rng))
    await tb.settle()
    assert tb.counts() == expect(total=7, good=5, missed=2)
    assert tb.frames == []
    tb.hold = False
    await wait_until(dut, lambda: int(dut.empty.value) == 1, 5000, "FIFO drained")
    assert [f.data for f in tb.frames] == sent[:4] + [small]
    # Space is back after draining.
    tb.frames.clear()
    again = [make_frame(OUR_MAC, 1000, rng) for _ in range(3)]
    for f in again:
        tb.send(f)
    await tb.settle()
    assert [f.data for f in tb.frames] == again
    assert DEPTH == 4096


@cocotb.test()
async def disabled_and_flush(dut):
    """RCTL.EN low: frames ignored and not counted. flush drops stored
    frames and the frame being received; traffic continues after it."""
    tb = RxPathTB(dut, seed=77)
    await tb.start()
    rng = random.Random(77)
    dut.cfg_rx_en.value = 0
    for _ in range(3):
        tb.send(make_frame(OUR_MAC, 100, rng))
    await tb.settle()
    assert tb.frames == [] and tb.counts() == expect()
    dut.cfg_rx_en.value = 1
    tb.hold = True
    for _ in range(2):
        tb.send(make_frame(OUR_MAC, 100, rng))
    await tb.settle()
    assert tb.counts() == expect(total=2, good=2)
    # Flush in the middle of a third frame.
    tb.send(make_frame(OUR_MAC, 400, rng))
    await wait_until(dut, lambda: int(dut.mac_busy.value) == 1, 200, "frame start")
    for _ in range(100):
        await RisingEdge(dut.clk)
    dut.flush.value = 1
    await RisingEdge(dut.clk)
    dut.flush.value = 0
    await tb.settle()
    assert int(dut.empty.value) == 1
    tb.hold = False
    after = make_frame(OUR_MAC, 80, rng)
    tb.send(after)
    await tb.settle()
    assert [f.data for f in tb.frames] == [after]
    assert tb.counts() == expect(total=3, good=3)


@cocotb.test()
async def line_rate_back_to_back(dut):
    """Minimum-gap frames at line rate with the DMA always ready: all kept."""
    tb = RxPathTB(dut, seed=88)
    await tb.start()
    rng = random.Random(88)
    sent = [make_frame(OUR_MAC, rng.choice((64, 65, 127, 512, 1518)), rng) for _ in range(24)]
    for f in sent:
        tb.send(f)
    await tb.settle()
    check_good(tb, sent, secrc=False, pcss=14)
    assert tb.counts() == expect(total=len(sent), good=len(sent))


@cocotb.test()
async def random_mix_against_model(dut):
    """A seeded random mix of good, bad-FCS, runt, oversize, rx_er, filtered
    and broadcast frames, with and without SBP/SECRC and with random DMA
    back-pressure: delivered frames and every counter equal a Python model."""
    tb = RxPathTB(dut, ready_prob=0.5, seed=99)
    await tb.start()
    rng = random.Random(9999)
    other = bytes.fromhex("02aabbccdd02")
    for sbp, secrc in ((0, 0), (1, 1), (1, 0)):
        dut.cfg_sbp.value = sbp
        dut.cfg_secrc.value = secrc
        tb.frames.clear()
        before = tb.counts()
        want = expect()
        delivered = []
        for _ in range(30):
            dst = rng.choice((OUR_MAC, OUR_MAC, OUR_MAC, BCAST, other))
            n = rng.choice((rng.randint(20, 63), rng.randint(64, 400), rng.randint(64, 400), 1518, rng.randint(1519, 1530)))
            f = bytearray(make_frame(dst, n, rng))
            fcs_bad = rng.random() < 0.2
            if fcs_bad:
                f[rng.randrange(n)] ^= 1 << rng.randrange(8)
            rx_er = rng.random() < 0.15
            tb.send(bytes(f), error_at=rng.randrange(n) if rx_er else None)
            want["total"] += 1
            if rx_er:
                want["er"] += 1
            elif n > 1518:
                want["oversize"] += 1
            elif n < 64:
                want["runt"] += 1
            elif fcs_bad:
                want["crc_err"] += 1
            bad = fcs_bad or rx_er
            if dst in (OUR_MAC, BCAST) and 64 <= n <= 1518 and (not bad or sbp):
                delivered.append((bytes(f[:-4] if secrc else f), 0x80 * rx_er | int(fcs_bad)))
                if not bad:
                    want["good"] += 1
                    want["bcast"] += dst == BCAST
        await tb.settle()
        got = {k: v - before[k] for k, v in tb.counts().items()}
        assert got == want, f"SBP {sbp} SECRC {secrc}: {got} != {want}"
        assert [(f.data, f.errors) for f in tb.frames] == delivered


def test_mac_rx_fifo(sim):
    run(TOPLEVEL, SOURCES, "test_mac_rx_fifo", parameters=PARAMS, sim=sim)
