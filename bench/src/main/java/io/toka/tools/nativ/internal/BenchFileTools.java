package io.toka.tools.nativ.internal;

import io.toka.tool.Tool;
import java.nio.file.Path;

/** For benchmarks outside the tools-native bundle: the real file tools on a workspace directory. */
public final class BenchFileTools {

    private BenchFileTools() {
    }

    /** The real {@code file-reader}, confined to {@code root}, with a 10 MiB size limit. */
    public static Tool fileReader(Path root) {
        return new FileReaderTool(new Workspace(root), 10L * 1024 * 1024);
    }
}
