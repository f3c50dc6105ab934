package io.toka.shell.internal;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Fuzzes the shell's argument conversion ({@code toka:invoke name key=value...} and {@code --json}): any text must
 * give arguments or an {@link IllegalArgumentException} with a message, never another exception. The committed inputs
 * ({@code src/test/resources/.../ArgumentParserFuzzTestInputs}) run in every build; {@code bench/scripts/fuzz.sh}
 * fuzzes (README, Reliability).
 */
class ArgumentParserFuzzTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** A schema with every type the conversion looks at. */
    private static final String SCHEMA = """
            {"type":"object","properties":{"s":{"type":"string"},"b":{"type":"boolean"},"i":{"type":"integer"},
             "n":{"type":"number"},"a":{"type":"array"},"o":{"type":"object"},"e":{"type":["boolean","integer"]},
             "z":{"type":["null","number"]},"u":{}}}""";

    /**
     * One pair per line; a first line starting with {@code schema:} replaces the schema (the tool's own schema is
     * outside input too: a tool bundle writes it).
     */
    @FuzzTest(maxDuration = "30s")
    void pairs(byte[] input) {
        List<String> lines = Arrays.asList(new String(input, StandardCharsets.UTF_8).split("\n", -1));
        String schema = SCHEMA;
        if (lines.get(0).startsWith("schema:")) {
            schema = lines.get(0).substring("schema:".length());
            lines = lines.subList(1, lines.size());
        }
        String s = schema;
        List<String> pairs = lines;
        FuzzBounds.check("parsePairs", () -> {
            try {
                Map<String, Object> args = ArgumentParser.parsePairs(MAPPER, s, pairs);
                if (args.size() != pairs.size()) {
                    throw new AssertionError(pairs.size() + " pairs gave " + args.size() + " arguments: " + args);
                }
            } catch (IllegalArgumentException expected) {
                requireMessage(expected);
            }
        });
    }

    /** The text of {@code --json}. */
    @FuzzTest(maxDuration = "30s")
    void json(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        FuzzBounds.check("parseJson", () -> {
            try {
                ArgumentParser.parseJson(MAPPER, text);
            } catch (IllegalArgumentException expected) {
                requireMessage(expected);
            }
        });
    }

    private static void requireMessage(IllegalArgumentException e) {
        if (e.getMessage() == null || e.getMessage().isBlank()) {
            throw new AssertionError("an error without a message", e);
        }
    }
}
