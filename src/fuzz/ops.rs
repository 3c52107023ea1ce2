//! The operations a fuzz program is made of, and the proptest strategies
//! that generate them.
//!
//! A program is a [`Program`]: one [`Setup`] (rings, buffer size, filter,
//! moderation) followed by a list of [`Op`]s, each what a driver, the wire
//! or the bus could do next. Everything is plain data with serde, so a
//! failing program is saved as JSON and replayed byte for byte.

use proptest::collection::vec;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// Size of each TX buffer mapping (descriptor lengths above it read past
/// the buffer).
pub const TX_BUF_SIZE: u16 = 2048;

/// The unicast address entry 0 holds.
pub const OUR_MAC: [u8; 6] = [0x02, 0x4e, 0x49, 0x43, 0x00, 0x01];
/// A second exact-match entry (RAL/RAH 1), valid or not per program.
pub const ALT_MAC: [u8; 6] = [0x02, 0x4e, 0x49, 0x43, 0x00, 0x02];
/// A multicast group the programs may enable in the MTA.
pub const GROUP: [u8; 6] = [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb];

/// How the rings, buffers and filters are set up before the first op (and
/// again after a reset with `reprogram`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setup {
    /// TX ring size in descriptors (a multiple of 8).
    pub tx_slots: u16,
    /// RX ring size in descriptors (a multiple of 8).
    pub rx_slots: u16,
    /// RX buffer size in bytes (one of the RCTL.BSIZE/BSEX sizes).
    pub rx_buf: u16,
    /// Offset of the TX ring in its page (16-byte aligned), to vary bases.
    pub tx_ring_offset: u16,
    pub rx_ring_offset: u16,
    pub rctl: RctlBits,
    pub psp: bool,
    /// RXCSUM.PCSS.
    pub pcss: u8,
    /// RAL/RAH entry 1 (ALT_MAC) valid.
    pub alt_valid: bool,
    /// The MTA bit of GROUP set.
    pub group_hashed: bool,
    pub ims: u32,
    pub itr: u16,
    pub rdtr: u16,
    pub radv: u16,
    pub tidv: u16,
    pub tadv: u16,
    /// RDT after set-up: how many RX descriptors are given to the NIC.
    pub rx_initial: u16,
}

/// The RCTL bits a program chooses (BSIZE/BSEX follow from `rx_buf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RctlBits {
    pub en: bool,
    pub sbp: bool,
    pub upe: bool,
    pub mpe: bool,
    pub lpe: bool,
    pub bam: bool,
    pub secrc: bool,
    pub mo: u8,
    pub rdmts: u8,
}

/// One TX descriptor the program writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxDescSpec {
    /// Buffer length; may be 0 or exceed [`TX_BUF_SIZE`].
    pub len: u16,
    pub eop: bool,
    pub ifcs: bool,
    pub ic: bool,
    pub rs: bool,
    pub ide: bool,
    pub css: u8,
    pub cso: u8,
    /// Seed of the buffer contents.
    pub seed: u8,
}

/// Where a received frame is addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dest {
    Ours,
    Alt,
    Broadcast,
    Group,
    /// A multicast group whose hash bit is never set.
    OtherGroup,
    /// Unicast to somebody else (a filter miss unless UPE).
    Stranger,
}

/// What is wrong with a received frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Flaw {
    None,
    BadFcs,
    RxEr,
}

/// A frame arriving on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameSpec {
    /// Length without the FCS (below 60 is a runt, above 1514 oversize
    /// unless LPE).
    pub len: u16,
    pub dest: Dest,
    pub flaw: Flaw,
    pub seed: u8,
}

/// A memory region of the set-up that bus faults can hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    TxRing,
    RxRing,
    TxBuf(u16),
    RxBuf(u16),
}

/// A register write in the middle of traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegWrite {
    Ims(u32),
    Imc(u32),
    Ics(u32),
    Itr(u16),
    Rdtr(u16),
    Radv(u16),
    Tidv(u16),
    Tadv(u16),
    Rctl(RctlBits),
    TxEnable(bool),
    Psp(bool),
    /// RDTR with FPD (flush the pending RXT0).
    FlushRxTimer,
}

/// A register whose read value is compared (reads of ICR and statistics
/// clear them in both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegRead {
    Icr,
    Ims,
    Status,
    Stat(u32),
    DmaErr,
}

