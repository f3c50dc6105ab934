package io.toka.engine.wasm.internal;

import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.toka.runtime.execution.ExecutionEngine.CodeException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;

/** Converts JSON-like arguments to WebAssembly values and results back to JSON text. */
final class Values {

    private static final BigInteger U32_MAX = BigInteger.valueOf(0xFFFF_FFFFL);
    private static final BigInteger I64_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private Values() {
    }

    /**
     * Converts {@code inputs.args} to the function's parameters.
     *
     * <p>i32 takes integers from -2^31 to 2^32-1 (values above 2^31-1 are the unsigned reading of the same bits),
     * i64 integers from -2^63 to 2^64-1 likewise; f32 and f64 take any number, and the strings {@code "NaN"},
     * {@code "Infinity"} and {@code "-Infinity"}. An integral number written as {@code 2.0} is accepted for the
     * integer types.
     *
     * @param name the function name, for messages
     * @param type its type
     * @param args {@code inputs.args}: {@code null} or a list
     * @throws CodeException naming the bad argument and the allowed form
     */
    static long[] arguments(String name, FunctionType type, Object args) throws CodeException {
        List<ValType> params = type.params();
        List<?> list;
        if (args == null) {
            list = List.of();
        } else if (args instanceof List<?> l) {
            list = l;
        } else {
            throw new CodeException("inputs.args must be an array of numbers, not " + kind(args), 0);
        }
        if (list.size() != params.size()) {
            throw new CodeException("function '" + name + "' takes " + params.size() + " argument"
                    + (params.size() == 1 ? "" : "s") + " " + signature(type) + ", got " + list.size(), 0);
        }
        long[] values = new long[params.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = convert(list.get(i), params.get(i), i, name);
        }
        return values;
    }

