//! Reads what the dynamic loader needs from one ELF file: whether the loader
//! would accept it as an x86_64 object, its `PT_INTERP`, and the string
//! entries of its dynamic section (`DT_NEEDED`, `DT_RPATH`, `DT_RUNPATH`,
//! `DT_SONAME`) plus the `DF_1_NODEFLIB` flag.
//!
//! Like the loader, it reads the dynamic section through the program headers
//! (`PT_DYNAMIC`, and `DT_STRTAB` mapped through the `PT_LOAD` segments), so
//! stripped section headers do not matter. It leaves out everything the loader
//! checks only after mapping: symbol versions, relocations, the ABI note.
//! Every read is bounds-checked and the output is never larger than the
//! input, so arbitrary bytes give an error, not a panic.

use object::Endianness;
use object::elf::{self, FileHeader64, ProgramHeader64};
use object::read::elf::{Dyn, FileHeader, ProgramHeader};
use std::fmt;

/// Size of an `Elf64_Ehdr`; shorter files are rejected as "file too short".
const EHDR64_SIZE: usize = 64;

/// Size of an `Elf64_Phdr`, the only `e_phentsize` the x86_64 loader accepts.
const PHDR64_SIZE: u16 = 56;

/// The x86_64 glibc loader's verdict on a file it opens as a library candidate.
///
/// glibc 2.36 `open_verify` in elf/dl-load.c skips a file of the other ELF
/// class or another machine and goes on searching, but stops the whole load
/// with an error for anything else that is not a loadable ELF object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// An ELFCLASS64, little-endian, EM_X86_64 object of type ET_DYN or ET_EXEC.
    Loadable,
    /// ELF of the other class (ELFCLASS32): the loader skips it.
    WrongClass,
    /// ELFCLASS64 for another machine: the loader skips it.
    WrongMachine(u16),
    /// Not ELF at all, or ELF the loader rejects with an error.
    Rejected(String),
}

/// The dynamic-linking facts of one loadable object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DynamicInfo {
    /// `PT_INTERP` without its terminating NUL.
    pub interpreter: Option<Vec<u8>>,
    /// True when the file has a `PT_DYNAMIC` segment.
    pub has_dynamic: bool,
    /// `DT_NEEDED` entries in file order.
    pub needed: Vec<Vec<u8>>,
    /// `DT_RPATH`, as written (tokens not expanded).
    pub rpath: Option<Vec<u8>>,
    /// `DT_RUNPATH`, as written.
    pub runpath: Option<Vec<u8>>,
    /// `DT_SONAME`.
    pub soname: Option<Vec<u8>>,
    /// `DF_1_NODEFLIB` in `DT_FLAGS_1`: no cache and no default folders.
    pub nodeflib: bool,
}

impl DynamicInfo {
    /// Returns the `DT_RPATH` the loader uses: glibc's get-dynamic-info.h
    /// drops `DT_RPATH` when `DT_RUNPATH` is present.
    pub fn effective_rpath(&self) -> Option<&[u8]> {
        match self.runpath {
            Some(_) => None,
            None => self.rpath.as_deref(),
        }
    }
}

/// A reason why the dynamic section could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfError(pub String);

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ElfError {}

/// Classifies `data` the way glibc 2.36 `open_verify` classifies a candidate
/// library: the order of the checks decides which error wins.
pub fn identify(data: &[u8]) -> Identity {
    if data.len() < 4 || data[..4] != elf::ELFMAG {
        return Identity::Rejected("invalid ELF header".into());
    }
    if data.len() < EHDR64_SIZE {
        // The loader reads a full Elf64_Ehdr before checking the class, so a
        // short 32-bit file is rejected as too short as well.
        return Identity::Rejected("file too short".into());
    }
    let ident = &data[..16];
    if ident[4] != elf::ELFCLASS64.0 {
        return Identity::WrongClass;
    }
    if let Some(reason) = check_ident_fields(ident) {
        return Identity::Rejected(reason.into());
    }
    let Ok(header) = FileHeader64::<Endianness>::parse(data) else {
        return Identity::Rejected("file too short".into());
    };
    let machine = header.e_machine(Endianness::Little);
    if machine != elf::EM_X86_64 {
        return Identity::WrongMachine(machine.0);
    }
    check_type_and_phentsize(header)
}

