//! The `nicsim` command line.
#![deny(unsafe_code)]

fn main() {
    println!("nicsim: nothing here yet");
}
