//! Packet ids of transmitted frames on the wire (`HostNic::transmit` in
//! src/system.rs): the world hands the tagged ids to frames in the order
//! they start on GMII, so a frame the driver drops before the ring and the
//! frames a reset flushes must not keep a place in that order. Each test
//! frame carries its own id in its payload; every frame on the wire must
//! carry the id it was tagged with.
#![allow(clippy::unwrap_used)]

use driver::nic::{Config, ResetReason};
use nicsim::system::{HostNic, System};
use sim::axi_mem::MemConfig;
use sim::hal::{self, SharedHardware};
use sim::world::{Hardware, WorldConfig};
use stack::buf::{PacketBuf, PacketId};
use stack::device::Device;
use stack::tcp::TcpLayer;

/// One RTL NIC on a software PHY, its driver probed and the link up.
fn host() -> (SharedHardware, HostNic) {
    let mut hw = Hardware::new(WorldConfig::default());
    let n = hw.add_nic(MemConfig::default());
    hw.attach_phy(n);
    hw.run(64).unwrap();
    let hw = hal::share(hw);
    let sys: System<TcpLayer> = System::new(hw.clone());
    let cfg = Config {
        mac: Some([0x02, 0, 0, 0, 0, 0x01]),
        ..Config::default()
    };
    let mut nic = sys.probe(n, cfg).unwrap();
    for _ in 0..1000 {
        if nic.nic.link_up() {
            break;
        }
        hw.borrow_mut().run(100).unwrap();
        nic.nic.service();
        nic.nic.watchdog();
    }
    assert!(nic.nic.link_up(), "link did not come up");
    (hw, nic)
}

/// A broadcast frame of `len` bytes (local experimental EtherType) whose
/// payload starts with `id`.
fn frame(id: u64, len: usize) -> PacketBuf {
    let mut b = vec![0u8; len];
    b[..6].copy_from_slice(&[0xff; 6]);
    b[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x01]);
    b[12..14].copy_from_slice(&[0x88, 0xb5]);
    b[14..22].copy_from_slice(&id.to_be_bytes());
    let mut p = PacketBuf::from_slice(0, &b);
    p.meta_mut().id = PacketId(id);
    p
}

/// Run until `want` frames left the NIC (bounded); their (wire id, payload
/// id) pairs.
fn sent(hw: &SharedHardware, nic: &mut HostNic, want: usize) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for _ in 0..200 {
        hw.borrow_mut().run(100).unwrap();
        nic.nic.service();
        let mut h = hw.borrow_mut();
        let phy = h.phy(nic.hw_index).unwrap();
        while let Some(f) = phy.collected.pop_front() {
            let id = u64::from_be_bytes(f.data[14..22].try_into().unwrap());
            out.push((f.id.0, id));
        }
        if out.len() >= want {
            break;
        }
    }
    out
}

#[test]
fn a_frame_the_driver_drops_takes_no_id_on_the_wire() {
    let (hw, mut nic) = host();
    let now = hw.borrow().now();
    // Longer than MTU plus header: dropped by the driver, no doorbell.
    nic.transmit(now, frame(7, 1600)).unwrap();
    nic.transmit(now, frame(8, 60)).unwrap();
    nic.transmit(now, frame(9, 60)).unwrap();
    assert_eq!(nic.nic.stats().driver.tx_dropped_too_big, 1);
    assert_eq!(sent(&hw, &mut nic, 2), [(8, 8), (9, 9)]);
}

#[test]
fn frames_a_reset_flushed_take_no_id_on_the_wire() {
    let (hw, mut nic) = host();
    let now = hw.borrow().now();
    nic.transmit(now, frame(20, 60)).unwrap();
    nic.transmit(now, frame(21, 60)).unwrap();
    // Reset at once: the frames just queued are flushed (or, should the
    // MAC already have started one, sent under their own ids).
    nic.nic.reset(ResetReason::Reconfigure).unwrap();
    let flushed = sent(&hw, &mut nic, 2);
    let now = hw.borrow().now();
    nic.transmit(now, frame(22, 60)).unwrap();
    let after = sent(&hw, &mut nic, 1);
    assert!(
        nic.nic.stats().driver.tx_dropped_reset > 0,
        "the reset flushed nothing: the test does not test"
    );
    for (wire, payload) in flushed.iter().chain(&after) {
        assert_eq!(
            wire, payload,
            "frame with payload id {payload} went out as {wire}"
        );
    }
    assert_eq!(after, [(22, 22)]);
}
