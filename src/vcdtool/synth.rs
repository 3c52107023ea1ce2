//! Synthetic dumps of the NIC's ports, written cycle by cycle with the `vcd`
//! crate's writer: hand-made test cases (good and broken framing, AXI
//! protocol errors) and arbitrarily large dumps for the memory-bound tests
//! and the benchmark. Nothing is buffered: the dump streams to the writer.

use std::collections::HashMap;
use std::io::{self, Write};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vcd::{IdCode, ReferenceIndex, TimescaleUnit, Value, VarType};

use super::gmii::{Port, append_fcs};

/// Where, within a timestamp, the generator puts the changes driven for the
/// next edge. The decoder must give the same result for all three.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeOrder {
    /// At the rising-edge timestamp, clock listed first (Verilator style).
    ClockFirst,
    /// At the rising-edge timestamp, clock listed last.
    ClockLast,
    /// At the falling-edge timestamp (a testbench driving on the falling
    /// edge).
    FallingEdge,
}

/// Shape of a synthetic dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynthConfig {
    /// Scope path of the NIC's ports, e.g. `["TOP", "nic_top"]`.
    pub scope: Vec<String>,
    pub order: ChangeOrder,
    /// Half clock period in picoseconds (4000: 125 MHz).
    pub half_period_ps: u64,
    /// Declare the AXI4-Lite and AXI4 ports.
    pub axi: bool,
    /// DMA data width in bits.
    pub axi_data_width: u32,
    /// Also dump a 32-bit free-running counter that changes every cycle, as
    /// real designs do (makes large dumps realistic).
    pub counter: bool,
    /// Values at time 0 other than the defaults (everything 0 but `rst`,
    /// which starts high): e.g. a dump that starts in the middle of a run,
    /// as a trace window does.
    pub initial: Vec<(String, u64)>,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            scope: vec!["TOP".to_string(), "nic_top".to_string()],
            order: ChangeOrder::ClockFirst,
            half_period_ps: 4000,
            axi: true,
            axi_data_width: 64,
            counter: false,
            initial: Vec::new(),
        }
    }
}

struct CountingWriter<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

struct SynSig {
    id: IdCode,
    width: u32,
    /// `None`: x.
    value: Option<u64>,
    staged: Option<Option<u64>>,
}

/// A cycle-by-cycle dump writer. Values given to [`SynthVcd::drive`] are
/// written right after the next edge, so the edge after that samples them:
/// see [`SynthVcd::sample_cycle`].
pub struct SynthVcd<W: Write> {
    w: vcd::Writer<CountingWriter<W>>,
    sigs: Vec<SynSig>,
    by_name: HashMap<String, usize>,
    clk: IdCode,
    counter: Option<usize>,
    order: ChangeOrder,
    half: u64,
    ticks: u64,
    data_width: u32,
}

fn bad_name(name: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("synthetic dump has no signal {name:?}"),
    )
}

