//! The NIC's register map, defined once.
//!
//! Offsets, reset values and bit fields follow the Intel 8254x manual
//! (section 13, "Register descriptions") for the subset in the project's NIC
//! specification, plus our DMA-error reporting. Everything else in the
//! project takes these definitions from here: the RTL's `rtl/nic_defs.vh` is
//! checked against [`verilog_constants`] by `driver/tests/nic_defs.rs`, the
//! register document is generated from [`REGISTERS`] and the field tables.
//!
//! Register offsets are plain `u32` constants in [`reg`]. Each register with
//! bit fields has a typed view (a `Copy` newtype over `u32`, in the manner of
//! a bitflags type): single-bit flags are constants of the type itself
//! (`Rctl::EN`), multi-bit fields are [`Field`] constants (`Rctl::BSIZE`).

use core::fmt;
use core::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, Not};

/// How software may access a register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read and write.
    ReadWrite,
    /// Read only; writes are ignored.
    ReadOnly,
    /// Write only; reads return zero.
    WriteOnly,
    /// Read returns the value and clears it (interrupt causes, statistics).
    ReadClear,
    /// Writing ones sets bits, reading returns the current set (IMS).
    WriteOneSet,
}

impl Access {
    /// The short name used in the register document.
    pub const fn abbrev(self) -> &'static str {
        match self {
            Access::ReadWrite => "RW",
            Access::ReadOnly => "RO",
            Access::WriteOnly => "WO",
            Access::ReadClear => "RC",
            Access::WriteOneSet => "RW1S",
        }
    }
}

/// One register (or the first of an array of registers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegDef {
    /// Name as in the 8254x manual (`RCTL`), upper case.
    pub name: &'static str,
    pub offset: u32,
    pub access: Access,
    /// Value after reset (power-on or CTRL.RST).
    pub reset: u32,
    /// The RTL states the reset value as `RST_<NAME>`.
    pub reset_in_rtl: bool,
    /// Number of consecutive 32-bit registers (MTA: 128); 1 for most.
    pub count: u32,
    /// Distance in bytes between consecutive elements of an array.
    pub stride: u32,
    pub doc: &'static str,
}

/// One bit field of a register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDef {
    /// Register name (`RCTL`).
    pub reg: &'static str,
    /// Field name (`BSIZE`).
    pub name: &'static str,
    pub lsb: u32,
    pub width: u32,
    pub doc: &'static str,
}

/// A multi-bit field of a register: `width` bits starting at `lsb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub lsb: u32,
    pub width: u32,
}

impl Field {
    /// The field's bits in place.
    pub const fn mask(self) -> u32 {
        if self.width >= 32 {
            u32::MAX
        } else {
            ((1u32 << self.width) - 1) << self.lsb
        }
    }
    /// Extract the field from a register value.
    pub const fn get(self, value: u32) -> u32 {
        (value & self.mask()) >> self.lsb
    }
    /// Replace the field in `value` with `field` (excess bits are dropped).
    pub const fn put(self, value: u32, field: u32) -> u32 {
        (value & !self.mask()) | ((field << self.lsb) & self.mask())
    }
}