/// How the AXI memory agent treats the DMA master (the model is
/// untimed and ignores it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusProfile {
    pub read_latency: u8,
    pub write_latency: u8,
    /// Percentage of cycles the memory holds ready low.
    pub stall_pct: u8,
    pub seed: u16,
}

/// One step of a program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// Write descriptors at the software tail; move the tail past them
    /// when `bump`.
    TxPost {
        descs: Vec<TxDescSpec>,
        bump: bool,
    },
    /// Move TDT forward by `n` (mod ring size; may pass the head).
    TxAdvance(u16),
    /// Write TDT with a raw value (may be beyond the ring).
    TxTailRaw(u16),
    /// Give `n` more RX descriptors (RDT forward, mod ring size).
    RxAdvance(u16),
    RxTailRaw(u16),
    Arrive(FrameSpec),
    Write(RegWrite),
    Read(RegRead),
    /// CTRL.RST; with `reprogram` the set-up is written again (like a
    /// driver's recovery).
    Reset {
        reprogram: bool,
    },
    Link(bool),
    Fault(Target),
    ClearFaults,
    Bus(BusProfile),
    /// Let simulated time pass (microseconds).
    Wait(u16),
}

/// A complete program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    pub setup: Setup,
    pub ops: Vec<Op>,
}

/// A plain set-up: 8-descriptor rings, 2048-byte buffers, our address
/// and broadcast accepted, FCS stripped, no moderation.
pub fn setup_default() -> Setup {
    Setup {
        tx_slots: 8,
        rx_slots: 8,
        rx_buf: 2048,
        tx_ring_offset: 0,
        rx_ring_offset: 0,
        rctl: RctlBits {
            en: true,
            sbp: false,
            upe: false,
            mpe: false,
            lpe: false,
            bam: true,
            secrc: true,
            mo: 0,
            rdmts: 0,
        },
        psp: true,
        pcss: 0,
        alt_valid: false,
        group_hashed: false,
        ims: 0,
        itr: 0,
        rdtr: 0,
        radv: 0,
        tidv: 0,
        tadv: 0,
        rx_initial: 7,
    }
}

// ----------------------------------------------------------------------
// Strategies
// ----------------------------------------------------------------------

fn slots() -> impl Strategy<Value = u16> {
    prop_oneof![3 => Just(8u16), 2 => Just(16u16), 1 => Just(24u16), 1 => Just(64u16)]
}

fn rx_buf_size() -> impl Strategy<Value = u16> {
    prop_oneof![
        3 => Just(2048u16),
        2 => Just(256u16),
        1 => Just(512u16),
        1 => Just(1024u16),
        1 => Just(4096u16),
    ]
}

fn rctl_bits() -> impl Strategy<Value = RctlBits> {
    (
        prop::bool::weighted(0.95),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.7),
        prop::bool::weighted(0.6),
        0u8..4,
        0u8..3,
    )
        .prop_map(|(en, sbp, upe, mpe, lpe, bam, secrc, mo, rdmts)| RctlBits {
            en,
            sbp,
            upe,
            mpe,
            lpe,
            bam,
            secrc,
            mo,
            rdmts,
        })
}

fn small_timer() -> impl Strategy<Value = u16> {
    prop_oneof![4 => Just(0u16), 1 => 1u16..8, 1 => 8u16..64]
}

fn causes() -> impl Strategy<Value = u32> {
    prop_oneof![
        2 => Just(0x1000_00D7u32),
        1 => Just(0u32),
        3 => prop::sample::select(vec![0x01u32, 0x02, 0x04, 0x10, 0x40, 0x80, 0x1000_0000, 0x81, 0xC0]),
    ]
}

pub fn setup() -> impl Strategy<Value = Setup> {
    (
        (slots(), slots(), rx_buf_size(), 0u16..8, 0u16..8),
        (
            rctl_bits(),
            prop::bool::weighted(0.6),
            prop_oneof![3 => Just(0u8), 1 => Just(14u8), 1 => 0u8..80],
        ),
        (prop::bool::ANY, prop::bool::ANY, causes(), small_timer()),
        (small_timer(), small_timer(), small_timer(), small_timer()),
        0u16..70,
    )
        .prop_map(
            |(
                (tx_slots, rx_slots, rx_buf, txo, rxo),
                (rctl, psp, pcss),
                (alt_valid, group_hashed, ims, itr),
                (rdtr, radv, tidv, tadv),
                rx_initial,
            )| Setup {
                tx_slots,
                rx_slots,
                rx_buf,
                tx_ring_offset: txo * 16,
                rx_ring_offset: rxo * 16,
                rctl,
                psp,
                pcss,
                alt_valid,
                group_hashed,
                ims,
                itr,
                rdtr,
                radv,
                tidv,
                tadv,
                rx_initial: rx_initial % rx_slots,
            },
        )
}