/// Checks data encoding, version, OS ABI and padding, which glibc tests
/// together with the magic through `VALID_ELF_HEADER`.
/// The offsets are those of `e_ident` in the ELF specification.
fn check_ident_fields(ident: &[u8]) -> Option<&'static str> {
    if ident[5] != elf::ELFDATA2LSB.0 {
        return Some("ELF file data encoding not little-endian");
    }
    if ident[6] != elf::EV_CURRENT.0 {
        return Some("ELF file version ident does not match current one");
    }
    let osabi = ident[7];
    let abiversion = ident[8];
    // glibc accepts ELFOSABI_SYSV (0) with ABI version 0 and ELFOSABI_GNU (3) with a
    // version below LIBC_ABI_MAX.
    // NOTE: LIBC_ABI_MAX is assumed to be 3, not read from glibc 2.36's
    // source. A file with GNU ABI version 3 or more is rejected here.
    let abi_ok = match osabi {
        0 => abiversion == 0,
        3 => abiversion < 3,
        _ => false,
    };
    if !abi_ok {
        return Some("ELF file OS ABI invalid");
    }
    if ident[9..16].iter().any(|&b| b != 0) {
        return Some("nonzero padding in e_ident");
    }
    None
}

fn check_type_and_phentsize(header: &FileHeader64<Endianness>) -> Identity {
    let endian = Endianness::Little;
    let e_type = header.e_type(endian);
    if e_type != elf::ET_DYN && e_type != elf::ET_EXEC {
        return Identity::Rejected("only ET_DYN and ET_EXEC can be loaded".into());
    }
    if header.e_phentsize(endian) != PHDR64_SIZE {
        return Identity::Rejected("ELF file's phentsize not the expected size".into());
    }
    Identity::Loadable
}

/// Reads the interpreter and the dynamic section of a loadable object.
///
/// Call [`identify`] first: this function expects an x86_64 ELF file and
/// returns an error for anything else, including truncated tables and string
/// offsets that point outside the file.
pub fn read_dynamic_info(data: &[u8]) -> Result<DynamicInfo, ElfError> {
    let header = FileHeader64::<Endianness>::parse(data).map_err(object_error)?;
    let endian = header.endian().map_err(object_error)?;
    if endian != Endianness::Little {
        return Err(ElfError("not a little-endian ELF file".into()));
    }
    let headers = header.program_headers(endian, data).map_err(object_error)?;
    let mut info = DynamicInfo::default();
    for segment in headers {
        if let Some(interp) = segment.interpreter(endian, data).map_err(object_error)? {
            info.interpreter = Some(interp.to_vec());
        }
    }
    let Some(dynamic) = find_dynamic(headers, endian, data)? else {
        return Ok(info);
    };
    info.has_dynamic = true;
    read_dynamic_entries(&mut info, dynamic, headers, data)?;
    Ok(info)
}

fn object_error(err: object::read::Error) -> ElfError {
    ElfError(err.to_string())
}

fn find_dynamic<'data>(
    headers: &'data [ProgramHeader64<Endianness>],
    endian: Endianness,
    data: &'data [u8],
) -> Result<Option<&'data [elf::Dyn64<Endianness>]>, ElfError> {
    for segment in headers {
        if let Some(entries) = segment.dynamic(endian, data).map_err(object_error)? {
            return Ok(Some(entries));
        }
    }
    Ok(None)
}

/// Fills `info` from the dynamic entries, which end at the first `DT_NULL`.
fn read_dynamic_entries(
    info: &mut DynamicInfo,
    entries: &[elf::Dyn64<Endianness>],
    headers: &[ProgramHeader64<Endianness>],
    data: &[u8],
) -> Result<(), ElfError> {
    let endian = Endianness::Little;
    let mut strtab_addr = None;
    let mut strtab_size = None;
    let mut offsets = Vec::new();
    for entry in entries {
        let tag = entry.d_tag(endian);
        let value = entry.val(endian);
        match tag {
            elf::DT_NULL => break,
            elf::DT_STRTAB => strtab_addr = Some(value),
            elf::DT_STRSZ => strtab_size = Some(value),
            elf::DT_FLAGS_1 => info.nodeflib = value & elf::DF_1_NODEFLIB.0 != 0,
            elf::DT_NEEDED | elf::DT_RPATH | elf::DT_RUNPATH | elf::DT_SONAME => {
                offsets.push((tag, value));
            }
            _ => {}
        }
    }
    if offsets.is_empty() {
        return Ok(());
    }
    let Some(addr) = strtab_addr else {
        return Err(ElfError(
            "dynamic section has strings but no DT_STRTAB".into(),
        ));
    };
    let strtab = map_address(headers, data, addr, strtab_size)?;
    // Entries may all point at one long string, so without this budget a
    // file of n bytes could make n * n / 32 bytes of output.
    let mut budget = data.len();
    for (tag, offset) in offsets {
        let text = read_string(strtab, offset)?;
        budget = budget.checked_sub(text.len()).ok_or_else(|| {
            ElfError(format!(
                "dynamic strings add up to more than the file's {} bytes: entries repeat one string",
                data.len()
            ))
        })?;
        match tag {
            elf::DT_NEEDED => info.needed.push(text),
            elf::DT_RPATH => info.rpath = Some(text),
            elf::DT_RUNPATH => info.runpath = Some(text),
            _ => info.soname = Some(text),
        }
    }
    Ok(())
}

