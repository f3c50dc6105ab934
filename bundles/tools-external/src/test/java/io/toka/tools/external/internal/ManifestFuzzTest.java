package io.toka.tools.external.internal;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzzes the tool manifest parser (YAML, the full form with metadata/spec/interface and the minimal form): any text
 * must give a manifest or a list of problems that each name a field, never an exception. The manifest's directory
 * holds the files the committed inputs name ({@code run.sh}, {@code analysis/...py}), so valid manifests are reached.
 */
class ManifestFuzzTest {

    private static final Path DIR;
    private static final ManifestParser PARSER = new ManifestParser(2);

    static {
        try {
            DIR = Files.createTempDirectory("toka-manifest-fuzz");
            Files.writeString(DIR.resolve("run.sh"), "#!/bin/sh\necho '{}'\n");
            Files.createDirectories(DIR.resolve("analysis"));
            Files.writeString(DIR.resolve("analysis/control_flow_graph_visualizer.py"), "print('{}')\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "30s")
    void yaml(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        FuzzBounds.check("parse", () -> {
            ManifestParser.Result r = PARSER.parse(DIR.resolve("tool.yaml"), text);
            if (r.valid() == !r.problems().isEmpty()) {
                throw new AssertionError("a result must hold a manifest or problems, not " + r);
            }
            for (ManifestParser.Problem p : r.problems()) {
                if (p.field() == null || p.field().isBlank() || p.problem() == null || p.problem().isBlank()) {
                    throw new AssertionError("a problem without a field or a reason: " + p);
                }
            }
        });
    }
}