macro_rules! registers {
    ($( $name:ident = $off:expr, $acc:ident, reset $rst:expr, $emit:ident, count $cnt:expr, stride $str:expr, $doc:literal; )*) => {
        /// Register offsets in bytes from the start of the register window.
        pub mod reg {
            $( #[doc = $doc] pub const $name: u32 = $off; )*
        }
        /// Reset values, by register.
        pub mod reset {
            $( #[doc = $doc] pub const $name: u32 = $rst; )*
        }
        /// Every register, in offset order.
        pub const REGISTERS: &[RegDef] = &[
            $( RegDef {
                name: stringify!($name),
                offset: $off,
                access: Access::$acc,
                reset: $rst,
                reset_in_rtl: registers!(@emit $emit),
                count: $cnt,
                stride: $str,
                doc: $doc,
            }, )*
        ];
    };
    (@emit rst) => { true };
    (@emit norst) => { false };
}

// 8254x section 13.3 (register summary), with the subset and the additions
// of the project's NIC specification. Statistics: 8254x 13.7. `rst` marks
// the registers whose reset value the RTL states as `RST_<NAME>`; the
// others reset to zero (statistics, the MTA) or have no storage (ICS, IMC).
registers! {
    CTRL    = 0x00000, ReadWrite,   reset 0x0000_0001, rst, count 1, stride 4, "Device control (8254x 13.4.1); RST self-clears";
    STATUS  = 0x00008, ReadOnly,    reset 0x0000_0081, rst, count 1, stride 4, "Device status (8254x 13.4.2); LU follows the link_up input";
    ICR     = 0x000C0, ReadClear,   reset 0, rst, count 1, stride 4, "Interrupt cause read (8254x 13.4.17); read clears";
    ITR     = 0x000C4, ReadWrite,   reset 0, rst, count 1, stride 4, "Interrupt throttling, minimum interval in 256 ns units (8254x 13.4.18)";
    ICS     = 0x000C8, WriteOnly,   reset 0, norst, count 1, stride 4, "Interrupt cause set (8254x 13.4.19)";
    IMS     = 0x000D0, WriteOneSet, reset 0, rst, count 1, stride 4, "Interrupt mask set/read (8254x 13.4.20)";
    IMC     = 0x000D8, WriteOnly,   reset 0, norst, count 1, stride 4, "Interrupt mask clear (8254x 13.4.21)";
    RCTL    = 0x00100, ReadWrite,   reset 0, rst, count 1, stride 4, "Receive control (8254x 13.4.22)";
    TCTL    = 0x00400, ReadWrite,   reset 0, rst, count 1, stride 4, "Transmit control (8254x 13.4.33)";
    TIPG    = 0x00410, ReadWrite,   reset 0x0000_000C, rst, count 1, stride 4, "Transmit inter-packet gap, IPGT in byte times, at least 12 used (8254x 13.4.34)";
    RDBAL   = 0x02800, ReadWrite,   reset 0, rst, count 1, stride 4, "RX descriptor base low, 16-byte aligned (8254x 13.4.27)";
    RDBAH   = 0x02804, ReadWrite,   reset 0, rst, count 1, stride 4, "RX descriptor base high (8254x 13.4.28)";
    RDLEN   = 0x02808, ReadWrite,   reset 0, rst, count 1, stride 4, "RX ring length in bytes, multiple of 128 (8254x 13.4.29)";
    RDH     = 0x02810, ReadWrite,   reset 0, rst, count 1, stride 4, "RX descriptor head (8254x 13.4.30)";
    RDT     = 0x02818, ReadWrite,   reset 0, rst, count 1, stride 4, "RX descriptor tail (8254x 13.4.31)";
    RDTR    = 0x02820, ReadWrite,   reset 0, rst, count 1, stride 4, "RX delay timer, 1.024 us units (8254x 13.4.32)";
    RADV    = 0x0282C, ReadWrite,   reset 0, rst, count 1, stride 4, "RX absolute delay timer, 1.024 us units (8254x 13.4.36)";
    TDBAL   = 0x03800, ReadWrite,   reset 0, rst, count 1, stride 4, "TX descriptor base low, 16-byte aligned (8254x 13.4.38)";
    TDBAH   = 0x03804, ReadWrite,   reset 0, rst, count 1, stride 4, "TX descriptor base high (8254x 13.4.39)";
    TDLEN   = 0x03808, ReadWrite,   reset 0, rst, count 1, stride 4, "TX ring length in bytes, multiple of 128 (8254x 13.4.40)";
    TDH     = 0x03810, ReadWrite,   reset 0, rst, count 1, stride 4, "TX descriptor head (8254x 13.4.41)";
    TDT     = 0x03818, ReadWrite,   reset 0, rst, count 1, stride 4, "TX descriptor tail (8254x 13.4.42)";
    TIDV    = 0x03820, ReadWrite,   reset 0, rst, count 1, stride 4, "TX interrupt delay, 1.024 us units (8254x 13.4.43)";
    TADV    = 0x0382C, ReadWrite,   reset 0, rst, count 1, stride 4, "TX absolute interrupt delay, 1.024 us units (8254x 13.4.45)";
    CRCERRS = 0x04000, ReadClear,   reset 0, norst, count 1, stride 4, "CRC error count (8254x 13.7.1)";
    RXERRC  = 0x0400C, ReadClear,   reset 0, norst, count 1, stride 4, "Receive (GMII rx_er) error count (8254x 13.7.3)";
    MPC     = 0x04010, ReadClear,   reset 0, norst, count 1, stride 4, "Missed packets count (8254x 13.7.4)";
    GPRC    = 0x04074, ReadClear,   reset 0, norst, count 1, stride 4, "Good packets received (8254x 13.7.17)";
    BPRC    = 0x04078, ReadClear,   reset 0, norst, count 1, stride 4, "Broadcast packets received (8254x 13.7.18)";
    MPRC    = 0x0407C, ReadClear,   reset 0, norst, count 1, stride 4, "Multicast packets received (8254x 13.7.19)";
    GPTC    = 0x04080, ReadClear,   reset 0, norst, count 1, stride 4, "Good packets transmitted (8254x 13.7.20)";
    GORCL   = 0x04088, ReadClear,   reset 0, norst, count 1, stride 4, "Good octets received, low; reading it latches the high half into GORCH and restarts the count (8254x 13.7.21)";
    GORCH   = 0x0408C, ReadClear,   reset 0, norst, count 1, stride 4, "Good octets received, high: the half latched by the last GORCL read; reading it clears the latch (8254x 13.7.21)";
    GOTCL   = 0x04090, ReadClear,   reset 0, norst, count 1, stride 4, "Good octets transmitted, low; reading it latches the high half into GOTCH and restarts the count (8254x 13.7.22)";
    GOTCH   = 0x04094, ReadClear,   reset 0, norst, count 1, stride 4, "Good octets transmitted, high: the half latched by the last GOTCL read; reading it clears the latch (8254x 13.7.22)";
    RNBC    = 0x040A0, ReadClear,   reset 0, norst, count 1, stride 4, "Receive no buffers count (8254x 13.7.23)";
    RUC     = 0x040A4, ReadClear,   reset 0, norst, count 1, stride 4, "Receive undersize count (8254x 13.7.24)";
    ROC     = 0x040AC, ReadClear,   reset 0, norst, count 1, stride 4, "Receive oversize count (8254x 13.7.26)";
    TPR     = 0x040D0, ReadClear,   reset 0, norst, count 1, stride 4, "Total packets received (8254x 13.7.33)";
    TPT     = 0x040D4, ReadClear,   reset 0, norst, count 1, stride 4, "Total packets transmitted (8254x 13.7.34)";
    RXCSUM  = 0x05000, ReadWrite,   reset 0, rst, count 1, stride 4, "Receive checksum control: PCSS, where the packet checksum starts (8254x 13.4.33)";
    MTA     = 0x05200, ReadWrite,   reset 0, norst, count 128, stride 4, "Multicast table array, 4096-bit hash (8254x 13.4.52)";
    RAL0    = 0x05400, ReadWrite,   reset 0, rst, count 16, stride 8, "Receive address low, entry n at +8n (8254x 13.4.53)";
    RAH0    = 0x05404, ReadWrite,   reset 0, rst, count 16, stride 8, "Receive address high with AV, entry n at +8n (8254x 13.4.54)";
    DMAERR  = 0x0F000, ReadOnly,    reset 0, rst, count 1, stride 4, "DMA error report (ours): the first bus error since reset";
    DMAERR_ADDRL = 0x0F004, ReadOnly, reset 0, norst, count 1, stride 4, "DMA error address, bits 31:0 (ours)";
    DMAERR_ADDRH = 0x0F008, ReadOnly, reset 0, norst, count 1, stride 4, "DMA error address, bits 63:32 (ours)";
    TXDROPC = 0x0F00C, ReadClear,   reset 0, norst, count 1, stride 4, "TX frames dropped (ours): longer than the TX FIFO, discarded whole";
    TXCSKIPC = 0x0F010, ReadClear,  reset 0, norst, count 1, stride 4, "TX checksum insertions skipped (ours): CMD.IC with CSS or CSO + 2 beyond the frame, sent unchanged";
    TXUNDERC = 0x0F014, ReadClear,  reset 0, norst, count 1, stride 4, "TX underruns (ours): the MAC ran dry inside a frame and ended it with tx_er";
}

/// Number of receive address (RAL/RAH) entries (8254x 13.4.53).
pub const RA_ENTRIES: u32 = 16;
/// Byte distance between consecutive RAL/RAH pairs.
pub const RA_STRIDE: u32 = 8;
/// Number of 32-bit MTA registers, 4096 hash bits (8254x 13.4.52).
pub const MTA_WORDS: u32 = 128;

/// Offset of RAL entry `n`.
pub const fn ral(n: u32) -> u32 {
    reg::RAL0 + RA_STRIDE * n
}
/// Offset of RAH entry `n`.
pub const fn rah(n: u32) -> u32 {
    reg::RAH0 + RA_STRIDE * n
}
/// Offset of MTA register `n`.
pub const fn mta(n: u32) -> u32 {
    reg::MTA + 4 * n
}

/// The register with the given name, if any.
pub fn register(name: &str) -> Option<&'static RegDef> {
    REGISTERS.iter().find(|r| r.name == name)
}

/// The register at `offset` (including elements of arrays): the definition
/// and the element index.
pub fn register_at(offset: u32) -> Option<(&'static RegDef, u32)> {
    REGISTERS.iter().find_map(|r| {
        let rel = offset.checked_sub(r.offset)?;
        if rel % r.stride != 0 {
            return None;
        }
        let idx = rel / r.stride;
        (idx < r.count).then_some((r, idx))
    })
}

macro_rules! bitreg {
    (
        $(#[$meta:meta])*
        pub struct $ty:ident for $reg:ident {
            $( flag $flag:ident = $bit:expr, $fdoc:literal; )*
            $( field $field:ident = $lsb:expr, $width:expr, $mdoc:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $ty(pub u32);

        impl $ty {
            $( #[doc = $fdoc] pub const $flag: $ty = $ty(1 << $bit); )*
            $( #[doc = $mdoc] pub const $field: Field = Field { lsb: $lsb, width: $width }; )*

            /// The register's fields, for tables and the RTL cross-check.
            pub const FIELDS: &'static [FieldDef] = &[
                $( FieldDef { reg: stringify!($reg), name: stringify!($flag), lsb: $bit, width: 1, doc: $fdoc }, )*
                $( FieldDef { reg: stringify!($reg), name: stringify!($field), lsb: $lsb, width: $width, doc: $mdoc }, )*
            ];

            /// Named single-bit flags with their values, for `Debug`.
            const FLAGS: &'static [(&'static str, u32)] = &[
                $( (stringify!($flag), 1 << $bit), )*
            ];

            pub const fn empty() -> $ty {
                $ty(0)
            }
            pub const fn bits(self) -> u32 {
                self.0
            }
            pub const fn from_bits(bits: u32) -> $ty {
                $ty(bits)
            }
            /// All of `other`'s bits are set in `self`.
            pub const fn contains(self, other: $ty) -> bool {
                self.0 & other.0 == other.0
            }
            /// Any of `other`'s bits is set in `self`.
            pub const fn intersects(self, other: $ty) -> bool {
                self.0 & other.0 != 0
            }
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }
            pub fn insert(&mut self, other: $ty) {
                self.0 |= other.0;
            }
            pub fn remove(&mut self, other: $ty) {
                self.0 &= !other.0;
            }
            pub fn set(&mut self, other: $ty, on: bool) {
                if on { self.insert(other) } else { self.remove(other) }
            }
            /// Read a multi-bit field.
            pub const fn get(self, field: Field) -> u32 {
                field.get(self.0)
            }
            /// Return a copy with a multi-bit field replaced.
            #[must_use]
            pub const fn with(self, field: Field, value: u32) -> $ty {
                $ty(field.put(self.0, value))
            }
        }

        impl BitOr for $ty {
            type Output = $ty;
            fn bitor(self, rhs: $ty) -> $ty {
                $ty(self.0 | rhs.0)
            }
        }
        impl BitOrAssign for $ty {
            fn bitor_assign(&mut self, rhs: $ty) {
                self.0 |= rhs.0;
            }
        }
        impl BitAnd for $ty {
            type Output = $ty;
            fn bitand(self, rhs: $ty) -> $ty {
                $ty(self.0 & rhs.0)
            }
        }
        impl BitAndAssign for $ty {
            fn bitand_assign(&mut self, rhs: $ty) {
                self.0 &= rhs.0;
            }
        }
        impl Not for $ty {
            type Output = $ty;
            fn not(self) -> $ty {
                $ty(!self.0)
            }
        }
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:#010x}", stringify!($ty), self.0)?;
                let mut sep = ": ";
                for (name, bit) in Self::FLAGS {
                    if self.0 & bit != 0 {
                        write!(f, "{sep}{name}")?;
                        sep = " | ";
                    }
                }
                f.write_str(")")
            }
        }
    };
}

