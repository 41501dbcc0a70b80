//! Library behind the `binlibdepcp` command: it finds every file the glibc
//! dynamic loader would open to start a program, without running the program,
//! and reproduces those files in a chroot folder.
//!
//! The modules follow the loader's own steps: [`elf`] reads the identity and
//! dynamic section of one object, [`objects`] opens candidate files and
//! keeps what it read for the whole run, [`cache`] reads `/etc/ld.so.cache`,
//! [`profile`] stores the host loader's built-in values ($PLATFORM, $LIB, the
//! glibc-hwcaps levels, the default folders), [`tokens`] expands `$ORIGIN` and
//! friends, [`resolve`] walks the dependency graph in the loader's order, and
//! [`jail`] writes the result under the target folder.
//!
//! The parsers ([`elf::read_dynamic_info`], [`cache::parse_ld_so_cache`]) take
//! plain byte slices and never panic, so a fuzzer can call them directly.
//! Files on disk go through the same ELF parser, generic over
//! [`object::ReadRef`], which reads only the ranges it needs.
//! Only x86_64 programs for glibc are handled: other loaders (musl, the i386
//! glibc loader) have other folders and rules.

pub mod cache;
pub mod elf;
pub mod jail;
pub mod objects;
pub mod profile;
pub mod resolve;
pub mod tokens;