fn desc_len(hostile: bool) -> BoxedStrategy<u16> {
    if hostile {
        prop_oneof![
            1 => Just(0u16),
            1 => Just(1u16),
            4 => 2u16..200,
            2 => 200u16..1514,
            1 => Just(TX_BUF_SIZE),
            2 => (TX_BUF_SIZE + 1)..(TX_BUF_SIZE + 64),
        ]
        .boxed()
    } else {
        prop_oneof![
            1 => Just(1u16),
            8 => 2u16..200,
            4 => 200u16..1514,
            1 => Just(TX_BUF_SIZE),
        ]
        .boxed()
    }
}

fn tx_desc(last: bool, hostile: bool) -> impl Strategy<Value = TxDescSpec> {
    (
        desc_len(hostile),
        prop::bool::weighted(0.9),
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.7),
        prop::bool::weighted(0.15),
        prop_oneof![3 => 0u8..64, 1 => any::<u8>()],
        prop_oneof![3 => 0u8..80, 1 => any::<u8>()],
        any::<u8>(),
        prop::bool::weighted(if hostile { 0.1 } else { 0.02 }),
    )
        .prop_map(
            move |(len, ifcs, ic, rs, ide, css, cso, seed, eop_flip)| TxDescSpec {
                len,
                // The last descriptor of a chain has EOP, the others not,
                // except for a few programs that get it wrong on purpose.
                eop: last != eop_flip,
                ifcs,
                ic,
                rs,
                ide,
                css,
                cso,
                seed,
            },
        )
}

fn tx_chain(hostile: bool) -> impl Strategy<Value = Vec<TxDescSpec>> {
    let usual =
        (vec(tx_desc(false, hostile), 0..3), tx_desc(true, hostile)).prop_map(|(mut v, last)| {
            v.push(last);
            v
        });
    // Chains of 8 to 10 full buffers: 16384 bytes (the TX FIFO's size, the
    // longest frame sent), 18432 or 20480 (dropped whole, TXDROPC;
    // docs/regmap.md). They fit only rings of 16 or more descriptors.
    let full = |mut d: TxDescSpec| {
        d.len = TX_BUF_SIZE;
        d
    };
    let jumbo =
        (vec(tx_desc(false, hostile), 7..10), tx_desc(true, hostile)).prop_map(move |(v, last)| {
            let mut v: Vec<_> = v.into_iter().map(full).collect();
            v.push(full(last));
            v
        });
    prop_oneof![40 => usual, 1 => jumbo]
}

fn frame_len() -> impl Strategy<Value = u16> {
    prop_oneof![
        2 => 60u16..128,
        3 => 128u16..1515,
        1 => Just(1514u16),
        1 => 20u16..60,
        1 => 1515u16..1600,
        1 => 1600u16..4000,
    ]
}

fn frame() -> impl Strategy<Value = FrameSpec> {
    (
        frame_len(),
        prop::sample::select(vec![
            Dest::Ours,
            Dest::Ours,
            Dest::Ours,
            Dest::Alt,
            Dest::Broadcast,
            Dest::Group,
            Dest::OtherGroup,
            Dest::Stranger,
        ]),
        prop_oneof![8 => Just(Flaw::None), 1 => Just(Flaw::BadFcs), 1 => Just(Flaw::RxEr)],
        any::<u8>(),
    )
        .prop_map(|(len, dest, flaw, seed)| FrameSpec {
            len,
            dest,
            flaw,
            seed,
        })
}

fn reg_write() -> impl Strategy<Value = RegWrite> {
    prop_oneof![
        causes().prop_map(RegWrite::Ims),
        causes().prop_map(RegWrite::Imc),
        causes().prop_map(RegWrite::Ics),
        small_timer().prop_map(RegWrite::Itr),
        small_timer().prop_map(RegWrite::Rdtr),
        small_timer().prop_map(RegWrite::Radv),
        small_timer().prop_map(RegWrite::Tidv),
        small_timer().prop_map(RegWrite::Tadv),
        rctl_bits().prop_map(RegWrite::Rctl),
        prop::bool::weighted(0.8).prop_map(RegWrite::TxEnable),
        any::<bool>().prop_map(RegWrite::Psp),
        Just(RegWrite::FlushRxTimer),
    ]
}