/// Returns the file bytes at virtual address `addr`, up to `size` bytes or
/// the end of the `PT_LOAD` segment that contains it.
fn map_address<'data>(
    headers: &[ProgramHeader64<Endianness>],
    data: &'data [u8],
    addr: u64,
    size: Option<u64>,
) -> Result<&'data [u8], ElfError> {
    let endian = Endianness::Little;
    for segment in headers {
        if segment.p_type(endian) != elf::PT_LOAD {
            continue;
        }
        let start = segment.p_vaddr(endian);
        let Ok(bytes) = segment.data(endian, data) else {
            continue;
        };
        let Some(skip) = addr.checked_sub(start) else {
            continue;
        };
        let Ok(skip) = usize::try_from(skip) else {
            continue;
        };
        if skip >= bytes.len() {
            continue;
        }
        let rest = &bytes[skip..];
        let limit = size
            .and_then(|s| usize::try_from(s).ok())
            .unwrap_or(rest.len());
        return Ok(&rest[..limit.min(rest.len())]);
    }
    Err(ElfError(format!(
        "DT_STRTAB address {addr:#x} is not inside any PT_LOAD segment"
    )))
}

fn read_string(strtab: &[u8], offset: u64) -> Result<Vec<u8>, ElfError> {
    let bad = || {
        ElfError(format!(
            "dynamic string offset {offset} is outside DT_STRTAB"
        ))
    };
    let start = usize::try_from(offset).map_err(|_| bad())?;
    let tail = strtab.get(start..).ok_or_else(bad)?;
    let end = tail.iter().position(|&b| b == 0).ok_or_else(bad)?;
    Ok(tail[..end].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_program_reads() {
        let data = std::fs::read("/bin/ls").unwrap();
        assert_eq!(identify(&data), Identity::Loadable);
        let info = read_dynamic_info(&data).unwrap();
        assert_eq!(
            info.interpreter.as_deref(),
            Some(&b"/lib64/ld-linux-x86-64.so.2"[..])
        );
        assert!(info.needed.iter().any(|name| name == b"libc.so.6"));
    }

    #[test]
    fn identity_of_other_files() {
        let mut header = vec![0u8; 64];
        header[..4].copy_from_slice(&elf::ELFMAG);
        header[4] = 1;
        assert_eq!(identify(&header), Identity::WrongClass);
        assert_eq!(
            identify(b"#!/bin/sh\n"),
            Identity::Rejected("invalid ELF header".into())
        );
        assert_eq!(
            identify(b"\x7fELF\x02"),
            Identity::Rejected("file too short".into())
        );
        let mut aarch64 = std::fs::read("/bin/ls").unwrap();
        aarch64[18] = 183;
        assert_eq!(identify(&aarch64), Identity::WrongMachine(183));
    }

    #[test]
    fn damaged_elf_never_panics() {
        let original = std::fs::read("/lib/x86_64-linux-gnu/libz.so.1").unwrap();
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for cut in (0..2048).step_by(7) {
            let _ = read_dynamic_info(&original[..cut.min(original.len())]);
        }
        for _ in 0..2000 {
            let mut damaged = original.clone();
            for _ in 0..4 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Most damage goes to the headers, where the offsets are.
                let index = (state as usize) % damaged.len().min(4096);
                damaged[index] = (state >> 40) as u8;
            }
            identify(&damaged);
            let _ = read_dynamic_info(&damaged);
        }
    }
}
