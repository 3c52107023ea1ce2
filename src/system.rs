//! Whole systems: hosts (driver + stack + applications) on RTL NICs, and
//! the world loop of `../shared/spec/ARCHITECTURE.md`.
//!
//! One thread runs everything. Host software runs to completion in zero
//! simulated time, except its register accesses, which are bus transactions
//! that tick the hardware (other NICs and wires keep running meanwhile).
//! When no host has work, the hardware runs until an interrupt line rises
//! or the next software timer is due; idle stretches are skipped when every
//! NIC is quiescent (the hardware's fast-forward).

use driver::nic::{Config as DriverConfig, Nic};
use sim::hal::{SharedHardware, SimDma, SimPlatform, SimRegs};
use sim::world::SimError;
use stack::buf::{PacketBuf, PacketId};
use stack::device::{Device, DeviceCaps, TxBusy};
use stack::stack::Stack;
use stack::time::{Duration, Instant};
use stack::transport::Ipv4Transport;
use std::collections::VecDeque;
use std::fmt;

/// The driver on a simulated NIC.
pub type SimNic = Nic<SimRegs, SimDma, SimPlatform>;

/// How often the driver's watchdog runs (e1000 runs it every 2 s; our runs
/// are short, so every millisecond of simulated time).
pub const WATCHDOG_PERIOD: Duration = Duration::from_millis(1);

/// Longest drain after an interrupt, in simulated time: a full TX ring of
/// 256 frames at MTU 1500 takes 3.2 ms on the wire, at MTU 9000 18.5 ms.
pub const DRAIN_MAX: Duration = Duration::from_millis(25);

/// Cycles in a row every NIC must be quiescent for a drain to end: far more
/// than a frame spends between a sender's MAC and the far MAC (the wire's
/// delay, 4 cycles by default).
const DRAIN_QUIET_CYCLES: u64 = 1024;

/// Frames remembered per NIC for matching received frames to the packet
/// ids that crossed the wire in simulation metadata.
const ARRIVALS_KEPT: usize = 4096;

/// One NIC of a host as its stack sees it: the driver, plus the bridge that
/// carries packet ids between the driver and the wire agents (ids travel in
/// simulation metadata, never in frames).
pub struct HostNic {
    pub nic: SimNic,
    /// The NIC's index in the hardware.
    pub hw_index: usize,
    hw: SharedHardware,
    arrivals: VecDeque<(PacketId, Vec<u8>)>,
    next_watchdog: Instant,
    /// Packets handed up by `receive` (pairs with the driver's `rx_deliver`
    /// journey events, which count the same way).
    received: u64,
    /// Put the packet id on the waveform's marker inputs at each driver
    /// step (`Hardware::marker`, low 32 bits of the id).
    pub markers: bool,
    /// The driver's reset count at the last transmit.
    resets_seen: u64,
}

impl HostNic {
    pub fn new(nic: SimNic, hw: SharedHardware, hw_index: usize) -> HostNic {
        HostNic {
            resets_seen: nic.stats().driver.resets,
            nic,
            hw_index,
            hw,
            arrivals: VecDeque::new(),
            next_watchdog: Instant::ZERO,
            received: 0,
            markers: false,
        }
    }

    /// The packet id of a received frame: the id the far side attached to
    /// the first arrival at our pins with these bytes (FCS excluded).
    fn match_arrival(&mut self, data: &[u8]) -> PacketId {
        let mut hw = self.hw.borrow_mut();
        self.arrivals
            .extend(hw.drain_rx_arrivals(self.hw_index).map(|a| (a.id, a.data)));
        // Forgotten arrivals give their buffers back to the decoder.
        while self.arrivals.len() > ARRIVALS_KEPT {
            if let Some((_, bytes)) = self.arrivals.pop_front() {
                hw.recycle_rx_arrival(self.hw_index, bytes);
            }
        }
        let pos = self
            .arrivals
            .iter()
            .position(|(_, bytes)| bytes.len() >= data.len() && &bytes[..data.len()] == data);
        match pos {
            Some(i) => {
                // Frames before the match were dropped by the NIC (filter,
                // errors) or by the driver: forget them.
                let id = self.arrivals[i].0;
                for (_, bytes) in self.arrivals.drain(..=i) {
                    hw.recycle_rx_arrival(self.hw_index, bytes);
                }
                id
            }
            None => PacketId(0),
        }
    }
}

