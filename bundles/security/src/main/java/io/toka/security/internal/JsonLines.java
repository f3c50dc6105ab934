package io.toka.security.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** An append-only JSON-lines file of entries that expire: loading drops the expired ones and compacts the file. */
final class JsonLines {

    private static final Logger LOG = LoggerFactory.getLogger(JsonLines.class);

    private JsonLines() {
    }

    /**
     * Reads the entries still worth keeping; if any were dropped, rewrites the file with only those.
     *
     * @param parse reads one entry (may throw for an unreadable line, which is skipped with a warning)
     * @param keep whether an entry is still live
     * @param line writes an entry back as one JSON line
     * @return the live entries, in file order; empty if the file does not exist
     */
    static <T> List<T> load(Path file, ObjectMapper json, Function<JsonNode, T> parse, Predicate<T> keep,
            Function<T, String> line) throws IOException {
        List<T> live = new ArrayList<>();
        if (!Files.exists(file)) {
            return live;
        }
        int dropped = 0;
        for (String text : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (text.isBlank()) {
                continue;
            }
            try {
                T entry = parse.apply(json.readTree(text));
                if (keep.test(entry)) {
                    live.add(entry);
                } else {
                    dropped++;
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("Skipping an unreadable line in {}: {}", file, e.getMessage());
            }
        }
        if (dropped > 0) {
            StringBuilder sb = new StringBuilder();
            live.forEach(e -> sb.append(line.apply(e)).append('\n'));
            SecureFiles.writeAtomically(file, sb.toString().getBytes(StandardCharsets.UTF_8));
        }
        return live;
    }
}