bitreg! {
    /// CTRL (8254x 13.4.1).
    pub struct Ctrl for CTRL {
        flag FD = 0, "Full duplex (stored; the MAC is always full duplex)";
        flag SLU = 6, "Set link up (stored)";
        flag RST = 26, "Device reset; self-clearing when the reset is done";
    }
}

bitreg! {
    /// STATUS (8254x 13.4.2).
    pub struct Status for STATUS {
        flag FD = 0, "Full duplex, constant 1";
        flag LU = 1, "Link up (the link_up input)";
        flag QUIESCENT = 16, "Ours: mirror of the quiescent output (nothing in flight)";
        flag TXSTOP = 17, "Ours: the transmit queue stopped on a bus error";
        flag RXSTOP = 18, "Ours: the receive queue stopped on a bus error";
        field SPEED = 6, 2, "Speed: 2 = 1000 Mb/s, constant";
    }
}

bitreg! {
    /// ITR (8254x 13.4.18).
    pub struct Itr for ITR {
        field INTERVAL = 0, 16, "Minimum interval between interrupts, 256 ns units; 0 disables throttling";
    }
}

bitreg! {
    /// Interrupt causes: the layout of ICR, ICS, IMS and IMC (8254x 13.4.17).
    pub struct Icr for ICR {
        flag TXDW = 0, "Transmit descriptor written back";
        flag TXQE = 1, "Transmit queue empty";
        flag LSC = 2, "Link status change";
        flag RXDMT0 = 4, "Receive descriptors below the minimum threshold (RCTL.RDMTS)";
        flag RXO = 6, "Receiver overrun: a frame was dropped for lack of descriptors";
        flag RXT0 = 7, "Receiver timer (RDTR/RADV) expired";
        flag DMAERR = 28, "Ours (reserved in the 8254x): DMA bus error, details in DMAERR";
    }
}

