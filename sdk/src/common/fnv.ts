/**
 * 32-bit FNV-1a over the UTF-8 bytes of text: the hash the kubelet's checkpoint manager
 * stores as `checksum` in its state files (over go-spew's rendering of the checkpoint).
 *
 * A resource manager hashes its whole rendering on every state write (about 16 KB for the
 * memory manager on a 64-NUMA-node machine), and plugin hosts run V8 without its optimizing
 * compilers, where a byte loop in JavaScript costs 15-30 ns a byte. So the text is encoded
 * into WebAssembly memory and hashed by a small wasm function, about 1 ns a byte; where
 * WebAssembly is missing (node --jitless) the same loop runs in JavaScript.
 */

const OFFSET_BASIS = 0x811c9dc5;
const PRIME = 0x01000193;

/**
 * `(func (export "fnv32a") (param $length i32) (result i32))`: FNV-1a over bytes
 * 0..$length of the exported memory.
 */
const FNV_WASM = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, // types: (i32) -> i32
  0x03, 0x02, 0x01, 0x00, //                         functions: one, of that type
  0x05, 0x03, 0x01, 0x00, 0x01, //                   memory: one, at least 1 page (64 KiB)
  0x07, 0x13, 0x02, //                               exports: two
  0x06, 0x66, 0x6e, 0x76, 0x33, 0x32, 0x61, 0x00, 0x00, //  "fnv32a": function 0
  0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, //  "memory": memory 0
  0x0a, 0x36, 0x01, 0x34, //                         code: one body of 52 bytes
  0x01, 0x02, 0x7f, //                                 locals $hash, $i: i32
  0x41, 0xc5, 0xbb, 0xf2, 0x88, 0x78, 0x21, 0x01, //   $hash = 0x811c9dc5
  0x02, 0x40, 0x03, 0x40, //                           block, loop
  0x20, 0x02, 0x20, 0x00, 0x4f, 0x0d, 0x01, //           break out when $i >= $length (unsigned)
  0x20, 0x01, 0x20, 0x02, 0x2d, 0x00, 0x00, 0x73, //     $hash ^ memory[$i]
  0x41, 0x93, 0x83, 0x80, 0x08, 0x6c, 0x21, 0x01, //     * 0x01000193 -> $hash
  0x20, 0x02, 0x41, 0x01, 0x6a, 0x21, 0x02, //           $i += 1
  0x0c, 0x00, 0x0b, 0x0b, //                             continue; end loop, end block
  0x20, 0x01, 0x0b, //                                 return $hash
]);

const WASM_PAGE = 65536;

/** The part of the WebAssembly API used here (the project's type libraries do not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: { fnv32a: (length: number) => number; memory: WasmMemory } };
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmHasher {
  hash: (length: number) => number;
  memory: WasmMemory;
  bytes: Uint8Array;
}

const encoder = new TextEncoder();
/** The compiled hasher; null when WebAssembly is unavailable, undefined before the first use. */
let wasmHasher: WasmHasher | null | undefined;

export function fnv32a(text: string): number {
  if (wasmHasher === undefined) wasmHasher = compileHasher();
  if (wasmHasher === null) return hashInJavaScript(Buffer.from(text, 'utf8'));
  // UTF-8 takes at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 for 2).
  const needed = text.length * 3;
  if (wasmHasher.bytes.length < needed) {
    const memory = wasmHasher.memory;
    memory.grow(Math.ceil((needed - memory.buffer.byteLength) / WASM_PAGE));
    wasmHasher.bytes = new Uint8Array(memory.buffer);
  }
  const { written } = encoder.encodeInto(text, wasmHasher.bytes);
  return wasmHasher.hash(written) >>> 0;
}

function hashInJavaScript(bytes: Uint8Array): number {
  let hash = OFFSET_BASIS;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ (bytes[i] as number), PRIME);
  return hash >>> 0;
}

function compileHasher(): WasmHasher | null {
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (api === undefined) return null;
  try {
    const { exports } = new api.Instance(new api.Module(FNV_WASM));
    return { hash: exports.fnv32a, memory: exports.memory, bytes: new Uint8Array(exports.memory.buffer) };
  } catch {
    return null;
  }
}

/**
 * Go's string order: bytewise over UTF-8. JavaScript compares UTF-16 code units, which
 * orders the same as code points (hence as UTF-8) unless a surrogate is involved; those
 * strings are compared as UTF-8 bytes.
 */
export function compareGoStrings(a: string, b: string): number {
  if (!HAS_SURROGATE.test(a) && !HAS_SURROGATE.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const HAS_SURROGATE = /[\ud800-\udfff]/;

/** Keys in Go's string order (bytewise), as go-spew prints sorted maps. */
export function goSortedKeys(keys: Iterable<string>): string[] {
  return [...keys].sort(compareGoStrings);
}