impl<W: Write> SynthVcd<W> {
    /// Writes the header and the initial values (clock low, everything else
    /// 0 except `rst`, which starts high).
    pub fn new(out: W, cfg: &SynthConfig) -> io::Result<Self> {
        let mut w = vcd::Writer::new(CountingWriter {
            inner: out,
            bytes: 0,
        });
        w.timescale(1, TimescaleUnit::PS)?;
        for s in &cfg.scope {
            w.add_module(s)?;
        }
        let mut list: Vec<(String, u32)> = vec![("clk".into(), 1), ("rst".into(), 1)];
        for (d, en, er) in [("txd", "tx_en", "tx_er"), ("rxd", "rx_dv", "rx_er")] {
            list.push((format!("gmii_{d}"), 8));
            list.push((format!("gmii_{en}"), 1));
            list.push((format!("gmii_{er}"), 1));
        }
        let dw = cfg.axi_data_width.max(8);
        if cfg.axi {
            for (n, wd) in [
                ("awaddr", 17),
                ("awprot", 3),
                ("awvalid", 1),
                ("awready", 1),
                ("wdata", 32),
                ("wstrb", 4),
                ("wvalid", 1),
                ("wready", 1),
                ("bresp", 2),
                ("bvalid", 1),
                ("bready", 1),
                ("araddr", 17),
                ("arprot", 3),
                ("arvalid", 1),
                ("arready", 1),
                ("rdata", 32),
                ("rresp", 2),
                ("rvalid", 1),
                ("rready", 1),
            ] {
                list.push((format!("s_axil_{n}"), wd));
            }
            for (n, wd) in [
                ("awid", 4),
                ("awaddr", 64),
                ("awlen", 8),
                ("awsize", 3),
                ("awburst", 2),
                ("awvalid", 1),
                ("awready", 1),
                ("wdata", dw),
                ("wstrb", dw / 8),
                ("wlast", 1),
                ("wvalid", 1),
                ("wready", 1),
                ("bid", 4),
                ("bresp", 2),
                ("bvalid", 1),
                ("bready", 1),
                ("arid", 4),
                ("araddr", 64),
                ("arlen", 8),
                ("arsize", 3),
                ("arburst", 2),
                ("arvalid", 1),
                ("arready", 1),
                ("rid", 4),
                ("rdata", dw),
                ("rresp", 2),
                ("rlast", 1),
                ("rvalid", 1),
                ("rready", 1),
            ] {
                list.push((format!("m_axi_{n}"), wd));
            }
        }
        if cfg.counter {
            list.push(("cycle_counter".into(), 32));
        }
        let mut sigs = Vec::new();
        let mut by_name = HashMap::new();
        for (name, width) in list {
            let index = (width > 1).then(|| ReferenceIndex::Range(width as i32 - 1, 0));
            let id = w.add_var(VarType::Wire, width, &name, index)?;
            let value = cfg
                .initial
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(u64::from(name == "rst"), |(_, v)| *v);
            by_name.insert(name.clone(), sigs.len());
            sigs.push(SynSig {
                id,
                width,
                value: Some(value),
                staged: None,
            });
        }
        for _ in &cfg.scope {
            w.upscope()?;
        }
        w.enddefinitions()?;
        w.timestamp(0)?;
        w.begin(vcd::SimulationCommand::Dumpvars)?;
        for s in &sigs {
            write_value(&mut w, s.id, s.width, s.value)?;
        }
        w.end()?;
        let clk = sigs[0].id;
        let counter = by_name.get("cycle_counter").copied();
        Ok(SynthVcd {
            w,
            sigs,
            by_name,
            clk,
            counter,
            order: cfg.order,
            half: cfg.half_period_ps.max(1),
            ticks: 0,
            data_width: dw,
        })
    }

    /// Drives `name` to `value` from the next edge on (x with `None`).
    pub fn drive_opt(&mut self, name: &str, value: Option<u64>) -> io::Result<()> {
        let i = *self.by_name.get(name).ok_or_else(|| bad_name(name))?;
        self.sigs[i].staged = Some(value);
        Ok(())
    }

    /// Drives `name` to `value` from the next edge on.
    pub fn drive(&mut self, name: &str, value: u64) -> io::Result<()> {
        self.drive_opt(name, Some(value))
    }

    /// The clock cycle (rising edges counted from 0) that samples values
    /// driven now.
    pub fn sample_cycle(&self) -> u64 {
        self.ticks + 1
    }

    /// Rising edges written so far.
    pub fn ticks(&self) -> u64 {
        self.ticks
    }

    /// Bytes of VCD written so far.
    pub fn bytes_written(&mut self) -> u64 {
        self.w.writer().bytes
    }

    /// DMA data width in bits.
    pub fn data_width(&self) -> u32 {
        self.data_width
    }

    fn write_staged(&mut self) -> io::Result<()> {
        if let Some(c) = self.counter {
            let v = self.sigs[c].value.unwrap_or(0).wrapping_add(1) & 0xffff_ffff;
            self.sigs[c].staged = Some(Some(v));
        }
        for s in &mut self.sigs {
            if let Some(v) = s.staged.take().filter(|v| *v != s.value) {
                s.value = v;
                write_value(&mut self.w, s.id, s.width, v)?;
            }
        }
        Ok(())
    }

