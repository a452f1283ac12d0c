// Helpers for the wire-format tests. Golden bytes are written out by hand from
// field numbers and wire types, so a renumbered field or a changed type fails a
// test even though our own encoder and decoder would still agree with each other.

/** Lower-case hex of bytes, for readable test failures. */
export const hex = (data: Uint8Array): string => Buffer.from(data).toString('hex');

/** Bytes from hex text that may contain whitespace and `-- comments` to end of line. */
export const bytes = (text: string): Uint8Array =>
  Uint8Array.from(Buffer.from(text.replace(/--.*$/gm, '').replace(/\s+/g, ''), 'hex'));

/**
 * One unknown field of each wire type, numbers 99 to 102: varint 1, fixed64,
 * length-delimited "abc", fixed32. Splice into a message to check that a decoder
 * skips fields a newer peer added.
 */
export const UNKNOWN_FIELDS = '9806 01  a106 0102030405060708  aa06 03 616263  b506 01020304';
