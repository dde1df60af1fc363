/**
 * The symbols a shared object (a `.node` file) imports: the undefined entries of its dynamic
 * symbol table (`.dynsym`), read straight from the ELF file as `readelf --dyn-syms` shows them,
 * for 32- and 64-bit, little- and big-endian files of any machine. No binutils needed: the
 * release workflow's Alpine containers have none.
 */
import { readFileSync } from 'node:fs';

const SHT_DYNSYM = 11;
const SHN_UNDEF = 0;

/** The names of the undefined dynamic symbols of the ELF file at `path`, sorted. Throws if it has no `.dynsym`. */
export function importedSymbols(path: string): string[] {
  const b = readFileSync(path);
  if (b.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${path} is not an ELF file`);
  const is64 = b[4] === 2;
  const le = b[5] === 1;
  const u16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const word = (o: number) => (is64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(o));
  const shoff = word(is64 ? 0x28 : 0x20);
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  const shnum = u16(is64 ? 0x3c : 0x30);
  const section = (i: number) => {
    const at = shoff + i * shentsize;
    return is64
      ? { type: u32(at + 4), offset: word(at + 0x18), size: word(at + 0x20), link: u32(at + 0x28), entsize: word(at + 0x38) }
      : { type: u32(at + 4), offset: u32(at + 0x10), size: u32(at + 0x14), link: u32(at + 0x18), entsize: u32(at + 0x24) };
  };
  for (let i = 0; i < shnum; i += 1) {
    const dynsym = section(i);
    if (dynsym.type !== SHT_DYNSYM) continue;
    const strtab = section(dynsym.link);
    const names: string[] = [];
    for (let at = dynsym.offset; at + dynsym.entsize <= dynsym.offset + dynsym.size; at += dynsym.entsize) {
      const shndx = u16(at + (is64 ? 6 : 14));
      const nameAt = strtab.offset + u32(at);
      if (shndx !== SHN_UNDEF || nameAt === strtab.offset) continue;
      names.push(b.toString('latin1', nameAt, b.indexOf(0, nameAt)));
    }
    return names.sort();
  }
  throw new Error(`${path} has no dynamic symbol table (.dynsym)`);
}