impl Device for HostNic {
    fn caps(&self) -> DeviceCaps {
        self.nic.caps()
    }

    fn transmit(&mut self, now: Instant, frame: PacketBuf) -> Result<(), TxBusy> {
        let id = frame.meta().id;
        let _nic = tracing::trace_span!(target: "journey", "nic", nic = self.hw_index).entered();
        let doorbells = self.nic.stats().driver.tx_doorbells;
        self.nic.transmit(now, frame)?;
        let st = self.nic.stats().driver;
        let mut hw = self.hw.borrow_mut();
        // The wire takes ids in the order frames were tagged: a reset since
        // the last frame flushed the frames still queued, and a frame the
        // driver dropped before the ring (no doorbell) never goes out.
        if st.resets != self.resets_seen {
            self.resets_seen = st.resets;
            hw.clear_tx_tags(self.hw_index);
        }
        if st.tx_doorbells == doorbells {
            return Ok(());
        }
        // The frame reaches GMII only after descriptor fetch and data DMA,
        // hundreds of cycles after the doorbell: tagging now is in time.
        hw.tag_tx(self.hw_index, id);
        if self.markers {
            // The VCD shows the id beside the RTL (low 32 bits).
            hw.marker(self.hw_index, id.0 as u32);
        }
        Ok(())
    }

    fn receive(&mut self, now: Instant) -> Option<PacketBuf> {
        let _nic = tracing::trace_span!(target: "journey", "nic", nic = self.hw_index).entered();
        let mut pkt = self.nic.receive(now)?;
        let id = self.match_arrival(pkt.data());
        if id != PacketId(0) {
            pkt.meta_mut().id = id;
        }
        self.received += 1;
        // Pairs with the driver's n-th `rx_deliver` (src/journey.rs).
        tracing::trace!(target: "journey", layer = "driver", event = "rx_packet",
            packet = id.0, n = self.received, ns = now.as_nanos());
        if self.markers {
            self.hw.borrow_mut().marker(self.hw_index, id.0 as u32);
        }
        Some(pkt)
    }
}

/// A host: its NICs with their drivers, its stack.
pub struct Host<T: Ipv4Transport> {
    pub name: String,
    pub nics: Vec<HostNic>,
    pub stack: Stack<T>,
}

impl<T: Ipv4Transport> Host<T> {
    /// Interrupts and NAPI polls of every NIC, watchdogs that are due, then
    /// the stack (receive, timers, transmit). Returns whether anything
    /// happened.
    pub fn service(&mut self, now: Instant) -> bool {
        // Journey events of the driver name no host: these spans do.
        let _host = tracing::trace_span!(target: "journey", "host", host = %self.name).entered();
        let mut work = 0usize;
        for n in &mut self.nics {
            let _nic = tracing::trace_span!(target: "journey", "nic", nic = n.hw_index).entered();
            work += n.nic.service();
            if now >= n.next_watchdog {
                n.nic.watchdog();
                n.next_watchdog = now + WATCHDOG_PERIOD;
            }
        }
        // The drivers' register accesses took simulated time: the stack
        // runs at the time they finished (journey times stay in order).
        let now = self
            .nics
            .first()
            .map_or(now, |n| n.hw.borrow().now())
            .max(now);
        // Hosts have one NIC, routers two: no list built per call for them.
        let stack_work = match self.nics.as_mut_slice() {
            [a] => self.stack.poll(now, &mut [a as &mut dyn Device]),
            [a, b] => self
                .stack
                .poll(now, &mut [a as &mut dyn Device, b as &mut dyn Device]),
            more => {
                let mut devs: Vec<&mut dyn Device> =
                    more.iter_mut().map(|n| n as &mut dyn Device).collect();
                self.stack.poll(now, &mut devs)
            }
        };
        work > 0 || stack_work
    }

