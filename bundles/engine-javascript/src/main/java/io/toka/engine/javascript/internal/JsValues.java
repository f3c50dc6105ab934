package io.toka.engine.javascript.internal;

import io.toka.runtime.execution.ExecutionEngine.CodeException;
import java.util.Collection;
import java.util.Map;
import org.mozilla.javascript.Context;
import org.mozilla.javascript.Function;
import org.mozilla.javascript.NativeJSON;
import org.mozilla.javascript.RhinoException;
import org.mozilla.javascript.ScriptRuntime;
import org.mozilla.javascript.Scriptable;
import org.mozilla.javascript.ScriptableObject;
import org.mozilla.javascript.Symbol;
import org.mozilla.javascript.Undefined;

/** Conversions between JSON-like Java values and JavaScript values. */
final class JsValues {

    /** Deeper inputs are refused: they are either cyclic or far beyond what any JSON parser hands out. */
    static final int MAX_INPUT_DEPTH = 1000;

    private JsValues() {
    }

    /**
     * Converts a JSON-like Java value (maps, lists, arrays, strings, numbers, booleans, null) to plain JavaScript
     * objects, arrays and primitives. Every number becomes a JavaScript number (a double); any other type becomes
     * its string form, so no Java object ever reaches a script.
     */
    static Object toJs(Context cx, Scriptable scope, Object value) throws CodeException {
        return toJs(cx, scope, value, 0);
    }

    private static Object toJs(Context cx, Scriptable scope, Object value, int depth) throws CodeException {
        if (value == null || value instanceof String || value instanceof Boolean) {
            return value;
        }
        if (value instanceof Double) {
            return value;
        }
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        if (depth >= MAX_INPUT_DEPTH) {
            throw new CodeException("inputs are nested deeper than " + MAX_INPUT_DEPTH + " levels (or cyclic)", 0);
        }
        if (value instanceof Map<?, ?> map) {
            Scriptable object = cx.newObject(scope);
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String key = String.valueOf(e.getKey());
                Object v = toJs(cx, scope, e.getValue(), depth + 1);
                int index = arrayIndex(key);
                if (index >= 0) {
                    object.put(index, object, v);
                } else {
                    object.put(key, object, v);
                }
            }
            return object;
        }
        if (value instanceof Collection<?> list) {
            Object[] items = new Object[list.size()];
            int i = 0;
            for (Object item : list) {
                items[i++] = toJs(cx, scope, item, depth + 1);
            }
            return cx.newArray(scope, items);
        }
        if (value instanceof Object[] array) {
            Object[] items = new Object[array.length];
            for (int i = 0; i < array.length; i++) {
                items[i] = toJs(cx, scope, array[i], depth + 1);
            }
            return cx.newArray(scope, items);
        }
        return value.toString();
    }

    /**
     * Rhino stores canonical array-index keys ("0", "17") in integer slots and looks them up there, also on plain
     * objects, so such keys must be put by index to be found by {@code o[0]} or {@code o["0"]}.
     */
    static int arrayIndex(String key) {
        int len = key.length();
        if (len == 0 || len > 10 || (len > 1 && key.charAt(0) == '0')) {
            return -1;
        }
        long n = 0;
        for (int i = 0; i < len; i++) {
            char c = key.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        return n <= Integer.MAX_VALUE ? (int) n : -1;
    }

    /**
     * The JSON text of a completion value, or {@code ""} when JSON has no text for it ({@code undefined}, a
     * function, a symbol). Throws the script's own TypeError for cycles and BigInts.
     */
    static String toJson(Context cx, Scriptable scope, Object value) {
        if (value == Undefined.instance) {
            return "";
        }
        Object json = NativeJSON.stringify(cx, scope, value, null, null);
        return json instanceof CharSequence s ? s.toString() : "";
    }

    /** One printed line: arguments joined by spaces, strings as they are, objects and arrays as JSON. */
    static String printLine(Context cx, Scriptable scope, Object[] args) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < args.length; i++) {
            if (i > 0) {
                line.append(' ');
            }
            line.append(printForm(cx, scope, args[i]));
        }
        return line.toString();
    }

    private static String printForm(Context cx, Scriptable scope, Object arg) {
        if (arg instanceof CharSequence s) {
            return s.toString();
        }
        if (arg instanceof Symbol) {
            return arg.toString();
        }
        if (arg instanceof Scriptable && !(arg instanceof Function)) {
            try {
                Object json = NativeJSON.stringify(cx, scope, arg, null, null);
                if (json instanceof CharSequence s) {
                    return s.toString();
                }
            } catch (RhinoException e) {
                // Cyclic or BigInt-holding objects fall back to their string form.
            }
        }
        return ScriptRuntime.toString(arg);
    }

    /** Installs {@code print} and {@code console.log/info/warn/error/debug}, all appending to the run's output. */
    static void installPrinting(Context cx, ScriptableObject global) {
        org.mozilla.javascript.LambdaFunction print = printer(global, "print");
        print.sealObject();
        ScriptableObject.defineProperty(global, "print", print, ScriptableObject.DONTENUM);
        ScriptableObject console = (ScriptableObject) cx.newObject(global);
        for (String name : new String[] {"log", "info", "warn", "error", "debug"}) {
            org.mozilla.javascript.LambdaFunction f = printer(global, name);
            f.sealObject();
            console.defineProperty(name, f, ScriptableObject.DONTENUM);
        }
        console.sealObject();
        ScriptableObject.defineProperty(global, "console", console, ScriptableObject.DONTENUM);
    }

    private static org.mozilla.javascript.LambdaFunction printer(Scriptable scope, String name) {
        return new org.mozilla.javascript.LambdaFunction(scope, name, 0, (cx, s, thisObj, args) -> {
            if (cx instanceof RunContext run) {
                run.print(printLine(cx, s, args));
            }
            return Undefined.instance;
        });
    }
}
