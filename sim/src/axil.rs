//! AXI4-Lite master agent for the NIC's register slave (`s_axil_*`).
//!
//! One transaction at a time, as a CPU's uncached MMIO access: a write drives
//! AWVALID and WVALID together, drops each after its handshake and takes the
//! response with BREADY high; a read drives ARVALID, then takes the data with
//! RREADY high (AMBA AXI IHI 0022, B1 AXI4-Lite).

use crate::axi_check::AxiSnapshot;
use crate::ffi::Model;

/// A register access in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxilOp {
    Read { addr: u32 },
    Write { addr: u32, data: u32, strb: u8 },
}

/// How a register access finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AxilDone {
    pub op: AxilOp,
    /// Read data (0 for writes).
    pub data: u32,
    /// BRESP / RRESP.
    pub resp: u8,
    pub start_cycle: u64,
    pub end_cycle: u64,
}

#[derive(Debug, Default)]
pub struct AxilMaster {
    op: Option<(AxilOp, u64)>,
    addr_done: bool,
    data_done: bool,
    done: Option<AxilDone>,
    /// Completed transactions (statistics).
    pub count: u64,
}

impl AxilMaster {
    pub fn new() -> AxilMaster {
        AxilMaster::default()
    }

    /// Start an access; only one may be in flight.
    pub fn start(&mut self, op: AxilOp, cycle: u64) -> bool {
        if self.op.is_some() {
            return false;
        }
        self.op = Some((op, cycle));
        self.addr_done = false;
        self.data_done = false;
        self.done = None;
        true
    }

    pub fn busy(&self) -> bool {
        self.op.is_some()
    }

    /// The finished access, once.
    pub fn take_done(&mut self) -> Option<AxilDone> {
        self.done.take()
    }

    /// Drive the master's outputs for this cycle.
    pub fn drive(&self, m: &mut Model) {
        let (mut awv, mut wv, mut bready, mut arv, mut rready) = (0, 0, 0, 0, 0);
        match self.op {
            Some((AxilOp::Write { addr, data, strb }, _)) => {
                m.set_s_axil_awaddr(addr);
                m.set_s_axil_wdata(data);
                m.set_s_axil_wstrb(strb);
                awv = u8::from(!self.addr_done);
                wv = u8::from(!self.data_done);
                bready = u8::from(self.addr_done && self.data_done);
            }
            Some((AxilOp::Read { addr }, _)) => {
                m.set_s_axil_araddr(addr);
                arv = u8::from(!self.addr_done);
                rready = u8::from(self.addr_done);
            }
            None => {}
        }
        m.set_s_axil_awvalid(awv);
        m.set_s_axil_wvalid(wv);
        m.set_s_axil_bready(bready);
        m.set_s_axil_arvalid(arv);
        m.set_s_axil_rready(rready);
        // Unprivileged, secure, data access (A4.7): constant.
        m.set_s_axil_awprot(0);
        m.set_s_axil_arprot(0);
    }

    /// Take the handshakes of this edge.
    pub fn sample(&mut self, s: &AxiSnapshot, cycle: u64) {
        let Some((op, start)) = self.op else {
            return;
        };
        let finish = |data: u32, resp: u8| AxilDone {
            op,
            data,
            resp,
            start_cycle: start,
            end_cycle: cycle,
        };
        match op {
            AxilOp::Write { .. } => {
                if s.b.fire() {
                    self.done = Some(finish(0, s.b.payload.resp));
                    self.op = None;
                    self.count += 1;
                    return;
                }
                self.addr_done |= s.aw.fire();
                self.data_done |= s.w.fire();
            }
            AxilOp::Read { .. } => {
                if s.r.fire() {
                    self.done = Some(finish(s.r.payload.data as u32, s.r.payload.resp));
                    self.op = None;
                    self.count += 1;
                    return;
                }
                self.addr_done |= s.ar.fire();
            }
        }
    }
}