    /// When this host's software next has something to do without an
    /// interrupt.
    pub fn poll_at(&self) -> Option<Instant> {
        let mut t = self.stack.poll_at();
        for n in &self.nics {
            if n.nic.napi_scheduled() || n.nic.rx_queued() > 0 {
                return Some(Instant::ZERO);
            }
            t = Some(t.map_or(n.next_watchdog, |t| t.min(n.next_watchdog)));
        }
        t
    }
}

/// Why a run stopped early.
#[derive(Debug)]
pub enum RunError {
    /// The hardware reported a violation (protocol, sanitizer, wire, ...).
    Sim(SimError),
    /// The scenario did not finish before its time limit.
    TimeLimit { limit: Instant, what: String },
    /// The run was interrupted (Ctrl-C).
    Interrupted,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Sim(e) => write!(f, "{e}"),
            RunError::TimeLimit { limit, what } => {
                write!(f, "{what} not finished within the time limit ({limit})")
            }
            RunError::Interrupted => f.write_str("interrupted"),
        }
    }
}

impl std::error::Error for RunError {}

impl From<SimError> for RunError {
    fn from(e: SimError) -> Self {
        RunError::Sim(e)
    }
}

/// Hardware and the hosts on it.
pub struct System<T: Ipv4Transport> {
    pub hw: SharedHardware,
    pub hosts: Vec<Host<T>>,
}

impl<T: Ipv4Transport> System<T> {
    pub fn new(hw: SharedHardware) -> System<T> {
        System {
            hw,
            hosts: Vec::new(),
        }
    }

    pub fn now(&self) -> Instant {
        self.hw.borrow().now()
    }

    pub fn cycle(&self) -> u64 {
        self.hw.borrow().cycle()
    }

    /// Probe a driver on hardware NIC `hw_index` for a host.
    pub fn probe(&self, hw_index: usize, cfg: DriverConfig) -> Result<HostNic, String> {
        let (regs, dma, plat) = sim::hal::handles(&self.hw, hw_index);
        let nic =
            Nic::probe(regs, dma, plat, cfg).map_err(|e| format!("probe of nic{hw_index}: {e}"))?;
        sim::hal::check(&self.hw).map_err(|e| format!("probe of nic{hw_index}: {e}"))?;
        Ok(HostNic::new(nic, self.hw.clone(), hw_index))
    }

    /// Run every host's software once; true if any did something.
    pub fn service(&mut self) -> Result<bool, SimError> {
        let mut any = false;
        for i in 0..self.hosts.len() {
            let now = self.now();
            any |= self.hosts[i].service(now);
            sim::hal::check(&self.hw)?;
        }
        Ok(any)
    }