/// Every statistics counter (read-clear; 8254x 13.7 and ours), in
/// register order: what `Read` may pick and what is compared at the end.
pub const STAT_REGS: [u32; 19] = [
    driver::regs::reg::CRCERRS,
    driver::regs::reg::RXERRC,
    driver::regs::reg::MPC,
    driver::regs::reg::GPRC,
    driver::regs::reg::BPRC,
    driver::regs::reg::MPRC,
    driver::regs::reg::GPTC,
    driver::regs::reg::GORCL,
    driver::regs::reg::GORCH,
    driver::regs::reg::GOTCL,
    driver::regs::reg::GOTCH,
    driver::regs::reg::RNBC,
    driver::regs::reg::RUC,
    driver::regs::reg::ROC,
    driver::regs::reg::TPR,
    driver::regs::reg::TPT,
    driver::regs::reg::TXDROPC,
    driver::regs::reg::TXCSKIPC,
    driver::regs::reg::TXUNDERC,
];

fn reg_read() -> impl Strategy<Value = RegRead> {
    prop_oneof![
        4 => Just(RegRead::Icr),
        1 => Just(RegRead::Ims),
        1 => Just(RegRead::Status),
        1 => Just(RegRead::DmaErr),
        4 => prop::sample::select(STAT_REGS.to_vec())
        .prop_map(RegRead::Stat),
    ]
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        Just(Target::TxRing),
        Just(Target::RxRing),
        (0u16..64).prop_map(Target::TxBuf),
        (0u16..64).prop_map(Target::RxBuf),
    ]
}

fn bus() -> impl Strategy<Value = BusProfile> {
    (
        0u8..40,
        0u8..40,
        prop_oneof![2 => Just(0u8), 1 => 1u8..60],
        any::<u16>(),
    )
        .prop_map(
            |(read_latency, write_latency, stall_pct, seed)| BusProfile {
                read_latency,
                write_latency,
                stall_pct,
                seed,
            },
        )
}

/// One operation. Hostile programs also break the rules: descriptor
/// lengths beyond the buffer, tails written beyond the ring, bus faults,
/// resets without reprogramming; clean programs stay inside what the
/// specification defines, so that most of their operations are compared
/// in full.
pub fn op(hostile: bool) -> BoxedStrategy<Op> {
    let common = prop_oneof![
        12 => (tx_chain(hostile), prop::bool::weighted(0.9))
            .prop_map(|(descs, bump)| Op::TxPost { descs, bump }),
        2 => (1u16..70).prop_map(Op::TxAdvance),
        6 => prop_oneof![3 => 1u16..8, 1 => 8u16..70].prop_map(Op::RxAdvance),
        12 => frame().prop_map(Op::Arrive),
        3 => reg_write().prop_map(Op::Write),
        5 => reg_read().prop_map(Op::Read),
        1 => any::<bool>().prop_map(Op::Link),
        1 => bus().prop_map(Op::Bus),
        2 => (0u16..200).prop_map(Op::Wait),
    ];
    if hostile {
        prop_oneof![
            40 => common,
            2 => (0u16..80).prop_map(Op::TxTailRaw),
            2 => (0u16..80).prop_map(Op::RxTailRaw),
            2 => any::<bool>().prop_map(|reprogram| Op::Reset { reprogram }),
            2 => target().prop_map(Op::Fault),
            1 => Just(Op::ClearFaults),
        ]
        .boxed()
    } else {
        prop_oneof![
            40 => common,
            1 => Just(Op::Reset { reprogram: true }),
        ]
        .boxed()
    }
}

/// Programs of up to `max_ops` operations: three in four clean, one in
/// four hostile (see [`op`]).
pub fn program(max_ops: usize) -> impl Strategy<Value = Program> {
    prop_oneof![3 => Just(false), 1 => Just(true)]
        .prop_flat_map(move |hostile| (setup(), vec(op(hostile), 1..max_ops)))
        .prop_map(|(setup, ops)| Program { setup, ops })
}
