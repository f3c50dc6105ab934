package io.toka.engine.wasm.internal;

import static io.toka.engine.wasm.internal.Wasm.F32;
import static io.toka.engine.wasm.internal.Wasm.F64;
import static io.toka.engine.wasm.internal.Wasm.I32;
import static io.toka.engine.wasm.internal.Wasm.I64;
import static io.toka.engine.wasm.internal.Wasm.code;
import static io.toka.engine.wasm.internal.Wasm.params;

import java.nio.charset.StandardCharsets;

/** The test modules, each with its WAT. */
final class Modules {

    private Modules() {
    }

    /**
     * <pre>
     * (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
     * (func (export "mul") (param i32 i32) (result i32) local.get 0 local.get 1 i32.mul)
     * (memory (export "memory") 1)
     * </pre>
     */
    static Wasm arithmetic() {
        Wasm w = new Wasm();
        int t = w.type(params(I32, I32), I32);
        w.func("add", t, code().localGet(0).localGet(1).op(0x6a).end());
        w.func("mul", t, code().localGet(0).localGet(1).op(0x6c).end());
        return w.memory(1, -1, "memory");
    }

    /**
     * <pre>
     * (func (export "add64") (param i64 i64) (result i64) local.get 0 local.get 1 i64.add)
     * (func (export "mulf64") (param f64 f64) (result f64) local.get 0 local.get 1 f64.mul)
     * (func (export "addf32") (param f32 f32) (result f32) local.get 0 local.get 1 f32.add)
     * (func (export "pair") (result i32 i64) i32.const -1 i64.const 9007199254740993)
     * (func (export "nothing"))
     * (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
     * (func (export "boom") unreachable)
     * (func (export "peek") (param i32) (result i32) local.get 0 i32.load)
     * (func $deep (export "deep") (result i32) call $deep)
     * (memory 1)
     * </pre>
     */
    static Wasm numeric() {
        Wasm w = new Wasm();
        int i64 = w.type(params(I64, I64), I64);
        int f64 = w.type(params(F64, F64), F64);
        int f32 = w.type(params(F32, F32), F32);
        int pair = w.type(params(), I32, I64);
        int none = w.type(params());
        int i32x2 = w.type(params(I32, I32), I32);
        int i32x1 = w.type(params(I32), I32);
        int toI32 = w.type(params(), I32);
        w.func("add64", i64, code().localGet(0).localGet(1).op(0x7c).end());
        w.func("mulf64", f64, code().localGet(0).localGet(1).op(0xa2).end());
        w.func("addf32", f32, code().localGet(0).localGet(1).op(0x92).end());
        w.func("pair", pair, code().i32(-1).i64(9007199254740993L).end());
        w.func("nothing", none, code().end());
        w.func("div", i32x2, code().localGet(0).localGet(1).op(0x6d).end());
        w.func("boom", none, code().op(0x00).end());
        w.func("peek", i32x1, code().localGet(0).op(0x28, 0x02, 0x00).end());
        int deep = 8; // this function's own index: the eight before it are 0..7
        w.func("deep", toI32, code().call(deep).end());
        return w.memory(1, -1, null);
    }

    /**
     * <pre>
     * (func (export "spin") (loop br 0))
     * (func (export "spin_if") (loop i32.const 1 br_if 0))
     * </pre>
     */
    static Wasm loops() {
        Wasm w = new Wasm();
        int none = w.type(params());
        w.func("spin", none, code().op(0x03, 0x40).op(0x0c, 0x00).end().end());
        w.func("spin_if", none, code().op(0x03, 0x40).i32(1).op(0x0d, 0x00).end().end());
        return w;
    }

    /** A module whose start function never returns: {@code (start $spin)}. */
    static Wasm spinningStart() {
        Wasm w = new Wasm();
        int none = w.type(params());
        int spin = w.func(null, none, code().op(0x03, 0x40).i32(1).op(0x0d, 0x00).end().end());
        w.func("noop", none, code().end());
        return w.start(spin);
    }

    /**
     * <pre>
     * (memory 1)
     * (func (export "grow") (result i32)
     *   (loop (br_if 0 (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
     *   memory.size)
     * </pre>
     */
    static Wasm grower(int initialPages) {
        Wasm w = new Wasm();
        int toI32 = w.type(params(), I32);
        w.func("grow", toI32, code()
                .op(0x03, 0x40).i32(1).op(0x40, 0x00).i32(-1).op(0x47).op(0x0d, 0x00).end()
                .op(0x3f, 0x00).end());
        return w.memory(initialPages, -1, null);
    }

    /**
     * <pre>
     * (table 1 funcref)
     * (func (export "grow_table") (result i32) (drop (table.grow (ref.null func) (i32.const 1))) table.size)
     * (func (export "grow_table_huge") (result i32) (table.grow (ref.null func) (i32.const 0x7fffffff)))
     * </pre>
     */
    static Wasm tables() {
        Wasm w = new Wasm().table(1);
        int toI32 = w.type(params(), I32);
        w.func("grow_table", toI32, code().op(0xd0, 0x70).i32(1).op(0xfc, 0x0f, 0x00).op(0x1a)
                .op(0xfc, 0x10, 0x00).end());
        w.func("grow_table_huge", toI32, code().op(0xd0, 0x70).i32(0x7fffffff).op(0xfc, 0x0f, 0x00).end());
        return w;
    }

