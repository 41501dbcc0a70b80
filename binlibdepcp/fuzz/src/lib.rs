//! Fuzz targets for binlibdepcp's readers of untrusted files. The targets
//! in fuzz_targets/ call [`checks`]; run them with
//! `cargo fuzz run --sanitizer none TARGET` from this folder.

pub mod checks;
