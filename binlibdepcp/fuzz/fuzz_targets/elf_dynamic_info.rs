#![no_main]

use binlibdepcp_fuzz::checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_elf(data));