    /**
     * <pre>
     * (global $g (mut i32) (i32.const 0))
     * (func (export "inc") (param i32) (result i32)
     *   (global.set $g (i32.add (global.get $g) (i32.const 1)))
     *   (i32.add (global.get $g) (local.get 0)))
     * </pre>
     * Returns {@code arg + 1} on a fresh instance, more if state leaked between runs.
     */
    static Wasm counter() {
        Wasm w = new Wasm().mutableGlobal();
        int t = w.type(params(I32), I32);
        w.func("inc", t, code().op(0x23, 0x00).i32(1).op(0x6a).op(0x24, 0x00)
                .op(0x23, 0x00).localGet(0).op(0x6a).end());
        return w;
    }

    /**
     * A WASI command printing "hello from wasm\n" to stdout and "warn\n" to stderr:
     * <pre>
     * (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
     * (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
     * (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
     * (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32)
     *   (result i32)))
     * (memory (export "memory") 1)
     * (data (i32.const 0) "\20\00\00\00\10\00\00\00")   ;; iovec: "hello from wasm\n"
     * (data (i32.const 8) "\40\00\00\00\05\00\00\00")   ;; iovec: "warn\n"
     * (data (i32.const 32) "hello from wasm\n") (data (i32.const 64) "warn\n") (data (i32.const 96) "/etc/passwd")
     * (func (export "_start") (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 200)))
     *                         (drop (call $fd_write (i32.const 2) (i32.const 8) (i32.const 1) (i32.const 200))))
     * (func (export "fail") (drop (call $fd_write (i32.const 2) (i32.const 8) (i32.const 1) (i32.const 200)))
     *                       (call $exit (i32.const 3)))
     * (func (export "prestat") (result i32) (call $prestat (i32.const 3) (i32.const 200)))
     * (func (export "open") (param i32) (result i32)   ;; path_open on descriptor $0
     *   (call $open (local.get 0) (i32.const 0) (i32.const 96) (i32.const 11) (i32.const 0)
     *               (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 200)))
     * </pre>
     */
    static Wasm wasi() {
        Wasm w = new Wasm();
        int write = w.type(params(I32, I32, I32, I32), I32);
        int exit = w.type(params(I32));
        int prestat = w.type(params(I32, I32), I32);
        int open = w.type(params(I32, I32, I32, I32, I32, I64, I64, I32, I32), I32);
        int none = w.type(params());
        int toI32 = w.type(params(), I32);
        int i32ToI32 = w.type(params(I32), I32);
        int fdWrite = w.importFunc("wasi_snapshot_preview1", "fd_write", write);
        int procExit = w.importFunc("wasi_snapshot_preview1", "proc_exit", exit);
        int fdPrestat = w.importFunc("wasi_snapshot_preview1", "fd_prestat_get", prestat);
        int pathOpen = w.importFunc("wasi_snapshot_preview1", "path_open", open);
        w.memory(1, -1, "memory")
                .data(0, new byte[] {32, 0, 0, 0, 16, 0, 0, 0})
                .data(8, new byte[] {64, 0, 0, 0, 5, 0, 0, 0})
                .data(32, "hello from wasm\n".getBytes(StandardCharsets.UTF_8))
                .data(64, "warn\n".getBytes(StandardCharsets.UTF_8))
                .data(96, "/etc/passwd".getBytes(StandardCharsets.UTF_8));
        w.func("_start", none, code()
                .i32(1).i32(0).i32(1).i32(200).call(fdWrite).op(0x1a)
                .i32(2).i32(8).i32(1).i32(200).call(fdWrite).op(0x1a).end());
        w.func("fail", none, code().i32(2).i32(8).i32(1).i32(200).call(fdWrite).op(0x1a)
                .i32(3).call(procExit).end());
        w.func("prestat", toI32, code().i32(3).i32(200).call(fdPrestat).end());
        w.func("open", i32ToI32, code().localGet(0).i32(0).i32(96).i32(11).i32(0).i64(-1).i64(-1).i32(0).i32(200)
                .call(pathOpen).end());
        return w;
    }

    /** Imports a function from outside WASI: {@code (import "env" "log" (func (param i32)))}. */
    static Wasm envImport() {
        Wasm w = new Wasm();
        int t = w.type(params(I32));
        int none = w.type(params());
        w.importFunc("env", "log", t);
        w.func("run", none, code().end());
        return w;
    }

    /** A body that does not validate: {@code (func (export "bad") (result i32))} with an empty body. */
    static Wasm invalidBody() {
        Wasm w = new Wasm();
        int toI32 = w.type(params(), I32);
        w.func("bad", toI32, code().end());
        return w;
    }
}
