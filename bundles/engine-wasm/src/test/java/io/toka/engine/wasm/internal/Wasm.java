package io.toka.engine.wasm.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Writes small binary WebAssembly modules for tests. Chicory 1.7.5 has no WAT assembler on Maven Central
 * ({@code com.dylibso.chicory:wabt:1.7.5} is not published), so the tests spell out instructions with
 * {@link Code}, each call commented with its WAT.
 */
final class Wasm {

    static final int I32 = 0x7f;
    static final int I64 = 0x7e;
    static final int F32 = 0x7d;
    static final int F64 = 0x7c;

    private final List<byte[]> types = new ArrayList<>();
    private final List<byte[]> imports = new ArrayList<>();
    private final List<Integer> functionTypes = new ArrayList<>();
    private final List<byte[]> bodies = new ArrayList<>();
    private final List<byte[]> exports = new ArrayList<>();
    private final List<byte[]> data = new ArrayList<>();
    private byte[] memory;
    private byte[] table;
    private byte[] globals;
    private Integer start;
    private int importedFunctions;

    /** Adds a function type; returns its index. */
    int type(int[] params, int... results) {
        Bytes b = new Bytes().u8(0x60).u(params.length);
        for (int p : params) {
            b.u8(p);
        }
        b.u(results.length);
        for (int r : results) {
            b.u8(r);
        }
        types.add(b.toArray());
        return types.size() - 1;
    }

    static int[] params(int... params) {
        return params;
    }

    /** Imports a function; returns its function index. Imports must come before {@link #func}. */
    int importFunc(String module, String name, int type) {
        imports.add(new Bytes().name(module).name(name).u8(0x00).u(type).toArray());
        return importedFunctions++;
    }

    /** Adds a function, exported under {@code export} unless it is null; returns its function index. */
    int func(String export, int type, Code body) {
        return func(export, type, new int[0], body);
    }

    /** Adds a function with locals (one local per entry, of that type). */
    int func(String export, int type, int[] locals, Code body) {
        functionTypes.add(type);
        Bytes b = new Bytes().u(locals.length);
        for (int l : locals) {
            b.u(1).u8(l);
        }
        b.raw(body.bytes.toArray());
        byte[] inner = b.toArray();
        bodies.add(new Bytes().u(inner.length).raw(inner).toArray());
        int index = importedFunctions + functionTypes.size() - 1;
        if (export != null) {
            exports.add(new Bytes().name(export).u8(0x00).u(index).toArray());
        }
        return index;
    }

    /** A memory of {@code min} pages, no maximum when {@code max} is negative, exported when named. */
    Wasm memory(int min, int max, String export) {
        memory = max < 0 ? new Bytes().u(1).u8(0x00).u(min).toArray()
                : new Bytes().u(1).u8(0x01).u(min).u(max).toArray();
        if (export != null) {
            exports.add(new Bytes().name(export).u8(0x02).u(0).toArray());
        }
        return this;
    }

    /** A funcref table of {@code min} elements, no maximum. */
    Wasm table(int min) {
        table = new Bytes().u(1).u8(0x70).u8(0x00).u(min).toArray();
        return this;
    }

    /** One mutable i32 global starting at 0. */
    Wasm mutableGlobal() {
        globals = new Bytes().u(1).u8(I32).u8(0x01).u8(0x41).s(0).u8(0x0b).toArray();
        return this;
    }

    /** Active data in memory 0 at {@code offset}. */
    Wasm data(int offset, byte[] bytes) {
        data.add(new Bytes().u(0).u8(0x41).s(offset).u8(0x0b).u(bytes.length).raw(bytes).toArray());
        return this;
    }

    Wasm start(int function) {
        start = function;
        return this;
    }

    byte[] bytes() {
        Bytes out = new Bytes().raw(new byte[] {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00});
        section(out, 1, types);
        section(out, 2, imports);
        if (!functionTypes.isEmpty()) {
            Bytes f = new Bytes().u(functionTypes.size());
            functionTypes.forEach(f::u);
            out.u8(3).u(f.size()).raw(f.toArray());
        }
        if (table != null) {
            out.u8(4).u(table.length).raw(table);
        }
        if (memory != null) {
            out.u8(5).u(memory.length).raw(memory);
        }
        if (globals != null) {
            out.u8(6).u(globals.length).raw(globals);
        }
        section(out, 7, exports);
        if (start != null) {
            byte[] s = new Bytes().u(start).toArray();
            out.u8(8).u(s.length).raw(s);
        }
        section(out, 10, bodies);
        section(out, 11, data);
        return out.toArray();
    }

    String base64() {
        return Base64.getEncoder().encodeToString(bytes());
    }

    private static void section(Bytes out, int id, List<byte[]> entries) {
        if (entries.isEmpty()) {
            return;
        }
        Bytes s = new Bytes().u(entries.size());
        entries.forEach(s::raw);
        out.u8(id).u(s.size()).raw(s.toArray());
    }

    static Code code() {
        return new Code();
    }

    /** A function body: instructions, ending with {@link #end()}. */
    static final class Code {
        private final Bytes bytes = new Bytes();

        Code op(int... opcodes) {
            for (int o : opcodes) {
                bytes.u8(o);
            }
            return this;
        }

        Code localGet(int i) {
            bytes.u8(0x20).u(i);
            return this;
        }

        Code i32(int v) {
            bytes.u8(0x41).s(v);
            return this;
        }

        Code i64(long v) {
            bytes.u8(0x42).s(v);
            return this;
        }

        Code call(int f) {
            bytes.u8(0x10).u(f);
            return this;
        }

        Code end() {
            bytes.u8(0x0b);
            return this;
        }
    }

    /** Little helpers for LEB128 and names. */
    static final class Bytes {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Bytes u8(int b) {
            out.write(b);
            return this;
        }

        Bytes u(long v) {
            do {
                int b = (int) (v & 0x7f);
                v >>>= 7;
                out.write(v != 0 ? b | 0x80 : b);
            } while (v != 0);
            return this;
        }

        Bytes s(long v) {
            while (true) {
                int b = (int) (v & 0x7f);
                v >>= 7;
                boolean done = (v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0);
                out.write(done ? b : b | 0x80);
                if (done) {
                    return this;
                }
            }
        }

        Bytes name(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return u(b.length).raw(b);
        }

        Bytes raw(byte[] b) {
            out.write(b, 0, b.length);
            return this;
        }

        int size() {
            return out.size();
        }

        byte[] toArray() {
            return out.toByteArray();
        }
    }
}