    private static long convert(Object arg, ValType type, int index, String name) throws CodeException {
        String where = "argument " + (index + 1) + " of '" + name + "' (" + typeName(type) + ")";
        int opcode = type.opcode();
        if (opcode == ValType.I32.opcode() || opcode == ValType.I64.opcode()) {
            boolean i32 = opcode == ValType.I32.opcode();
            BigInteger value = integer(arg, where);
            BigInteger min = i32 ? BigInteger.valueOf(Integer.MIN_VALUE) : I64_MIN;
            BigInteger max = i32 ? U32_MAX : U64_MAX;
            if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
                throw new CodeException(where + " is out of range: " + value + " (allowed " + min + " to " + max
                        + ")", 0);
            }
            return i32 ? (long) value.intValue() : value.longValue();
        }
        if (opcode == ValType.F32.opcode()) {
            double d = floating(arg, where);
            float f = (float) d;
            if (Double.isFinite(d) && Float.isInfinite(f)) {
                throw new CodeException(where + " is out of range: " + arg + " (allowed magnitude up to "
                        + Float.MAX_VALUE + ")", 0);
            }
            return Float.floatToRawIntBits(f) & 0xFFFF_FFFFL;
        }
        if (opcode == ValType.F64.opcode()) {
            return Double.doubleToRawLongBits(floating(arg, where));
        }
        throw new CodeException("function '" + name + "' takes a parameter of type " + typeName(type)
                + ", which cannot be passed from JSON; only i32, i64, f32 and f64 can", 0);
    }

    private static BigInteger integer(Object arg, String where) throws CodeException {
        if (arg instanceof Integer || arg instanceof Long || arg instanceof Short || arg instanceof Byte) {
            return BigInteger.valueOf(((Number) arg).longValue());
        }
        if (arg instanceof BigInteger b) {
            return b;
        }
        if (arg instanceof Number n && !(arg instanceof Double d && !Double.isFinite(d))
                && !(arg instanceof Float f && !Float.isFinite(f))) {
            BigDecimal decimal = new BigDecimal(n.toString());
            try {
                return decimal.toBigIntegerExact();
            } catch (ArithmeticException e) {
                throw new CodeException(where + " must be an integer, not " + n, 0);
            }
        }
        throw new CodeException(where + " must be an integer, not " + kind(arg), 0);
    }

    private static double floating(Object arg, String where) throws CodeException {
        if (arg instanceof Number n) {
            return n.doubleValue();
        }
        if (arg instanceof String s) {
            switch (s) {
                case "NaN":
                    return Double.NaN;
                case "Infinity":
                    return Double.POSITIVE_INFINITY;
                case "-Infinity":
                    return Double.NEGATIVE_INFINITY;
                default:
                    break;
            }
        }
        throw new CodeException(where + " must be a number (or \"NaN\", \"Infinity\", \"-Infinity\"), not "
                + kind(arg), 0);
    }

    /**
     * The results as JSON: {@code null} for none, the value for one, an array for several. i32 and i64 are signed;
     * floats that JSON cannot hold are the strings {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}.
     */
    static String json(FunctionType type, long[] results) {
        List<ValType> returns = type.returns();
        if (returns.isEmpty() || results == null) {
            return "null";
        }
        if (returns.size() == 1) {
            return value(returns.get(0), results[0]);
        }
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < returns.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            out.append(value(returns.get(i), results[i]));
        }
        return out.append(']').toString();
    }

    private static String value(ValType type, long raw) {
        int opcode = type.opcode();
        if (opcode == ValType.I32.opcode()) {
            return Integer.toString((int) raw);
        }
        if (opcode == ValType.I64.opcode()) {
            return Long.toString(raw);
        }
        if (opcode == ValType.F32.opcode()) {
            return floating(Float.intBitsToFloat((int) raw));
        }
        if (opcode == ValType.F64.opcode()) {
            return floating(Double.longBitsToDouble(raw));
        }
        // references and vectors have no JSON form; a null reference is -1 in Chicory
        return raw == -1 ? "null" : "\"" + typeName(type) + "\"";
    }

    private static String floating(double d) {
        if (Double.isNaN(d)) {
            return "\"NaN\"";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "\"Infinity\"" : "\"-Infinity\"";
        }
        return Double.toString(d);
    }

    private static String floating(float f) {
        // Float.toString: the shortest decimal that reads back as the same float, not the double's expansion
        return Float.isFinite(f) ? Float.toString(f) : floating((double) f);
    }

    /** The type as {@code (i32, i32) -> i32}. */
    static String signature(FunctionType type) {
        StringBuilder out = new StringBuilder("(");
        for (int i = 0; i < type.params().size(); i++) {
            out.append(i == 0 ? "" : ", ").append(typeName(type.params().get(i)));
        }
        out.append(") -> ");
        List<ValType> returns = type.returns();
        if (returns.size() == 1) {
            return out.append(typeName(returns.get(0))).toString();
        }
        out.append('(');
        for (int i = 0; i < returns.size(); i++) {
            out.append(i == 0 ? "" : ", ").append(typeName(returns.get(i)));
        }
        return out.append(')').toString();
    }

    static String typeName(ValType type) {
        int opcode = type.opcode();
        if (opcode == ValType.I32.opcode()) {
            return "i32";
        }
        if (opcode == ValType.I64.opcode()) {
            return "i64";
        }
        if (opcode == ValType.F32.opcode()) {
            return "f32";
        }
        if (opcode == ValType.F64.opcode()) {
            return "f64";
        }
        if (opcode == ValType.V128.opcode()) {
            return "v128";
        }
        return type.toString().toLowerCase(java.util.Locale.ROOT);
    }

    private static String kind(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String s) {
            return "the string \"" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "\"";
        }
        if (value instanceof Boolean b) {
            return b.toString();
        }
        if (value instanceof List) {
            return "an array";
        }
        if (value instanceof java.util.Map) {
            return "an object";
        }
        return value.toString();
    }
}
