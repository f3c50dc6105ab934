package io.toka.engine.wasm.internal;

import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExportSection;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.ImportSection;
import io.toka.runtime.execution.ExecutionEngine.CodeException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A parsed and validated module plus an index of its exports: what {@link WasmEngine#prepare} returns and what the
 * runtime manager caches and shares between concurrent runs.
 *
 * <p>Immutable as far as this engine is concerned: every run instantiates the module afresh, and the one piece of
 * the parsed module that Chicory 1.7.5 mutates while running (a table's limits, on {@code table.grow}) is copied
 * per instance by {@link WasmEngine}.
 *
 * @param module the parsed module
 * @param functions the exported functions and their types, in export order
 * @param exportSummary every export as {@code name} for functions and {@code name(kind)} otherwise, comma separated,
 *     for error messages
 * @param imports every import as {@code module.name (kind)}, in order
 * @param wasiOnly whether every import is from {@code wasi_snapshot_preview1}
 * @param size the module's size in bytes
 */
record PreparedModule(WasmModule module, Map<String, FunctionType> functions, String exportSummary,
        List<String> imports, boolean wasiOnly, int size) {

    static final String WASI_MODULE = "wasi_snapshot_preview1";

    PreparedModule {
        functions = Collections.unmodifiableMap(new LinkedHashMap<>(functions));
        imports = List.copyOf(imports);
    }

    /**
     * Parses and validates a binary module.
     *
     * @param bytes the module
     * @param source where it came from, for the error message
     * @throws CodeException if the bytes are not a valid module
     */
    static PreparedModule parse(byte[] bytes, String source) throws CodeException {
        WasmModule module;
        try {
            module = Parser.parse(bytes);
        } catch (ChicoryException | IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new CodeException("invalid WebAssembly module" + source + ": " + describe(e), 0, e);
        }
        Map<String, FunctionType> functions = new LinkedHashMap<>();
        List<String> exports = new ArrayList<>();
        ExportSection section = module.exportSection();
        int importedFunctions = module.importSection().count(ExternalType.FUNCTION);
        for (int i = 0; i < section.exportCount(); i++) {
            Export export = section.getExport(i);
            if (export.exportType() == ExternalType.FUNCTION) {
                functions.put(export.name(), functionType(module, export.index(), importedFunctions));
                exports.add(export.name());
            } else {
                exports.add(export.name() + "(" + export.exportType().name().toLowerCase(Locale.ROOT) + ")");
            }
        }
        List<String> imports = new ArrayList<>();
        boolean wasiOnly = true;
        ImportSection importSection = module.importSection();
        for (int i = 0; i < importSection.importCount(); i++) {
            Import imp = importSection.getImport(i);
            imports.add(imp.module() + "." + imp.name() + " (" + imp.importType().name().toLowerCase(Locale.ROOT)
                    + ")");
            wasiOnly &= WASI_MODULE.equals(imp.module()) && imp.importType() == ExternalType.FUNCTION;
        }
        return new PreparedModule(module, functions, exports.isEmpty() ? "none" : String.join(", ", exports),
                imports, wasiOnly, bytes.length);
    }

    private static FunctionType functionType(WasmModule module, int index, int importedFunctions) {
        if (index < importedFunctions) {
            int seen = 0;
            ImportSection imports = module.importSection();
            for (int i = 0; i < imports.importCount(); i++) {
                Import imp = imports.getImport(i);
                if (imp.importType() == ExternalType.FUNCTION && seen++ == index) {
                    return module.typeSection().getType(
                            ((FunctionImport) imp).typeIndex());
                }
            }
        }
        return module.functionSection().getFunctionType(index - importedFunctions, module.typeSection());
    }

    /** A parser or runtime exception's message, or its class name when it has none. */
    static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }
}
