//! nicsim's simulation side.
#![deny(unsafe_code)]