impl Icr {
    /// Every cause this NIC can raise.
    pub const ALL: Icr = Icr(Icr::TXDW.0
        | Icr::TXQE.0
        | Icr::LSC.0
        | Icr::RXDMT0.0
        | Icr::RXO.0
        | Icr::RXT0.0
        | Icr::DMAERR.0);
    /// The causes the driver enables (like the e1000's IMS_ENABLE_MASK).
    pub const ENABLE_MASK: Icr =
        Icr(Icr::TXDW.0 | Icr::LSC.0 | Icr::RXDMT0.0 | Icr::RXO.0 | Icr::RXT0.0 | Icr::DMAERR.0);
}

bitreg! {
    /// RCTL (8254x 13.4.22).
    pub struct Rctl for RCTL {
        flag EN = 1, "Receiver enable";
        flag SBP = 2, "Store bad packets";
        flag UPE = 3, "Unicast promiscuous";
        flag MPE = 4, "Multicast promiscuous";
        flag LPE = 5, "Long packet enable";
        flag BAM = 15, "Accept broadcast";
        flag BSEX = 25, "Buffer size extension: BSIZE times 16";
        flag SECRC = 26, "Strip the Ethernet CRC from received frames";
        field RDMTS = 8, 2, "Receive descriptor minimum threshold: 1/2, 1/4, 1/8 of the ring";
        field MO = 12, 2, "Multicast offset: which destination-address bits index the MTA";
        field BSIZE = 16, 2, "Receive buffer size: 2048, 1024, 512, 256 (x16 with BSEX)";
    }
}