    /// One clock period: the rising edge (which samples the values driven
    /// before the previous `tick`), then the falling edge.
    pub fn tick(&mut self) -> io::Result<()> {
        let rise = self.ticks * 2 * self.half + self.half;
        self.w.timestamp(rise)?;
        match self.order {
            ChangeOrder::ClockFirst => {
                self.w.change_scalar(self.clk, Value::V1)?;
                self.write_staged()?;
                self.w.timestamp(rise + self.half)?;
                self.w.change_scalar(self.clk, Value::V0)?;
            }
            ChangeOrder::ClockLast => {
                self.write_staged()?;
                self.w.change_scalar(self.clk, Value::V1)?;
                self.w.timestamp(rise + self.half)?;
                self.w.change_scalar(self.clk, Value::V0)?;
            }
            ChangeOrder::FallingEdge => {
                self.w.change_scalar(self.clk, Value::V1)?;
                self.w.timestamp(rise + self.half)?;
                self.w.change_scalar(self.clk, Value::V0)?;
                self.write_staged()?;
            }
        }
        self.ticks += 1;
        Ok(())
    }

    /// `n` clock periods that are not dumped at all, as nicsim's world
    /// leaves out the idle stretches it fast-forwards (staged values are
    /// written at the next `tick`).
    pub fn skip(&mut self, n: u64) {
        self.ticks += n;
    }

    /// `n` clock periods.
    pub fn ticks_n(&mut self, n: u64) -> io::Result<()> {
        for _ in 0..n {
            self.tick()?;
        }
        Ok(())
    }

    /// Sends raw bytes on a GMII port, one per cycle, then drops the enable.
    pub fn gmii_bytes(&mut self, port: Port, bytes: &[u8]) -> io::Result<()> {
        let [d, en, _] = port.names();
        let (d, en) = (format!("gmii_{d}"), format!("gmii_{en}"));
        for &b in bytes {
            self.drive(&d, u64::from(b))?;
            self.drive(&en, 1)?;
            self.tick()?;
        }
        self.drive(&en, 0)
    }

    /// Sends a frame (FCS included) with a preamble of `preamble` bytes and
    /// the SFD if `sfd`.
    pub fn gmii_frame_raw(
        &mut self,
        port: Port,
        preamble: usize,
        sfd: bool,
        frame: &[u8],
    ) -> io::Result<()> {
        let mut wire = vec![0x55; preamble];
        if sfd {
            wire.push(0xd5);
        }
        wire.extend_from_slice(frame);
        self.gmii_bytes(port, &wire)
    }

    /// Sends a frame (FCS included) with the standard preamble and SFD.
    pub fn gmii_frame(&mut self, port: Port, frame: &[u8]) -> io::Result<()> {
        self.gmii_frame_raw(port, 7, true, frame)
    }

    /// AXI4-Lite write that completes in `1 + latency` cycles: AW and W in
    /// the same cycle, BVALID `latency` cycles later.
    pub fn axil_write(&mut self, addr: u64, data: u32, latency: u64) -> io::Result<()> {
        for (n, v) in [
            ("awaddr", addr),
            ("awvalid", 1),
            ("awready", 1),
            ("wdata", u64::from(data)),
            ("wstrb", 0xf),
            ("wvalid", 1),
            ("wready", 1),
            ("bready", 1),
        ] {
            self.drive(&format!("s_axil_{n}"), v)?;
        }
        self.tick()?;
        for n in ["awvalid", "awready", "wvalid", "wready"] {
            self.drive(&format!("s_axil_{n}"), 0)?;
        }
        self.ticks_n(latency.saturating_sub(1))?;
        self.drive("s_axil_bvalid", 1)?;
        self.tick()?;
        self.drive("s_axil_bvalid", 0)
    }

