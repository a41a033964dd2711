import * as fs from 'fs';
import { Architecture, ARCHITECTURES } from './arch';

/** `e_machine` of an ELF file's first bytes (20 are enough); undefined when they are not ELF. */
export function elfMachineOf(head: Buffer): number | undefined {
  if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) return undefined;
  return head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
}

/** Reads the `e_machine` field of an ELF file; undefined when the file is not an ELF. */
export function elfMachine(file: string): number | undefined {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(20);
    const read = fs.readSync(fd, head, 0, 20, 0);
    return elfMachineOf(head.subarray(0, read));
  } finally {
    fs.closeSync(fd);
  }
}

/** The architecture of an `e_machine` value, when it is one of Lambda's. */
export function architectureOfMachine(machine: number | undefined): Architecture | undefined {
  return (Object.keys(ARCHITECTURES) as Architecture[]).find(a => ARCHITECTURES[a].elfMachine === machine);
}

/** Architecture of an executable, or undefined when it is missing, unreadable or not an arm64/x86_64 ELF. */
export function elfArchitecture(file: string): Architecture | undefined {
  try {
    return architectureOfMachine(elfMachine(file));
  } catch {
    return undefined;
  }
}

/** `an arm64 executable`, `not an ELF executable`, ... for messages. */
export function describeElf(machine: number | undefined): string {
  const arch = architectureOfMachine(machine);
  if (arch) return `an ${arch} executable`;
  return machine === undefined ? 'not an ELF executable' : `an ELF executable for machine 0x${machine.toString(16)}`;
}

/** `arm64`, `x86_64`, `not an ELF executable` or `ELF machine 0x..`: the short form of {@link describeElf}. */
export function machineName(machine: number | undefined): string {
  const arch = architectureOfMachine(machine);
  if (arch) return arch;
  return machine === undefined ? 'not an ELF executable' : `ELF machine 0x${machine.toString(16)}`;
}