bitreg! {
    /// RDBAL and TDBAL: ring base, low half (8254x 13.4.27).
    pub struct Rdbal for RDBAL {
        field ADDR = 4, 28, "Base address bits 31:4 (rings are 16-byte aligned)";
    }
}

bitreg! {
    /// RDLEN and TDLEN (8254x 13.4.29).
    pub struct Rdlen for RDLEN {
        field LEN = 7, 13, "Ring length in 128-byte units (8 descriptors)";
    }
}

bitreg! {
    /// RDH (8254x 13.4.30).
    pub struct Rdh for RDH {
        field HEAD = 0, 16, "Head index";
    }
}

bitreg! {
    /// RDT (8254x 13.4.31).
    pub struct Rdt for RDT {
        field TAIL = 0, 16, "Tail index";
    }
}

bitreg! {
    /// RDTR (8254x 13.4.32).
    pub struct Rdtr for RDTR {
        flag FPD = 31, "Flush partial descriptor block: fire the pending RXT0 now";
        field DELAY = 0, 16, "Packet timer, 1.024 us units";
    }
}

bitreg! {
    /// RADV (8254x 13.4.36).
    pub struct Radv for RADV {
        field DELAY = 0, 16, "Absolute timer, 1.024 us units";
    }
}

bitreg! {
    /// RXCSUM (8254x 13.4.33 of the receive group).
    pub struct Rxcsum for RXCSUM {
        field PCSS = 0, 8, "Packet checksum start: the RX descriptor's checksum sums from this byte";
    }
}

bitreg! {
    /// TCTL (8254x 13.4.33).
    pub struct Tctl for TCTL {
        flag EN = 1, "Transmitter enable";
        flag PSP = 3, "Pad short packets to 60 bytes before the FCS";
        field CT = 4, 8, "Collision threshold (stored; full duplex only)";
        field COLD = 12, 10, "Collision distance (stored; full duplex only)";
    }
}

bitreg! {
    /// TIPG (8254x 13.4.34).
    pub struct Tipg for TIPG {
        field IPGT = 0, 10, "Inter-packet gap in byte times (the MAC never goes below 12)";
        field IPGR1 = 10, 10, "Stored only";
        field IPGR2 = 20, 10, "Stored only";
    }
}

bitreg! {
    /// TDBAL (8254x 13.4.38).
    pub struct Tdbal for TDBAL {
        field ADDR = 4, 28, "Base address bits 31:4 (rings are 16-byte aligned)";
    }
}

bitreg! {
    /// TDLEN (8254x 13.4.40).
    pub struct Tdlen for TDLEN {
        field LEN = 7, 13, "Ring length in 128-byte units (8 descriptors)";
    }
}

bitreg! {
    /// TDH (8254x 13.4.41).
    pub struct Tdh for TDH {
        field HEAD = 0, 16, "Head index";
    }
}

bitreg! {
    /// TDT (8254x 13.4.42).
    pub struct Tdt for TDT {
        field TAIL = 0, 16, "Tail index";
    }
}

bitreg! {
    /// TIDV (8254x 13.4.43).
    pub struct Tidv for TIDV {
        field DELAY = 0, 16, "Packet timer, 1.024 us units (descriptors with IDE)";
    }
}

bitreg! {
    /// TADV (8254x 13.4.45).
    pub struct Tadv for TADV {
        field DELAY = 0, 16, "Absolute timer, 1.024 us units";
    }
}

bitreg! {
    /// RAH: the high half of a receive address entry (8254x 13.4.54).
    pub struct Rah for RAH {
        flag AV = 31, "Address valid";
        field ADDR = 0, 16, "Address bytes 4 and 5";
        field AS = 16, 2, "Address select (stored; destination address only)";
    }
}

bitreg! {
    /// DMAERR (ours): the first DMA bus error since reset. Raised with
    /// ICR.DMAERR when an AXI transaction of the DMA master ends in SLVERR
    /// or DECERR; the failing address is in DMAERR_ADDRL/H.
    pub struct Dmaerr for DMAERR {
        flag VALID = 0, "An error was recorded";
        flag RXQ = 1, "The failing access belonged to the receive queue (else transmit)";
        flag WRITE = 2, "The failing access was a write (else a read)";
        flag DESC = 3, "The failing access was a descriptor (else a buffer)";
        field RESP = 4, 2, "AXI response of the failing access (2 SLVERR, 3 DECERR)";
    }
}