    /// Run hardware until an interrupt line rises or `until`, whichever
    /// comes first.
    pub fn advance(&mut self, until: Instant) -> Result<(), SimError> {
        let mut hw = self.hw.borrow_mut();
        let now = hw.now();
        if until <= now {
            return Ok(());
        }
        let cycles = (until - now).as_nanos().div_ceil(sim::world::CLK_NS);
        let hosts = &self.hosts;
        match hw.run_until("software timer", cycles, |hw| {
            hosts
                .iter()
                .flat_map(|h| h.nics.iter())
                .any(|n| hw.irq(n.hw_index))
        }) {
            Ok(_) => Ok(()),
            // The deadline itself: time for the software timer.
            Err(SimError::Timeout { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// After an interrupt (Ctrl-C): the stacks and applications stop, so no
    /// new work reaches the hardware, and the hardware finishes what it has.
    /// The drivers keep answering interrupts (TX completions, RX refills; a
    /// full receive backlog drops and counts) and the hardware runs until
    /// every NIC has been quiescent (`docs/regmap.md`, "nicsim: quiescent")
    /// for [`DRAIN_QUIET_CYCLES`] in a row. Removing a driver then resets its
    /// NIC (CTRL.RST, 8254x 13.4.1) without cutting a frame on the wire or a
    /// DMA burst. Returns whether the hardware went quiet within
    /// [`DRAIN_MAX`]; a hardware error stays recorded for the final check.
    pub fn drain(&mut self) -> bool {
        let nics: Vec<usize> = self
            .hosts
            .iter()
            .flat_map(|h| h.nics.iter().map(|n| n.hw_index))
            .collect();
        let end = self.cycle() + DRAIN_MAX.as_nanos().div_ceil(sim::world::CLK_NS);
        let mut quiet_since: Option<u64> = None;
        loop {
            for n in self.hosts.iter_mut().flat_map(|h| h.nics.iter_mut()) {
                n.nic.service();
            }
            let mut hw = self.hw.borrow_mut();
            let start = hw.cycle();
            if quiet_since.is_some_and(|q| start - q >= DRAIN_QUIET_CYCLES) {
                return true;
            }
            if start >= end {
                return false;
            }
            // Bounded slices: fast-forward skips at most to a slice's end.
            let slice = (end - start).min(DRAIN_QUIET_CYCLES);
            let r = hw.run_until("drain after interrupt", slice, |hw| {
                let c = hw.cycle();
                // A new interrupt: the drivers run (at least one cycle on,
                // so that a line they leave high cannot stall the drain).
                if c > start && nics.iter().any(|&n| hw.irq(n)) {
                    return true;
                }
                if nics.iter().all(|&n| hw.model(n).quiescent() != 0) {
                    c - *quiet_since.get_or_insert(c) >= DRAIN_QUIET_CYCLES
                } else {
                    quiet_since = None;
                    false
                }
            });
            match r {
                Ok(_) => {}
                // The slice's end.
                Err(SimError::Timeout { .. }) if hw.cycle() >= start + slice => {}
                Err(e) => {
                    // Keep it first for the final check, which reports it.
                    let rest = hw.take_errors();
                    hw.record_error(e);
                    for r in rest {
                        hw.record_error(r);
                    }
                    return false;
                }
            }
        }
    }

    /// The world loop: software when it has work, else hardware until the
    /// next interrupt or timer; `step` (the scenario's applications) runs
    /// after every round of software and says when the scenario is done.
    pub fn run(
        &mut self,
        limit: Instant,
        what: &str,
        mut step: impl FnMut(&mut System<T>) -> Result<bool, RunError>,
    ) -> Result<(), RunError> {
        // Bounded slices keep the applications' pacing timers honest.
        const SLICE: Duration = Duration::from_micros(100);
        // Rounds in a row in which software said it had work due now. Each
        // round already ran every timer due at `now`, so a deadline that
        // stays at or before `now` is work that waits for the hardware (a
        // closed window, a full ring): past this bound the hardware runs
        // until the next interrupt, which is what brings that work on.
        const MAX_SPINS: u32 = 4;
        let mut spins = 0;
        loop {
            // Software first: until it settles (bounded: each round either
            // makes progress or stops).
            for _ in 0..64 {
                if !self.service()? {
                    break;
                }
            }
            match step(self) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(RunError::Interrupted) => {
                    if !self.drain() {
                        tracing::warn!(
                            "hardware still busy {DRAIN_MAX} after the interrupt: \
                             removing the drivers may cut a frame or a burst"
                        );
                    }
                    return Err(RunError::Interrupted);
                }
                Err(e) => return Err(e),
            }
            let now = self.now();
            if now >= limit {
                // As after an interrupt: the partial report must not show
                // frames cut by the drivers' reset at teardown.
                if !self.drain() {
                    tracing::warn!(
                        "hardware still busy {DRAIN_MAX} after the time limit: \
                         removing the drivers may cut a frame or a burst"
                    );
                }
                return Err(RunError::TimeLimit {
                    limit,
                    what: what.to_string(),
                });
            }
            let soft = self.hosts.iter().filter_map(|h| h.poll_at()).min();
            let until = match soft {
                Some(t) if t <= now && spins < MAX_SPINS => {
                    spins += 1;
                    continue;
                }
                Some(t) if t <= now => now + SLICE,
                Some(t) => t.min(now + SLICE),
                None => now + SLICE,
            }
            .min(limit);
            spins = 0;
            self.advance(until)?;
        }
    }
}
