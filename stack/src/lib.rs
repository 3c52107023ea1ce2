//! nicsim's TCP/IP stack.
//!
//! The stack never touches the NIC: it sees [`device::Device`] (frames in
//! packet buffers plus capabilities), and time is always passed in as
//! [`time::Instant`]. Nothing in this crate reads a wall clock.
#![deny(unsafe_code)]

pub mod buf;
pub mod device;
pub mod time;