/// Every field of every register with a typed view.
pub fn all_fields() -> impl Iterator<Item = &'static FieldDef> {
    [
        Ctrl::FIELDS,
        Status::FIELDS,
        Itr::FIELDS,
        Icr::FIELDS,
        Rctl::FIELDS,
        Rdbal::FIELDS,
        Rdlen::FIELDS,
        Rdh::FIELDS,
        Rdt::FIELDS,
        Rdtr::FIELDS,
        Radv::FIELDS,
        Rxcsum::FIELDS,
        Tctl::FIELDS,
        Tipg::FIELDS,
        Tdbal::FIELDS,
        Tdlen::FIELDS,
        Tdh::FIELDS,
        Tdt::FIELDS,
        Tidv::FIELDS,
        Tadv::FIELDS,
        Rah::FIELDS,
        Dmaerr::FIELDS,
    ]
    .into_iter()
    .flatten()
}

/// Receive buffer sizes the RCTL.BSIZE/BSEX encoding can express, smallest
/// first (8254x 13.4.22).
pub const RX_BUFFER_SIZES: [usize; 7] = [256, 512, 1024, 2048, 4096, 8192, 16384];

/// RCTL with BSIZE/BSEX set for a receive buffer of `size` bytes, or `None`
/// when the hardware cannot express that size.
pub fn rctl_bsize(rctl: Rctl, size: usize) -> Option<Rctl> {
    let (bsize, bsex) = match size {
        2048 => (0, false),
        1024 => (1, false),
        512 => (2, false),
        256 => (3, false),
        16384 => (1, true),
        8192 => (2, true),
        4096 => (3, true),
        _ => return None,
    };
    let mut r = rctl.with(Rctl::BSIZE, bsize);
    r.set(Rctl::BSEX, bsex);
    Some(r)
}

/// The receive buffer size RCTL selects, `None` for the reserved encoding
/// (BSEX with BSIZE 0).
pub fn rctl_buffer_size(rctl: Rctl) -> Option<usize> {
    let base = match rctl.get(Rctl::BSIZE) {
        0 => 2048,
        1 => 1024,
        2 => 512,
        _ => 256,
    };
    if rctl.contains(Rctl::BSEX) {
        if rctl.get(Rctl::BSIZE) == 0 {
            None
        } else {
            Some(base * 16)
        }
    } else {
        Some(base)
    }
}

/// Interrupt moderation and delay timers count in 1.024 us (RDTR, RADV,
/// TIDV, TADV; 8254x 13.4.32) ...
pub const DELAY_UNIT_NS: u64 = 1024;
/// ... and ITR in 256 ns units (8254x 13.4.18).
pub const ITR_UNIT_NS: u64 = 256;

/// The MTA bit a multicast address selects for RCTL.MO = `mo`, in the shape
/// of e1000_hash_mc_addr: 12 bits taken from the last two address bytes,
/// shifted by 0, 1, 2 or 4 (8254x 13.5.1). Bits 11:5 select the MTA
/// register, bits 4:0 the bit in it.
pub fn mta_hash(addr: &[u8; 6], mo: u32) -> u16 {
    let a4 = u16::from(addr[4]);
    let a5 = u16::from(addr[5]);
    let h = match mo & 3 {
        0 => (a4 >> 4) | (a5 << 4),
        1 => (a4 >> 3) | (a5 << 5),
        2 => (a4 >> 2) | (a5 << 6),
        _ => a4 | (a5 << 8),
    };
    h & 0x0fff
}

