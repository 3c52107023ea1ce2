//! The AXI4-Lite master agent and the HAL handles against the RTL register
//! block (every access goes through the s_axil pins and the protocol checker).
#![allow(clippy::unwrap_used)]

use driver::hal::{Platform, RegisterAccess};
use driver::regs::{Icr, reg, reset};
use sim::axi_mem::MemConfig;
use sim::axil::AxilOp;
use sim::hal::{handles, share};
use sim::world::{Hardware, WorldConfig};

fn world(cfg: WorldConfig) -> Hardware {
    let mut hw = Hardware::new(cfg);
    let n = hw.add_nic(MemConfig::default());
    hw.attach_phy(n);
    hw.run(32).unwrap();
    hw
}

#[test]
fn reset_values_and_read_back_through_the_bus() {
    let mut hw = world(WorldConfig::default());
    assert_eq!(hw.read32(0, reg::TIPG).unwrap(), reset::TIPG);
    assert_eq!(hw.read32(0, reg::TDBAL).unwrap(), 0);
    hw.write32(0, reg::TDBAL, 0x1234_5670).unwrap();
    hw.write32(0, reg::TDBAH, 0x1).unwrap();
    assert_eq!(hw.read32(0, reg::TDBAL).unwrap(), 0x1234_5670);
    assert_eq!(hw.read32(0, reg::TDBAH).unwrap(), 1);
    // link_up is driven by the PHY endpoint: STATUS.LU (8254x 13.4.2) follows it.
    let lu = 1 << 1;
    assert_ne!(hw.read32(0, reg::STATUS).unwrap() & lu, 0);
    hw.set_link_up(0, false);
    hw.run(8).unwrap();
    assert_eq!(hw.read32(0, reg::STATUS).unwrap() & lu, 0);
    assert!(hw.stats(0).reg_reads >= 6);
    hw.finish().unwrap();
}

#[test]
fn register_access_costs_simulated_time_and_latency_adds() {
    let mut hw = world(WorldConfig::default());
    let d = hw.reg_access(0, AxilOp::Read { addr: reg::CTRL }).unwrap();
    let base = d.end_cycle - d.start_cycle;
    assert!(base >= 1, "a read takes at least one cycle, took {base}");
    let c0 = hw.cycle();
    hw.read32(0, reg::CTRL).unwrap();
    let plain = hw.cycle() - c0;
    let mut hw2 = world(WorldConfig {
        reg_latency: 20,
        ..WorldConfig::default()
    });
    let c0 = hw2.cycle();
    hw2.read32(0, reg::CTRL).unwrap();
    assert_eq!(hw2.cycle() - c0, plain + 20);
}

#[test]
fn interrupt_line_follows_ics_ims_and_icr_read_clears() {
    let hw = share(world(WorldConfig::default()));
    let (mut regs, _dma, mut plat) = handles(&hw, 0);
    assert!(!plat.irq_asserted());
    regs.write32(reg::IMS, Icr::TXDW.bits());
    regs.write32(reg::ICS, Icr::TXDW.bits());
    plat.delay_ns(200);
    assert!(
        plat.irq_asserted(),
        "ICS with IMS set must raise irq (8254x 13.4.19)"
    );
    let icr = regs.read32(reg::ICR);
    assert_ne!(icr & Icr::TXDW.bits(), 0);
    plat.delay_ns(200);
    assert!(!plat.irq_asserted(), "reading ICR clears the cause");
    assert_eq!(regs.read32(reg::ICR) & Icr::TXDW.bits(), 0);
    assert!(hw.borrow().stats(0).irq_rises >= 1);
    sim::hal::check(&hw).unwrap();
    assert!(plat.now().as_nanos() > 400);
}

#[test]
fn two_nics_in_one_world_are_independent() {
    let mut hw = Hardware::new(WorldConfig::default());
    let a = hw.add_nic(MemConfig::default());
    let b = hw.add_nic(MemConfig::default());
    hw.connect(a, b, 4, Default::default());
    hw.run(32).unwrap();
    hw.write32(a, reg::RDBAL, 0xAAA0).unwrap();
    hw.write32(b, reg::RDBAL, 0xBBB0).unwrap();
    assert_eq!(hw.read32(a, reg::RDBAL).unwrap(), 0xAAA0);
    assert_eq!(hw.read32(b, reg::RDBAL).unwrap(), 0xBBB0);
}