    /// AXI4 INCR read burst of `beats` full-width beats, first data
    /// `latency` cycles after the AR handshake, one beat per cycle.
    pub fn axi_read(&mut self, id: u64, addr: u64, beats: u64, latency: u64) -> io::Result<()> {
        let size = u64::from((self.data_width / 8).trailing_zeros());
        for (n, v) in [
            ("arid", id),
            ("araddr", addr),
            ("arlen", beats.saturating_sub(1)),
            ("arsize", size),
            ("arburst", 1),
            ("arvalid", 1),
            ("arready", 1),
            ("rready", 1),
        ] {
            self.drive(&format!("m_axi_{n}"), v)?;
        }
        self.tick()?;
        self.drive("m_axi_arvalid", 0)?;
        self.drive("m_axi_arready", 0)?;
        self.ticks_n(latency.saturating_sub(1))?;
        for beat in 0..beats {
            self.drive("m_axi_rid", id)?;
            self.drive("m_axi_rdata", addr.wrapping_add(beat))?;
            self.drive("m_axi_rvalid", 1)?;
            self.drive("m_axi_rlast", u64::from(beat + 1 == beats))?;
            self.tick()?;
        }
        self.drive("m_axi_rvalid", 0)?;
        self.drive("m_axi_rlast", 0)
    }

    /// Flushes the writer; returns the bytes written. (Pass `&mut Vec<u8>`
    /// or `&mut File` to keep the output.)
    pub fn finish(mut self) -> io::Result<u64> {
        self.w.flush()?;
        Ok(self.bytes_written())
    }
}

fn write_value<W: Write>(
    w: &mut vcd::Writer<W>,
    id: IdCode,
    width: u32,
    v: Option<u64>,
) -> io::Result<()> {
    if width == 1 {
        return w.change_scalar(
            id,
            match v {
                Some(x) => Value::from(x & 1 == 1),
                None => Value::X,
            },
        );
    }
    let bits = (0..width).rev().map(|i| match v {
        None => Value::X,
        Some(x) if i < 64 => Value::from((x >> i) & 1 == 1),
        Some(_) => Value::V0,
    });
    w.change_vector(id, bits)
}

/// An Ethernet frame with FCS: broadcast destination, locally administered
/// source, IPv4 ethertype, `len` bytes including the FCS (at least 18),
/// payload from `rng`.
pub fn random_frame(rng: &mut impl Rng, len: usize) -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
    while f.len() < len.max(18) - 4 {
        f.push(rng.random());
    }
    append_fcs(&mut f);
    f
}

/// What [`write_large_dump`] put in the dump, for checking the decode.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SynthStats {
    pub frames: u64,
    /// Sum of frame lengths with FCS.
    pub frame_bytes: u64,
    pub reg_writes: u64,
    pub read_bursts: u64,
    pub cycles: u64,
    pub bytes: u64,
}

/// Streams a rule-abiding dump of at least `target_bytes` to `out`: TX
/// frames of random length (64..=1518 with FCS) separated by random gaps
/// (12..=40 byte times), each gap carrying a register write and a DMA read
/// burst, plus a free-running counter. Memory use is independent of size.
pub fn write_large_dump<W: Write>(out: W, target_bytes: u64, seed: u64) -> io::Result<SynthStats> {
    let cfg = SynthConfig {
        counter: true,
        ..SynthConfig::default()
    };
    let mut s = SynthVcd::new(out, &cfg)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut st = SynthStats::default();
    s.ticks_n(3)?;
    s.drive("rst", 0)?;
    s.ticks_n(2)?;
    while s.bytes_written() < target_bytes {
        let len: usize = rng.random_range(64..=1518);
        let f = random_frame(&mut rng, len);
        s.gmii_frame(Port::Tx, &f)?;
        st.frames += 1;
        st.frame_bytes += f.len() as u64;
        let gap: u64 = rng.random_range(12..=40);
        let start = s.ticks();
        s.axil_write(0x3818, rng.random(), rng.random_range(1..=3))?;
        st.reg_writes += 1;
        let beats = rng.random_range(1..=4);
        let addr = 0x1_0000 + (rng.random_range(0..=100) * 64);
        s.axi_read(
            rng.random_range(0..=3),
            addr,
            beats,
            rng.random_range(1..=4),
        )?;
        st.read_bursts += 1;
        let used = s.ticks() - start;
        s.ticks_n(gap.saturating_sub(used))?;
    }
    s.ticks_n(2)?;
    st.cycles = s.ticks();
    st.bytes = s.finish()?;
    Ok(st)
}