/// Names and values of the constants `rtl/nic_defs.vh` must define, derived
/// from the definitions above and in [`crate::desc`] (the naming convention
/// of the RTL): `REG_<NAME>` offsets, `RST_<NAME>` reset values,
/// `<REG>_<FIELD>_BIT` for single-bit fields, `<REG>_<FIELD>_LSB` and
/// `_WIDTH` for wider ones, `ICR_<CAUSE>` masks, `TXD_`/`RXD_` descriptor
/// bits, and the sizes `RA_ENTRIES`, `RA_STRIDE`, `MTA_WORDS`, `DESC_BYTES`.
pub fn verilog_constants() -> Vec<(String, u64)> {
    use crate::desc::{DESC_LEN, rx, tx};
    let mut out = vec![
        ("RA_ENTRIES".to_string(), u64::from(RA_ENTRIES)),
        ("RA_STRIDE".to_string(), u64::from(RA_STRIDE)),
        ("MTA_WORDS".to_string(), u64::from(MTA_WORDS)),
        ("DESC_BYTES".to_string(), DESC_LEN as u64),
    ];
    for r in REGISTERS {
        out.push((format!("REG_{}", r.name), u64::from(r.offset)));
        if r.reset_in_rtl {
            out.push((format!("RST_{}", r.name), u64::from(r.reset)));
        }
    }
    for f in all_fields() {
        if f.width == 1 {
            out.push((format!("{}_{}_BIT", f.reg, f.name), u64::from(f.lsb)));
        } else {
            out.push((format!("{}_{}_LSB", f.reg, f.name), u64::from(f.lsb)));
            out.push((format!("{}_{}_WIDTH", f.reg, f.name), u64::from(f.width)));
        }
        if f.reg == "ICR" {
            out.push((format!("ICR_{}", f.name), 1u64 << f.lsb));
        }
    }
    out.push(("ICR_ALL".to_string(), u64::from(Icr::ALL.bits())));
    let bit = |m: u8| u64::from(m.trailing_zeros());
    for (name, mask) in [
        ("TXD_CMD_EOP", tx::CMD_EOP),
        ("TXD_CMD_IFCS", tx::CMD_IFCS),
        ("TXD_CMD_IC", tx::CMD_IC),
        ("TXD_CMD_RS", tx::CMD_RS),
        ("TXD_CMD_IDE", tx::CMD_IDE),
        ("TXD_STA_DD", tx::STA_DD),
        ("RXD_STA_DD", rx::STA_DD),
        ("RXD_STA_EOP", rx::STA_EOP),
        ("RXD_STA_IXSM", rx::STA_IXSM),
        ("RXD_ERR_CE", rx::ERR_CE),
        ("RXD_ERR_RXE", rx::ERR_RXE),
    ] {
        out.push((format!("{name}_BIT"), bit(mask)));
    }
    out
}

/// Constants of [`verilog_constants`] that `rtl/nic_defs.vh` may leave out:
/// the bit-index twins of the ICR cause masks.
pub fn verilog_optional(name: &str) -> bool {
    name.starts_with("ICR_") && name.ends_with("_BIT")
}

/// `rtl/nic_defs.vh` as these definitions render it: one `localparam` per
/// constant of [`verilog_constants`]. The RTL may include this text as is;
/// either way the cross-check test compares the two.
pub fn verilog_header() -> String {
    let mut s = String::from(
        "// nicsim NIC register constants, rendered from driver/src/regs.rs (the\n\
         // single definition); driver/tests/nic_defs.rs checks this file against it.\n",
    );
    for (name, value) in verilog_constants() {
        let width = if name.starts_with("REG_") { 17 } else { 32 };
        s.push_str(&format!(
            "localparam [{}:0] {name} = {width}'h{value:x};\n",
            width - 1
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_match_the_spec_table() {
        // The NIC specification's register list, written out independently.
        let expect: &[(&str, u32)] = &[
            ("CTRL", 0x00000),
            ("STATUS", 0x00008),
            ("ICR", 0x000C0),
            ("ITR", 0x000C4),
            ("ICS", 0x000C8),
            ("IMS", 0x000D0),
            ("IMC", 0x000D8),
            ("RCTL", 0x00100),
            ("TCTL", 0x00400),
            ("TIPG", 0x00410),
            ("RDBAL", 0x02800),
            ("RDT", 0x02818),
            ("RADV", 0x0282C),
            ("TDBAL", 0x03800),
            ("TDT", 0x03818),
            ("TADV", 0x0382C),
            ("MTA", 0x05200),
            ("RAL0", 0x05400),
            ("RAH0", 0x05404),
            ("GORCH", 0x0408C),
            ("TPT", 0x040D4),
        ];
        for (name, off) in expect {
            assert_eq!(register(name).map(|r| r.offset), Some(*off), "{name}");
        }
    }

    #[test]
    fn our_counters_stay_out_of_the_8254x_statistics() {
        // 8254x 13.7: the statistics block spans 0x04000..=0x04124 (TSCTFC
        // last). Our transmit counters live after the DMA error report in
        // the reserved area at 0x0F000, read-clear like the 8254x ones.
        for name in ["TXDROPC", "TXCSKIPC", "TXUNDERC"] {
            let r = register(name).unwrap();
            assert!(r.offset > 0x04124, "{name} inside the 8254x statistics");
            assert!(r.offset > reg::DMAERR_ADDRH && r.offset < 0x10000, "{name}");
            assert_eq!(r.access, Access::ReadClear, "{name}");
        }
        assert_eq!(reg::TXDROPC, 0x0F00C);
        assert_eq!(reg::TXCSKIPC, 0x0F010);
        assert_eq!(reg::TXUNDERC, 0x0F014);
    }

    #[test]
    fn registers_do_not_overlap_and_fit_the_window() {
        let mut spans: Vec<(u32, u32, &str)> = REGISTERS
            .iter()
            .map(|r| (r.offset, r.offset + r.stride * (r.count - 1) + 4, r.name))
            .collect();
        spans.sort();
        for w in spans.windows(2) {
            // RAL/RAH interleave: allowed only for strided arrays.
            let interleaved = w[0].2 == "RAL0" && w[1].2 == "RAH0";
            assert!(
                interleaved || w[0].1 <= w[1].0,
                "{:?} overlaps {:?}",
                w[0],
                w[1]
            );
        }
        for r in REGISTERS {
            assert_eq!(r.offset % 4, 0, "{} misaligned", r.name);
            assert!(r.offset + r.stride * r.count <= 1 << 17, "{}", r.name);
        }
        assert_eq!(
            register_at(ral(3)).map(|(r, i)| (r.name, i)),
            Some(("RAL0", 3))
        );
        assert_eq!(
            register_at(rah(15)).map(|(r, i)| (r.name, i)),
            Some(("RAH0", 15))
        );
        assert_eq!(
            register_at(mta(127)).map(|(r, i)| (r.name, i)),
            Some(("MTA", 127))
        );
        // The MTA array ends where the receive addresses begin.
        assert_eq!(
            register_at(reg::MTA + 4 * 128).map(|(r, i)| (r.name, i)),
            Some(("RAL0", 0))
        );
        assert_eq!(register_at(reg::RDBAL + 2), None);
    }

    #[test]
    fn fields_do_not_overlap() {
        let mut regs: Vec<&str> = all_fields().map(|f| f.reg).collect();
        regs.dedup();
        assert!(regs.len() >= 20);
        for reg in regs {
            let mut used = 0u32;
            for f in all_fields().filter(|f| f.reg == reg) {
                let m = Field {
                    lsb: f.lsb,
                    width: f.width,
                }
                .mask();
                assert_eq!(used & m, 0, "{}.{} overlaps", f.reg, f.name);
                used |= m;
            }
        }
    }

    #[test]
    fn icr_bits_match_the_spec() {
        assert_eq!(Icr::TXDW.bits(), 0x01);
        assert_eq!(Icr::TXQE.bits(), 0x02);
        assert_eq!(Icr::LSC.bits(), 0x04);
        assert_eq!(Icr::RXDMT0.bits(), 0x10);
        assert_eq!(Icr::RXO.bits(), 0x40);
        assert_eq!(Icr::RXT0.bits(), 0x80);
        assert_eq!(Ctrl::RST.bits(), 1 << 26);
        assert_eq!(Rctl::SECRC.bits(), 1 << 26);
        assert_eq!(Rctl::BSIZE.mask(), 0x0003_0000);
        assert_eq!(Tipg::IPGT.mask(), 0x3ff);
    }

    #[test]
    fn bsize_encoding_round_trips() {
        for size in RX_BUFFER_SIZES {
            let r = rctl_bsize(Rctl::EN | Rctl::BAM, size).unwrap();
            assert!(r.contains(Rctl::EN | Rctl::BAM));
            assert_eq!(rctl_buffer_size(r), Some(size));
        }
        assert_eq!(rctl_bsize(Rctl::empty(), 1500), None);
        assert_eq!(rctl_buffer_size(Rctl::BSEX), None);
        // 8254x 13.4.22: BSEX=1, BSIZE=01 is 16384 bytes.
        assert_eq!(
            rctl_bsize(Rctl::empty(), 16384).unwrap().bits(),
            (1 << 25) | (1 << 16)
        );
    }

    #[test]
    fn field_put_get() {
        let r = Rctl::EN.with(Rctl::MO, 3).with(Rctl::RDMTS, 1);
        assert_eq!(r.bits(), 0x2 | (3 << 12) | (1 << 8));
        assert_eq!(r.get(Rctl::MO), 3);
        assert_eq!(r.with(Rctl::MO, 7).get(Rctl::MO), 3, "excess bits dropped");
        assert_eq!(
            format!("{:?}", Rctl::EN | Rctl::BAM),
            "Rctl(0x00008002: EN | BAM)"
        );
    }

    #[test]
    fn mta_hash_matches_e1000_examples() {
        // 01:00:5e:00:00:01 (all-hosts): with MO=0 the hash uses
        // addr[4] >> 4 | addr[5] << 4 = 0x010.
        let a = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];
        assert_eq!(mta_hash(&a, 0), 0x010);
        assert_eq!(mta_hash(&a, 1), 0x020);
        assert_eq!(mta_hash(&a, 2), 0x040);
        assert_eq!(mta_hash(&a, 3), 0x100);
        let b = [0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa];
        assert_eq!(mta_hash(&b, 0), 0xfaf);
        assert_eq!(mta_hash(&b, 3), 0xaff);
    }

    #[test]
    fn verilog_names_are_unique() {
        let consts = verilog_constants();
        let mut names: Vec<&str> = consts.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
        assert!(consts.contains(&("REG_RCTL".to_string(), 0x100)));
        assert!(consts.contains(&("RCTL_BSIZE_LSB".to_string(), 16)));
        assert!(consts.contains(&("ICR_RXT0".to_string(), 0x80)));
        assert!(consts.contains(&("ICR_RXT0_BIT".to_string(), 7)));
    }
}
